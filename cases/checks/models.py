"""Checks (home visits) of children and one-off check campaigns."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.children.models import Child


class Check(models.Model):
    """A check (home visit, 走访) of a child, usually a left-behind child every three months."""

    class Kind(models.TextChoices):
        ROUTINE = "routine", _("Routine three-monthly check")
        SAFETY = "safety", _("Summer / flood-season safety check")
        FOLLOW_UP = "follow_up", _("Follow-up")
        INCIDENT = "incident", _("Incident")

    class RiskLevel(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    child = models.ForeignKey(Child, verbose_name=_("child"), on_delete=models.PROTECT, related_name="checks")
    checked_on = models.DateField(_("checked on"))
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("checked by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ROUTINE)
    caregiver = models.CharField(_("who actually cares for the child"), max_length=100, blank=True)
    father_away = models.BooleanField(_("father works away"), null=True, blank=True)
    father_work_place = models.CharField(_("father works in"), max_length=100, blank=True)
    mother_away = models.BooleanField(_("mother works away"), null=True, blank=True)
    mother_work_place = models.CharField(_("mother works in"), max_length=100, blank=True)
    attends_school = models.BooleanField(_("attends school"), null=True, blank=True)
    health = models.CharField(_("health"), max_length=200, blank=True)
    safety_risk = models.CharField(_("safety risks"), max_length=200, blank=True)
    guardianship_risk = models.CharField(_("guardianship risks"), max_length=200, blank=True)
    risk_level = models.CharField(_("risk level"), max_length=6, choices=RiskLevel.choices, default=RiskLevel.LOW)
    notes = models.TextField(_("notes"), blank=True)
    follow_up = models.TextField(_("follow-up actions"), blank=True)
    campaign = models.ForeignKey(
        "Campaign", verbose_name=_("campaign"), null=True, blank=True, on_delete=models.PROTECT, related_name="checks"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    # Not a column: True on the check that cases.checks.services.check_record answers a repeated request with.
    is_repeat = False

    class Meta:
        verbose_name = _("check")
        verbose_name_plural = _("checks")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["routine", "safety", "follow_up", "incident"]), name="check_kind_valid"),
            models.CheckConstraint(condition=Q(risk_level__in=["low", "medium", "high"]), name="check_risk_level_valid"),
        ]
        indexes = [
            # Last check per child (due dates) and quarter completion.
            models.Index(fields=["child", "checked_on"], name="check_child_date"),
        ]

    def __str__(self) -> str:
        return f"{self.child} {self.checked_on}"


class Campaign(models.Model):
    """A one-off check round launched by a county or province (e.g. the summer flood-season
    safety checks, 暑期汛期安全保护): every child of the chosen categories in the region is to
    be checked between `starts_on` and `deadline`."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind of check"), max_length=10, choices=Check.Kind.choices, default=Check.Kind.SAFETY)
    region = models.ForeignKey("welfare.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="campaigns")
    categories = models.JSONField(_("categories"), default=list)
    starts_on = models.DateField(_("starts on"))
    deadline = models.DateField(_("deadline"))
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("launched by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("check campaign")
        verbose_name_plural = _("check campaigns")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["routine", "safety", "follow_up", "incident"]), name="campaign_kind_valid"),
            models.CheckConstraint(condition=Q(deadline__gte=F("starts_on")), name="campaign_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_on} – {self.deadline})"
