"""Forms of the admission, discharge and care-record pages. They parse input and hand it to
institutions/placements/services.py, which holds every rule (one open placement per child, a
discharge not before the admission, the institution in one's scope…): the forms require nothing
a service checks, so the service's message is the one shown, beside its field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.children.forms import DateInput, RegionCodeField
from cases.children.models import Sex
from institutions.placements.models import CareRecord, Placement
from welfare.idnumber import normalize_id_number
from welfare.validators import PersonNameFormField

BLANK: list[tuple[str, Any]] = [("", "---------")]
REGISTERED, NEW = "registered", "new"


def _text(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _today_initial(form: forms.Form, *names: str) -> None:
    for name in names:
        form.fields[name].initial = timezone.localdate


class AdmitForm(forms.Form):
    """Admit a child: one registered anywhere in the country (found by the full identity number,
    shown masked), or a new child without an identity number (an abandoned infant, a rescued
    minor without papers: estimated birth date, where found, the police report number)."""

    child_kind = forms.ChoiceField(
        label=_("The child"),
        choices=[(REGISTERED, _("Registered: I have the identity number")), (NEW, _("New: no identity number"))],
        initial=REGISTERED,
        widget=forms.RadioSelect,
    )
    child_id_number = forms.CharField(
        label=_("Identity number"),
        max_length=24,
        required=False,
        help_text=_("The full 18 characters: the child is looked up in the whole country (a logged lookup)."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "data-idnumber": "1", "maxlength": "18"}
        ),
    )
    name = PersonNameFormField(
        label=_("Child's name"), max_length=50, required=False, help_text=_("A given name if the real one is unknown.")
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=BLANK + list(Sex.choices), required=False)
    birth_date = forms.DateField(label=_("Estimated birth date"), required=False, widget=DateInput())
    region = RegionCodeField(
        label=_("Village where the child is recorded (region code)"),
        required=False,
        max_length=12,
        help_text=_("A village beneath the institution's region."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "list": "village-codes"}),
    )
    found_at = forms.CharField(label=_("Where the child was found"), max_length=200, required=False)
    police_report_number = forms.CharField(label=_("Police report number"), max_length=50, required=False)
    admission_reason = forms.ChoiceField(
        label=_("Admission reason"), choices=BLANK + list(Placement.AdmissionReason.choices), required=False
    )
    placed_on = forms.DateField(label=_("Admitted on"), required=False, widget=DateInput())
    reason = forms.CharField(label=_("Notes on the admission"), max_length=200, required=False)

    def __init__(self, *args, initial_region=None, **kwargs):
        super().__init__(*args, **kwargs)
        _today_initial(self, "placed_on")
        if initial_region is not None and not self.is_bound:
            self.fields["region"].initial = initial_region.code

    def clean_child_id_number(self) -> str:
        return normalize_id_number(self.cleaned_data.get("child_id_number"))

    @property
    def registered(self) -> bool:
        return self.cleaned_data.get("child_kind") != NEW

    def new_child_fields(self) -> list:
        return [self[n] for n in ("name", "sex", "birth_date", "region", "found_at", "police_report_number")]


class DischargeForm(forms.Form):
    left_on = forms.DateField(label=_("Left on"), required=False, widget=DateInput())
    discharge_reason = forms.ChoiceField(
        label=_("Discharge reason"), choices=BLANK + list(Placement.DischargeReason.choices), required=False
    )
    discharged_to_region = RegionCodeField(
        label=_("Returned to (region code)"),
        required=False,
        max_length=12,
        help_text=_("For a return to the family: the village, township or county; its county is told."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    transferred_to = forms.CharField(
        label=_("Transferred to the institution"), required=False, max_length=20, widget=forms.Select
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=_text(3))

    def __init__(self, *args, institutions=(), **kwargs):
        super().__init__(*args, **kwargs)
        _today_initial(self, "left_on")
        self.institutions = {str(i.pk): i for i in institutions}
        choices: list[tuple[str, Any]] = [("", _("Only for a transfer"))]
        choices += [(str(i.pk), f"{i.name} · {i.region.name}") for i in institutions]
        self.fields["transferred_to"].widget.choices = choices

    def clean_transferred_to(self):
        value = (self.cleaned_data.get("transferred_to") or "").strip()
        if not value:
            return None
        if value not in self.institutions:
            raise forms.ValidationError(_("Choose an institution of the list."))
        return self.institutions[value]


class CareRecordForm(forms.Form):
    recorded_on = forms.DateField(label=_("Date"), required=False, widget=DateInput())
    domain = forms.ChoiceField(label=_("Domain"), choices=BLANK + list(CareRecord.Domain.choices), required=False)
    text = forms.CharField(label=_("What was done or observed"), max_length=5000, required=False, widget=_text(4))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _today_initial(self, "recorded_on")
