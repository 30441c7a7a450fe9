"""Forms of the staff and training pages of an institution. They parse input and hand it to
institutions/staffing/services.py, which holds every rule (the institution in one's scope, a
staff member of that institution, an end not before the start…)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.children.forms import DateInput
from institutions.staffing.models import Staff
from welfare.validators import PersonNameFormField, PhoneFormField

BLANK: list[tuple[str, Any]] = [("", "---------")]
# The positions of an institution's staff (child directors, supervisors and officials are staff
# of regions, not of institutions).
INSTITUTION_POSITIONS = (Staff.Position.DIRECTOR, Staff.Position.CARER, Staff.Position.SOCIAL_WORKER)


class StaffForm(forms.Form):
    name = PersonNameFormField(label=_("Name"), max_length=50, required=False)
    position = forms.ChoiceField(
        label=_("Position"), choices=BLANK + [(p.value, p.label) for p in INSTITUTION_POSITIONS], required=False
    )
    appointed_on = forms.DateField(label=_("Started on"), required=False, widget=DateInput())
    phone = PhoneFormField(label=_("Phone"), required=False, widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["appointed_on"].initial = timezone.localdate


class StaffEndForm(forms.Form):
    left_on = forms.DateField(label=_("Left on"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["left_on"].initial = timezone.localdate


class TrainingForm(forms.Form):
    title = forms.CharField(label=_("Training"), max_length=200, required=False)
    held_on = forms.DateField(label=_("Held on"), required=False, widget=DateInput())
    hours = forms.DecimalField(label=_("Hours"), max_digits=5, decimal_places=1, required=False, min_value=0)
