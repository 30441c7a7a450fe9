"""Stored dashboard figures (snapshots) that city and province dashboards add up."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DashboardSnapshot(models.Model):
    """Dashboard figures of one township or county on one day (`day`), or of one county at the
    end of one month (`month`: categories and money paid only), computed by cases/dashboard/services.py.
    County, city and province dashboards add these rows up; the task in cases/dashboard/tasks.py
    refreshes them and the page shows `computed_at`. Derived data: safe to delete, recomputed
    on demand."""

    class Kind(models.TextChoices):
        DAY = "day", _("Figures on a day")
        MONTH = "month", _("Figures at a month's end")

    region = models.ForeignKey("welfare.Region", verbose_name=_("region"), on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)
    on = models.DateField(_("date"))
    figures = models.JSONField(_("figures"), default=dict)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("dashboard snapshot")
        verbose_name_plural = _("dashboard snapshots")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["day", "month"]), name="dashboard_snapshot_kind_valid"),
            models.UniqueConstraint(fields=["region", "kind", "on"], name="dashboard_snapshot_one_per_region_day"),
        ]
        indexes = [
            # County, city and province dashboards (/cases/dashboard/): the rows of a day.
            models.Index(fields=["kind", "on"], name="dashboard_snapshot_day"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.kind} {self.on}"
