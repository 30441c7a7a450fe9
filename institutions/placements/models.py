"""Placements of children in institutions (admission and discharge) and the care records kept
while a child is in care (养治康教安). Rules: institutions/placements/services.py; reads:
institutions/placements/selectors.py."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Placement(models.Model):
    """A child placed in an institution from one date to another: one open placement per child."""

    class AdmissionReason(models.TextChoices):
        ORPHAN = "orphan", _("Orphan")
        ABANDONED = "abandoned", _("Abandoned child")
        TEMPORARY_GUARDIANSHIP = "temporary_guardianship", _("Temporary guardianship of the county (临时监护)")
        RESCUE = "rescue", _("Rescued street minor")
        OTHER = "other", _("Other")

    class DischargeReason(models.TextChoices):
        ADOPTION = "adoption", _("Adopted")
        FAMILY_RETURN = "family_return", _("Returned to the family (寻亲/返乡)")
        FOSTER_FAMILY = "foster_family", _("Placed with a foster family")
        TURNED_18 = "turned_18", _("Turned 18")
        TRANSFER = "transfer", _("Transferred to another institution")
        DEATH = "death", _("Died")
        OTHER = "other", _("Other")

    child = models.ForeignKey(
        "cases.Child", verbose_name=_("child"), on_delete=models.PROTECT, related_name="placements"
    )
    institution = models.ForeignKey(
        "institutions.Institution", verbose_name=_("institution"), on_delete=models.PROTECT, related_name="placements"
    )
    placed_on = models.DateField(_("placed on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    admission_reason = models.CharField(
        _("admission reason"), max_length=24, choices=AdmissionReason.choices, default=AdmissionReason.OTHER
    )
    # An abandoned infant or a rescued minor without papers: where the child was found and the
    # police report (the birth date on the child's record is then an estimate).
    found_at = models.CharField(_("where found"), max_length=200, blank=True)
    police_report_number = models.CharField(_("police report number"), max_length=50, blank=True)
    birth_date_estimated = models.BooleanField(_("birth date estimated"), default=False)
    # Temporary guardianship of the county (临时监护): the protection case it comes from.
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("protection case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="placements",
    )
    admitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("admitted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    discharge_reason = models.CharField(
        _("discharge reason"), max_length=16, choices=DischargeReason.choices, blank=True, default=""
    )
    discharge_note = models.TextField(_("discharge note"), blank=True)
    # Return to the family: the region the child goes to (its county is told).
    discharged_to_region = models.ForeignKey(
        "welfare.Region",
        verbose_name=_("returned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Transfer: the institution that takes the child (admitted there the same day).
    transferred_to = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("transferred to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_in",
    )
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("discharged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("placed_on")), name="placement_dates_ordered"
            ),
            models.UniqueConstraint(
                fields=["child"], condition=Q(left_on__isnull=True), name="placement_one_open_per_child"
            ),
            models.CheckConstraint(
                condition=Q(admission_reason__in=["orphan", "abandoned", "temporary_guardianship", "rescue", "other"]),
                name="placement_admission_reason_valid",
            ),
            models.CheckConstraint(
                # An open placement has no discharge reason; a closed one has one (blank: closed
                # before reasons were recorded).
                condition=Q(discharge_reason="")
                | (
                    Q(left_on__isnull=False)
                    & Q(
                        discharge_reason__in=[
                            "adoption",
                            "family_return",
                            "foster_family",
                            "turned_18",
                            "transfer",
                            "death",
                            "other",
                        ]
                    )
                ),
                name="placement_discharge_reason_valid",
            ),
        ]
        indexes = [
            # Admissions and discharges per month of an institution (its page, the dashboards).
            models.Index(fields=["institution", "placed_on"], name="placement_institution_placed"),
            models.Index(fields=["institution", "left_on"], name="placement_institution_left"),
        ]

    def __str__(self) -> str:
        return f"{self.child} @ {self.institution}"


class CareRecord(models.Model):
    """A dated entry of a child's care in an institution, by domain (养治康教安)."""

    class Domain(models.TextChoices):
        DAILY_LIFE = "daily_life", _("Daily life (养)")
        HEALTH = "health", _("Health and treatment (治)")
        REHABILITATION = "rehabilitation", _("Rehabilitation (康)")
        EDUCATION = "education", _("Education (教)")
        SAFETY = "safety", _("Safety (安)")

    child = models.ForeignKey(
        "cases.Child", verbose_name=_("child"), on_delete=models.PROTECT, related_name="care_records"
    )
    institution = models.ForeignKey(
        "institutions.Institution", verbose_name=_("institution"), on_delete=models.PROTECT, related_name="care_records"
    )
    placement = models.ForeignKey(
        Placement, verbose_name=_("placement"), on_delete=models.PROTECT, related_name="care_records"
    )
    recorded_on = models.DateField(_("recorded on"))
    domain = models.CharField(_("domain"), max_length=16, choices=Domain.choices)
    text = models.TextField(_("what was done or observed"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("care record")
        verbose_name_plural = _("care records")
        constraints = [
            models.CheckConstraint(
                condition=Q(domain__in=["daily_life", "health", "rehabilitation", "education", "safety"]),
                name="care_record_domain_valid",
            ),
        ]
        indexes = [
            # The child's page: the timeline of care, newest first.
            models.Index(fields=["child", "recorded_on"], name="care_record_child_timeline"),
        ]

    def __str__(self) -> str:
        return f"{self.get_domain_display()} · {self.recorded_on}"
