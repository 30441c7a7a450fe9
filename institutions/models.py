"""Institutions, their staff (and the child directors and supervisors), trainings, placements."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


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
        Institution, verbose_name=_("institution"), null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
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

    def __str__(self) -> str:
        return f"{self.title} ({self.held_on})"


class Placement(models.Model):
    """A child placed in an institution from one date to another."""

    child = models.ForeignKey("cases.Child", verbose_name=_("child"), on_delete=models.PROTECT, related_name="placements")
    institution = models.ForeignKey(Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="placements")
    placed_on = models.DateField(_("placed on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        constraints = [
            models.CheckConstraint(condition=Q(left_on__isnull=True) | Q(left_on__gte=F("placed_on")), name="placement_dates_ordered"),
            models.UniqueConstraint(fields=["child"], condition=Q(left_on__isnull=True), name="placement_one_open_per_child"),
        ]

    def __str__(self) -> str:
        return f"{self.child} @ {self.institution}"


class Inspection(models.Model):
    institution = models.ForeignKey(Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="inspections")
    inspected_on = models.DateField(_("inspected on"))
    unannounced = models.BooleanField(_("unannounced (四不两直)"), default=False)
    findings = models.TextField(_("findings"), blank=True)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")

    def __str__(self) -> str:
        return f"{self.institution} {self.inspected_on}"
