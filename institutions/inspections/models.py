"""Inspections of institutions (announced, or unannounced: 四不两直) by a county or city, their
findings with a rectification deadline and the rectification (整改), and the quarterly
safety-management meetings of each institution. Rules: institutions/inspections/services.py;
reads: institutions/inspections/selectors.py."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Inspection(models.Model):
    class Level(models.TextChoices):
        """The level of the civil-affairs bureau that inspected."""

        COUNTY = "county", _("County / district")
        CITY = "city", _("City")
        PROVINCE = "province", _("Province")

    institution = models.ForeignKey(
        "institutions.Institution", verbose_name=_("institution"), on_delete=models.PROTECT, related_name="inspections"
    )
    inspected_on = models.DateField(_("inspected on"))
    unannounced = models.BooleanField(_("unannounced (四不两直)"), default=False)
    summary = models.TextField(_("summary"), blank=True)
    inspectors = models.CharField(_("inspectors"), max_length=200, blank=True)
    level = models.CharField(_("inspecting level"), max_length=10, choices=Level.choices, blank=True, default="")
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=["", "county", "city", "province"]), name="inspection_level_valid"
            ),
        ]
        indexes = [
            # An institution's page and the dashboards: its inspections by date.
            models.Index(fields=["institution", "inspected_on"], name="inspection_institution_date"),
        ]

    def __str__(self) -> str:
        return f"{self.institution} {self.inspected_on}"


class Finding(models.Model):
    """What an inspection found, to be put right (整改) by a deadline."""

    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("inspection"), on_delete=models.PROTECT, related_name="findings"
    )
    text = models.TextField(_("finding"))
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    fix_by = models.DateField(_("rectify by"))
    fixed_on = models.DateField(_("rectified on"), null=True, blank=True)
    fix_note = models.TextField(_("rectification note"), blank=True)
    fixed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rectified by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [
            models.CheckConstraint(condition=Q(severity__in=["low", "medium", "high"]), name="finding_severity_valid"),
        ]
        indexes = [
            # The daily past-deadline job and the lists of findings past their deadline.
            models.Index(fields=["fix_by"], condition=Q(fixed_on__isnull=True), name="finding_open_by_deadline"),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class SafetyMeeting(models.Model):
    """A safety-management meeting of an institution (one a quarter at least)."""

    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="safety_meetings",
    )
    held_on = models.DateField(_("held on"))
    attendees = models.TextField(_("attendees"))
    topics = models.TextField(_("topics"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("safety meeting")
        verbose_name_plural = _("safety meetings")
        indexes = [
            # Safety-meeting coverage by quarter (the institution's page, the dashboards).
            models.Index(fields=["institution", "held_on"], name="safety_meeting_inst_date"),
        ]

    def __str__(self) -> str:
        return f"{self.institution} {self.held_on}"
