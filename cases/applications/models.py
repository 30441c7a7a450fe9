"""Recognition applications (认定)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.children.categories import PAID_CATEGORIES, Category
from cases.children.models import Child


class Application(models.Model):
    """A recognition application (认定): received at a township, routed to the county of the
    child's household registration, reviewed by the township, decided by the county."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        REVIEWED = "reviewed", _("Reviewed by the township")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    child = models.ForeignKey(Child, verbose_name=_("child"), on_delete=models.PROTECT, related_name="applications")
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    received_region = models.ForeignKey(
        "welfare.Region", verbose_name=_("received at"), on_delete=models.PROTECT, related_name="received_applications"
    )
    county = models.ForeignKey(
        "welfare.Region", verbose_name=_("deciding county"), on_delete=models.PROTECT, related_name="county_applications"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    reason = models.TextField(_("reason"), blank=True)
    submitted_on = models.DateField(_("submitted on"))
    due_on = models.DateField(_("decide by"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_on = models.DateField(_("reviewed on"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["submitted", "reviewed", "approved", "rejected"]), name="application_status_valid"),
            models.CheckConstraint(condition=Q(category__in=PAID_CATEGORIES), name="application_category_paid"),
            models.UniqueConstraint(
                fields=["child", "category"],
                condition=Q(status__in=["submitted", "reviewed"]),
                name="application_one_open_per_child_category",
            ),
        ]
        indexes = [
            # County approval queue and the past-time-limit list.
            models.Index(fields=["county", "status", "due_on"], name="application_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.child} – {self.get_category_display()} ({self.get_status_display()})"
