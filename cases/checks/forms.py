"""Forms of the check pages (a check, a campaign, a quarter): they parse input; the rules live in
cases/checks/services.py."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.checks.models import Check
from cases.checks.services import CheckInput
from cases.children.categories import Category

TRI_STATE = [("", _("Unknown")), ("true", _("Yes")), ("false", _("No"))]


def _tri(value):
    return {"true": True, "false": False}.get(value)


class CheckForm(forms.Form):
    checked_on = forms.DateField(label=_("Date of the check"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=Check.Kind.choices, initial=Check.Kind.ROUTINE)
    campaign = forms.TypedChoiceField(label=_("Campaign"), required=False, coerce=int, empty_value=None)
    caregiver = forms.CharField(label=_("Who actually cares for the child"), max_length=100, required=False)
    father_away = forms.TypedChoiceField(label=_("Father works away"), choices=TRI_STATE, required=False, coerce=_tri, empty_value=None)
    father_work_place = forms.CharField(label=_("Father works in"), max_length=100, required=False)
    mother_away = forms.TypedChoiceField(label=_("Mother works away"), choices=TRI_STATE, required=False, coerce=_tri, empty_value=None)
    mother_work_place = forms.CharField(label=_("Mother works in"), max_length=100, required=False)
    attends_school = forms.TypedChoiceField(label=_("Attends school"), choices=TRI_STATE, required=False, coerce=_tri, empty_value=None)
    health = forms.CharField(label=_("Health"), max_length=200, required=False)
    safety_risk = forms.CharField(label=_("Safety risks"), max_length=200, required=False)
    guardianship_risk = forms.CharField(label=_("Guardianship risks"), max_length=200, required=False)
    risk_level = forms.ChoiceField(
        label=_("Risk level"), choices=Check.RiskLevel.choices, initial=Check.RiskLevel.LOW, widget=forms.RadioSelect
    )
    notes = forms.CharField(label=_("Notes and judgement"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    follow_up = forms.CharField(label=_("Follow-up actions"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.campaigns = {c.id: c for c in campaigns}
        self.fields["campaign"].choices = [("", _("None"))] + [(c.id, str(c)) for c in campaigns]
        if not campaigns:
            self.fields["campaign"].widget = forms.HiddenInput()
        self.fields["checked_on"].initial = timezone.localdate()

    def check_input(self) -> CheckInput:
        data = dict(self.cleaned_data)
        data["campaign"] = self.campaigns.get(data.get("campaign"))
        return CheckInput(**data)


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind of check"), choices=Check.Kind.choices, initial=Check.Kind.SAFETY)
    region = forms.ChoiceField(label=_("Region"))
    categories = forms.MultipleChoiceField(
        label=_("Categories"), choices=Category.choices, widget=forms.CheckboxSelectMultiple, initial=[Category.LEFT_BEHIND]
    )
    starts_on = forms.DateField(label=_("First day"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    deadline = forms.DateField(label=_("Deadline"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.regions = {r.code: r for r in regions}
        self.fields["region"].choices = [(r.code, f"{r.name} ({r.get_level_display()})") for r in regions]
        self.fields["starts_on"].initial = timezone.localdate()

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["region"] = self.regions.get(data["region"])
        return data


class QuarterForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(label=_("Quarter"), choices=[(q, q) for q in (1, 2, 3, 4)], coerce=int)
    region = forms.CharField(label=_("Region code"), required=False, max_length=12)
