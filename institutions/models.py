"""Institutions. Their staff and trainings (institutions/staffing), placements and care records
(institutions/placements), inspections with their findings and safety meetings
(institutions/inspections) live in the sub-domains; this module imports them so that Django
finds them (app label `institutions`, tables unchanged)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Institution(models.Model):
    class Kind(models.TextChoices):
        WELFARE = "welfare", _("Child welfare institution")
        RESCUE = "rescue", _("Minor rescue and protection centre")
        WORKSTATION = "workstation", _("Township minor-protection workstation")
        CHILDRENS_HOME = "childrens_home", _("Children's home")
        SOCIAL_WORK = "social_work", _("Social-work station")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    region = models.ForeignKey("welfare.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="institutions")
    capacity = models.PositiveIntegerField(_("capacity"), default=0)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    is_rehabilitation_centre = models.BooleanField(_("designated rehabilitation centre"), default=False)

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["welfare", "rescue", "workstation", "childrens_home", "social_work"]), name="institution_kind_valid"),
            models.UniqueConstraint(fields=["region", "name"], name="institution_unique_name_in_region"),
        ]

    def __str__(self) -> str:
        return self.name


from institutions.inspections.models import Finding, Inspection, SafetyMeeting  # noqa: E402
from institutions.placements.models import CareRecord, Placement  # noqa: E402
from institutions.staffing.models import Staff, Training  # noqa: E402

__all__ = ["CareRecord", "Finding", "Inspection", "Institution", "Placement", "SafetyMeeting", "Staff", "Training"]
