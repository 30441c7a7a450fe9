"""Forms of the grant pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from benefits.grants.models import StudyLevel
from cases.applications.forms import ChildFilingForm


class GrantForm(ChildFilingForm):
    child = forms.IntegerField(widget=forms.HiddenInput, required=False)
    child_id_number = forms.CharField(
        label=_("Student's identity number"),
        max_length=40,
        required=False,
        help_text=_("The full 18-character number: a young person recorded anywhere can be found."),
    )
    received_region = forms.CharField(label=_("Receiving township (code)"), max_length=12)
    school_year = forms.CharField(label=_("School year"), max_length=20, help_text=_("For example 2026-2027."))
    school = forms.CharField(label=_("School"), max_length=200)
    study_level = forms.ChoiceField(label=_("Study level"), choices=StudyLevel.choices)
    enrolment_proof = forms.CharField(
        label=_("Proof of enrolment seen"), max_length=300, help_text=_("E.g. the student card number or the school's certificate.")
    )
    filed_by_student = forms.BooleanField(label=_("Filed by the student in person"), required=False)
    bank_account_holder = forms.CharField(label=_("Account holder (the student)"), max_length=50, required=False)
    bank_account = forms.CharField(label=_("Bank account"), max_length=40, required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the rejection"), widget=forms.Textarea, max_length=2000)


class EndForm(forms.Form):
    end_month = forms.CharField(label=_("Last month paid"), max_length=7, required=False, help_text=_("YYYY-MM; empty: this month"))
    reason = forms.CharField(label=_("Why the grant ends"), max_length=2000)


class RenewForm(forms.Form):
    school = forms.CharField(label=_("School"), max_length=200, required=False, help_text=_("Empty: the same school."))
    study_level = forms.ChoiceField(label=_("Study level"), choices=[("", "—"), *StudyLevel.choices], required=False)
    enrolment_proof = forms.CharField(label=_("Proof of enrolment seen"), max_length=300)
