"""Page forms of the child director's and supervisor's pages. They parse and present input;
the rules (identity numbers, scope, paid categories) live in cases/children/services.py and
cases/children/rules.py."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.children.categories import Category
from cases.children.models import Guardian, Sex
from welfare.idnumber import normalize_id_number
from welfare.models import Region
from welfare.scoping import region_list
from welfare.validators import PersonNameFormField, PhoneFormField


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def villages_in_scope(user):
    return region_list(user=user).filter(level=Region.Level.VILLAGE).order_by("code")


class RegionCodeField(forms.CharField):
    """A region typed by its official code (household registration may be anywhere)."""

    def clean(self, value):
        code = (super().clean(value) or "").strip()
        if not code:
            return None
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise forms.ValidationError(_("There is no region with the code %(code)s."), params={"code": code})
        return region


class ChildForm(forms.Form):
    name = PersonNameFormField(label=_("Child's name"), max_length=50)
    id_number = forms.CharField(
        label=_("Identity number"),
        max_length=24,
        required=False,
        help_text=_("18 characters. Birth date and sex are filled in from it. Leave empty if the child has none yet."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "inputmode": "text",
                "spellcheck": "false",
                "data-idnumber": "1",
                "maxlength": "18",
            }
        ),
    )
    sex = forms.ChoiceField(
        label=_("Sex"), choices=[("", _("(from the identity number)")), *Sex.choices], required=False
    )
    birth_date = forms.DateField(label=_("Birth date"), required=False, widget=DateInput())
    region = forms.ModelChoiceField(label=_("Residence village"), queryset=Region.objects.none(), empty_label=None)
    household_region = RegionCodeField(
        label=_("Household registration (region code)"),
        required=False,
        max_length=12,
        help_text=_("Leave empty when it is the residence village."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    school = forms.CharField(label=_("School"), max_length=100, required=False)
    health_notes = forms.CharField(label=_("Health"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    disability_notes = forms.CharField(label=_("Disability"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = villages_in_scope(user)

    def clean_id_number(self) -> str:
        return normalize_id_number(self.cleaned_data.get("id_number"))

    def clean_birth_date(self):
        value = self.cleaned_data.get("birth_date")
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("The birth date cannot be in the future."))
        return value

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "id_number": data["id_number"] or None,
            "sex": data["sex"] or None,
            "birth_date": data["birth_date"],
            "region": data["region"],
            "household_region": data["household_region"],
            "school": data["school"],
            "health_notes": data["health_notes"],
            "disability_notes": data["disability_notes"],
        }


class ChildRegisterForm(ChildForm):
    categories = forms.MultipleChoiceField(
        label=_("Categories"), choices=Category.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    # Shown only when the service warns of a child recorded with the same name, birth date and village.
    confirm_duplicate = forms.BooleanField(label=_("This is another child: register them anyway"), required=False)

    def service_kwargs(self) -> dict:
        return {
            **super().service_kwargs(),
            "categories": self.cleaned_data["categories"],
            "confirm_duplicate": self.cleaned_data["confirm_duplicate"],
        }


class GuardianForm(forms.Form):
    name = PersonNameFormField(label=_("Guardian's name"), max_length=50)
    relation = forms.ChoiceField(
        label=_("Relation to the child"), choices=[("", "---------"), *Guardian.Relation.choices]
    )
    id_number = forms.CharField(
        label=_("Guardian's identity number"),
        max_length=24,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "data-idnumber": "1", "maxlength": "18"}
        ),
    )
    phone = PhoneFormField(
        label=_("Phone"),
        required=False,
        help_text=_("A mobile number, or a landline with its area code (0851-12345678)."),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )
    is_migrant_worker = forms.BooleanField(label=_("Works away from home"), required=False)
    work_place = forms.CharField(label=_("Where they work"), max_length=100, required=False)
    can_act_as_guardian = forms.BooleanField(label=_("Can act as guardian"), required=False, initial=True)

    def clean_id_number(self) -> str:
        return normalize_id_number(self.cleaned_data.get("id_number"))

    def service_kwargs(self) -> dict:
        return {k: self.cleaned_data[k] for k in self.fields}


class BaseGuardianFormSet(forms.BaseFormSet):
    def filled(self) -> list[dict]:
        """The guardians actually typed in (blank extra rows are skipped)."""
        return [f.service_kwargs() for f in self.forms if f.has_changed() and f.cleaned_data]


GuardianFormSet = forms.formset_factory(
    GuardianForm, formset=BaseGuardianFormSet, extra=2, max_num=6, validate_max=True
)


class MembershipStartForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=[("", "---------"), *Category.choices])
    start_date = forms.DateField(label=_("From"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start_date"].initial = timezone.localdate

    def clean_start_date(self) -> datetime.date:
        return self.cleaned_data["start_date"]


class MembershipEndForm(forms.Form):
    membership = forms.IntegerField(widget=forms.HiddenInput)
    end_date = forms.DateField(label=_("Until"), widget=DateInput())
    end_reason = forms.CharField(label=_("Why it ends"), max_length=200)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("return", _("Return for correction"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment for the child director"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
