"""Allowance standards, in versions effective from a date (their rules live in
benefits/standards/services.py, their resolution in benefits/standards/resolve.py)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.children.categories import PAID_CATEGORIES, Category


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
