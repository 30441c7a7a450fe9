"""Forms of the standards pages (a new version, a raise), and the region code field the allowance
forms share."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.children.categories import PAID_CHOICES


class RegionCodeField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 12)
        kwargs.setdefault("help_text", _("Official code, for example 370402"))
        super().__init__(**kwargs)

    def clean(self, value):
        from welfare.models import Region

        code = super().clean(value)
        if not code:
            return None
        region = Region.objects.filter(code=code.strip()).first() if code.strip().isdigit() else None
        if region is None:
            raise forms.ValidationError(_("There is no region with this code."))
        return region


class StandardForm(forms.Form):
    region = RegionCodeField(label=_("Region"))
    category = forms.ChoiceField(label=_("Category"), choices=PAID_CHOICES)
    monthly_amount = forms.DecimalField(label=_("Monthly amount (yuan)"), max_digits=10, decimal_places=2, required=False)
    refers_to = forms.ChoiceField(label=_("Or refers to the standard of"), choices=[("", "—"), *PAID_CHOICES], required=False)
    effective_from = forms.DateField(label=_("Effective from"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    document = forms.CharField(label=_("Document number"), max_length=100, required=False)
    is_minimum = forms.BooleanField(label=_("Minimum for lower levels (not lower than)"), required=False)


class RaiseForm(forms.Form):
    regions = forms.CharField(label=_("Regions"), max_length=2000, help_text=_("Codes separated by spaces or commas"))
    categories = forms.MultipleChoiceField(label=_("Categories"), choices=PAID_CHOICES, widget=forms.CheckboxSelectMultiple)
    percent = forms.DecimalField(label=_("By percent"), max_digits=6, decimal_places=2, required=False, min_value=0)
    amount = forms.DecimalField(label=_("Or by a fixed amount (yuan)"), max_digits=10, decimal_places=2, required=False, min_value=0)
    rounding = forms.ChoiceField(label=_("Round to"), choices=[("yuan", _("whole yuan")), ("jiao", _("jiao (0.1 yuan)"))])
    effective_from = forms.DateField(label=_("Effective from"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    document = forms.CharField(label=_("Document number"), max_length=100, required=False)

    def clean_regions(self):
        from welfare.models import Region

        codes = [c for c in self.cleaned_data["regions"].replace(",", " ").split() if c]
        regions = list(Region.objects.filter(code__in=[c for c in codes if c.isdigit()]))
        missing = set(codes) - {r.code for r in regions}
        if missing or not regions:
            raise forms.ValidationError(_("Unknown region codes: %(codes)s") % {"codes": ", ".join(sorted(missing)) or "—"})
        return regions
