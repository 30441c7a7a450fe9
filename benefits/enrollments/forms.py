"""Forms of the enrollment and transfer pages: they parse input; services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from benefits.enrollments.models import Enrollment
from benefits.enrollments.selectors import transfer_villages
from benefits.standards.forms import RegionCodeField


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

    def __init__(self, *args, to_county, villages: list | None = None, **kwargs):
        """`villages`: the county's villages when already read (a page of several transfers to the
        same county reads them once); otherwise the form reads them when it is shown."""
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        assert isinstance(field, VillageChoiceField)
        field.queryset = transfer_villages(county=to_county)
        if villages is not None:
            field.choices = [("", field.empty_label), *((v.code, field.label_from_instance(v)) for v in villages)]


class TransferRefuseForm(forms.Form):
    reason = forms.CharField(label=_("Reason for refusing"), max_length=300)


class BankAccountForm(forms.Form):
    bank_account_holder = forms.CharField(label=_("Account holder"), max_length=50, required=False)
    bank_account = forms.CharField(label=_("Bank account"), max_length=40, required=False)
