"""Staff of child-welfare work (child directors, supervisors, the staff of institutions) with
their start and end dates, and the trainings they attended (with hours). Rules:
institutions/staffing/services.py; reads: institutions/staffing/selectors.py."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Staff(models.Model):
    """A person doing child-welfare work: child director, supervisor, institution carer..."""

    class Position(models.TextChoices):
        CHILD_DIRECTOR = "child_director", _("Village child director")
        SUPERVISOR = "supervisor", _("Township child supervisor")
        DIRECTOR = "director", _("Institution director")
        CARER = "carer", _("Carer")
        SOCIAL_WORKER = "social_worker", _("Social worker")
        OFFICIAL = "official", _("Civil-affairs official")

    name = models.CharField(_("name"), max_length=50)
    position = models.CharField(_("position"), max_length=20, choices=Position.choices)
    region = models.ForeignKey("welfare.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="staff")
    institution = models.ForeignKey(
        "institutions.Institution", verbose_name=_("institution"), null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user account"), null=True, blank=True, on_delete=models.SET_NULL, related_name="staff_profile"
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    appointed_on = models.DateField(_("appointed on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        constraints = [
            models.CheckConstraint(condition=Q(position__in=["child_director", "supervisor", "director", "carer", "social_worker", "official"]), name="staff_position_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_position_display()})"


class Training(models.Model):
    staff = models.ForeignKey(Staff, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="trainings")
    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(_("held on"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1, default=0)

    class Meta:
        verbose_name = _("training")
        verbose_name_plural = _("trainings")
        constraints = [
            models.CheckConstraint(condition=Q(hours__gte=0), name="training_hours_not_negative"),
        ]
        indexes = [
            # Training coverage (staff trained this year): trainings by date.
            models.Index(fields=["held_on", "staff"], name="training_held_on_staff"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.held_on})"
