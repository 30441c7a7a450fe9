"""Forms of the payout run pages: start a run, record an adjustment."""

from django import forms
from django.utils.translation import gettext_lazy as _

from benefits.standards.forms import RegionCodeField

MONTH_HELP = _("YYYY-MM, for example 2025-03")


class PayoutRunStartForm(forms.Form):
    region = RegionCodeField(label=_("County"))
    month = forms.CharField(label=_("Month"), max_length=7, help_text=MONTH_HELP)


class AdjustmentForm(forms.Form):
    for_month = forms.CharField(label=_("Corrects month"), max_length=7, help_text=MONTH_HELP)
    amount = forms.DecimalField(label=_("Amount (yuan)"), max_digits=10, decimal_places=2, help_text=_("Positive: back pay; negative: recovery."))
    reason = forms.CharField(label=_("Reason"), max_length=300)
