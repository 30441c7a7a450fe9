"""Forms of the allowance pages: they parse input; services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from benefits.models import Enrollment
from cases.categories import PAID_CATEGORIES, Category

PAID_CHOICES = [(c, Category(c).label) for c in PAID_CATEGORIES]
MONTH_HELP = _("YYYY-MM, for example 2025-03")


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


class PayoutRunStartForm(forms.Form):
    region = RegionCodeField(label=_("County"))
    month = forms.CharField(label=_("Month"), max_length=7, help_text=MONTH_HELP)


class EnrollmentEndForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=[c for c in Enrollment.EndReason.choices if c[0] != "moved"])
    on = forms.DateField(label=_("Date of the event"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}), required=False)
    disabled = forms.BooleanField(label=_("The child is disabled (an adopted disabled orphan keeps support)"), required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class EnrollmentMoveForm(forms.Form):
    """A request to the receiving county: the month it takes effect is set when that county accepts."""

    county = RegionCodeField(label=_("New county"))
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class VillageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.parent.name if obj.parent_id else ''} {obj.name} ({obj.code})".strip()


class TransferAcceptForm(forms.Form):
    region = VillageChoiceField(label=_("Village where the child lives now"), queryset=None, to_field_name="code")

    def __init__(self, *args, to_county, **kwargs):
        from welfare.models import Region

        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            Region.objects.filter(path__startswith=to_county.path, level=Region.Level.VILLAGE).select_related("parent").order_by("path")
        )


class TransferRefuseForm(forms.Form):
    reason = forms.CharField(label=_("Reason for refusing"), max_length=300)


class BankAccountForm(forms.Form):
    bank_account_holder = forms.CharField(label=_("Account holder"), max_length=50, required=False)
    bank_account = forms.CharField(label=_("Bank account"), max_length=40, required=False)


class AdjustmentForm(forms.Form):
    for_month = forms.CharField(label=_("Corrects month"), max_length=7, help_text=MONTH_HELP)
    amount = forms.DecimalField(label=_("Amount (yuan)"), max_digits=10, decimal_places=2, help_text=_("Positive: back pay; negative: recovery."))
    reason = forms.CharField(label=_("Reason"), max_length=300)
