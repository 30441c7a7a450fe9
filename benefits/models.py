"""Allowance standards and enrollments (their rules live in benefits/services.py)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.categories import PAID_CATEGORIES, Category


class WelfareStandard(models.Model):
    """A monthly allowance standard for one region and category from a date: an amount, or
    "refers to" another category's standard in the same region and month. Provincial
    minimums (最低标准, "not lower than") are standards with `is_minimum` set."""

    region = models.ForeignKey("welfare.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="standards")
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    monthly_amount = models.DecimalField(_("monthly amount (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True)
    refers_to = models.CharField(_("refers to category"), max_length=32, choices=Category.choices, null=True, blank=True)
    effective_from = models.DateField(_("effective from"))
    is_minimum = models.BooleanField(_("minimum for lower levels"), default=False)
    document = models.CharField(_("document number"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("allowance standard")
        verbose_name_plural = _("allowance standards")
        constraints = [
            models.CheckConstraint(condition=Q(category__in=PAID_CATEGORIES), name="standard_category_paid"),
            models.CheckConstraint(
                condition=(Q(monthly_amount__isnull=False, refers_to__isnull=True) | Q(monthly_amount__isnull=True, refers_to__isnull=False)),
                name="standard_amount_xor_refers",
            ),
            models.CheckConstraint(condition=Q(monthly_amount__isnull=True) | Q(monthly_amount__gte=0), name="standard_amount_not_negative"),
            models.CheckConstraint(condition=~Q(refers_to=F("category")), name="standard_not_self_referring"),
            models.UniqueConstraint(
                fields=["region", "category", "effective_from", "is_minimum"], name="standard_one_version_per_date"
            ),
        ]
        indexes = [
            # Standard resolution in the payout run: by region and category, newest first.
            models.Index(fields=["region", "category", "effective_from"], name="standard_lookup"),
        ]

    def __str__(self) -> str:
        what = f"{self.monthly_amount}" if self.monthly_amount is not None else f"→ {self.get_refers_to_display()}"
        return f"{self.region.name} {self.get_category_display()} {what} ({self.effective_from})"


class Enrollment(models.Model):
    """A child enrolled in a paid category (纳入保障) from a start month, paid by a county."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    class EndReason(models.TextChoices):
        AGE = "age", _("Turned 18")
        DEATH = "death", _("Died")
        ADOPTION = "adoption", _("Adopted")
        INELIGIBLE = "ineligible", _("No longer eligible")
        MOVED = "moved", _("Moved to another county")
        CATEGORY_CHANGE = "category_change", _("Changed category")

    child = models.ForeignKey("cases.Child", verbose_name=_("child"), on_delete=models.PROTECT, related_name="enrollments")
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    county = models.ForeignKey("welfare.Region", verbose_name=_("paying county"), on_delete=models.PROTECT, related_name="enrollments")
    start_month = models.DateField(_("first month"))
    end_month = models.DateField(_("last month"), null=True, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=20, choices=EndReason.choices, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    application = models.ForeignKey(
        "cases.Application", verbose_name=_("application"), null=True, blank=True, on_delete=models.PROTECT, related_name="enrollments"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [
            models.CheckConstraint(condition=Q(category__in=PAID_CATEGORIES), name="enrollment_category_paid"),
            models.CheckConstraint(condition=Q(status__in=["active", "ended"]), name="enrollment_status_valid"),
            models.CheckConstraint(condition=Q(end_month__isnull=True) | Q(end_month__gte=F("start_month")), name="enrollment_months_ordered"),
            models.UniqueConstraint(fields=["child"], condition=Q(status="active"), name="enrollment_one_active_per_child"),
        ]
        indexes = [
            # The monthly payout run: a county's enrollments active in a month.
            models.Index(fields=["county", "start_month", "end_month"], name="enrollment_payout_run"),
        ]

    def __str__(self) -> str:
        return f"{self.child} – {self.get_category_display()} ({self.start_month:%Y-%m})"
