"""Forms of the casework pages. They parse input and hand it to cases/protection/services.py,
which holds every rule (police first, deadlines, three assessors, measures with due dates…):
the forms require nothing a service checks, so the service's message is the one shown."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.children.forms import DateInput, RegionCodeField
from cases.protection.models import Assessment, Case, CaseReport, PlanMeasure, RiskLevel
from cases.protection.services import AssessmentInput, ReportInput

BLANK: list[tuple[str, Any]] = [("", "---------")]
# Above this many children in scope the report form takes the child from the child's page
# (?child=ID) instead of listing them all in a drop-down.
CHILD_SELECT_MAX = 300
# Sources a report filed on the report page may have (the city's hotline page files `hotline`,
# checks file `check` themselves).
PAGE_SOURCES = ("mandatory_report", "walk_in", "police", "other")
AGENCIES = (
    _("Public security (police)"),
    _("School"),
    _("Hospital"),
    _("People's court"),
    _("People's procuratorate"),
    _("Women's federation"),
    _("Communist Youth League"),
    _("Village or residents' committee"),
)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def _text(rows: int = 3, **attrs) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, **attrs})


def _pick(label) -> forms.CharField:
    """A drop-down whose value is passed on as typed: the service decides (and says) whether the
    record chosen is allowed, so a forged value gets the same message as a wrong choice."""
    return forms.CharField(label=label, required=False, max_length=20, widget=forms.Select)


def _user_choices(users, empty_label) -> list[tuple[str, Any]]:
    return [("", empty_label)] + [
        (str(u.pk), f"{u.get_full_name() or u.username} · {u.get_role_display()} · {u.region.name if u.region else ''}")
        for u in users
    ]


class _ChildChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} · {obj.region.name}"


class _ReportFieldsForm(forms.Form):
    """What any report says (the report page and the city's hotline page)."""

    child_name = forms.CharField(label=_("Child's name"), max_length=50, required=False)
    concern = forms.ChoiceField(label=_("Concern"), choices=BLANK + CaseReport.Concern.choices, required=False)
    serious = forms.BooleanField(label=_("Serious injury"), required=False)
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=CaseReport.Urgency.choices, initial=CaseReport.Urgency.NORMAL, widget=forms.RadioSelect
    )
    police_notified_at = forms.DateTimeField(
        label=_("Police notified at"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("Required for sexual abuse, trafficking, abandonment and serious injury."),
    )
    reporter_type = forms.ChoiceField(
        label=_("Who reports"), choices=CaseReport.ReporterType.choices, initial=CaseReport.ReporterType.OTHER
    )
    reporter_name = forms.CharField(label=_("Reporter's name"), max_length=50, required=False)
    reporter_phone = forms.CharField(
        label=_("Reporter's phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )
    description = forms.CharField(label=_("What was seen or heard"), required=False, max_length=5000, widget=_text(4))

    def _input(self, *, source: str, region, child=None, received_at=None) -> ReportInput:
        data = self.cleaned_data
        return ReportInput(
            source=source,
            region=region,
            concern=data["concern"],
            description=data["description"],
            urgency=data["urgency"],
            reporter_type=data["reporter_type"],
            reporter_name=data["reporter_name"],
            reporter_phone=data["reporter_phone"],
            child=child,
            child_name=data["child_name"],
            serious=data["serious"],
            police_notified_at=data["police_notified_at"],
            received_at=received_at,
        )


class ReportForm(_ReportFieldsForm):
    """报告线索: one screen, anyone signed in."""

    child = _ChildChoiceField(label=_("The child, if registered"), queryset=None, required=False, empty_label=_("Not registered, or I do not know"))
    region = RegionCodeField(
        label=_("Where it happened (region code)"),
        required=False,
        max_length=12,
        help_text=_("The village, township or county code; the report goes to that county."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "list": "region-codes"}),
    )
    source = forms.ChoiceField(
        label=_("How the concern came in"),
        choices=[(c, CaseReport.Source(c).label) for c in PAGE_SOURCES],
        initial=CaseReport.Source.MANDATORY_REPORT,
    )

    field_order = [
        "child",
        "child_name",
        "region",
        "concern",
        "urgency",
        "serious",
        "police_notified_at",
        "source",
        "reporter_type",
        "reporter_name",
        "reporter_phone",
        "description",
    ]

    def __init__(self, *args, children, child_count: int, initial_region=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["child"])
        field.queryset = children
        if child_count > CHILD_SELECT_MAX:
            # Too many to list: the child comes from the child's page (?child=ID).
            field.widget = forms.HiddenInput()
        if initial_region is not None and not self.is_bound:
            self.fields["region"].initial = initial_region.code

    def report_input(self) -> ReportInput:
        child = self.cleaned_data.get("child")
        region = self.cleaned_data.get("region") or (child.region if child is not None else None)
        return self._input(source=self.cleaned_data["source"], region=region, child=child)


class HotlineForm(_ReportFieldsForm):
    """A 12349 hotline ticket recorded by the city, assigned to one of its counties."""

    county = forms.ChoiceField(label=_("Assigned to the county"))
    received_at = forms.DateTimeField(
        label=_("Call received at"), required=False, widget=DateTimeLocalInput(), help_text=_("Empty: now.")
    )

    field_order = [
        "county",
        "received_at",
        "child_name",
        "concern",
        "urgency",
        "serious",
        "police_notified_at",
        "reporter_type",
        "reporter_name",
        "reporter_phone",
        "description",
    ]

    def __init__(self, *args, counties, **kwargs):
        super().__init__(*args, **kwargs)
        self.counties = {c.code: c for c in counties}
        self.fields["county"].choices = BLANK + [(c.code, c.name) for c in counties]
        self.fields["county"].required = False
        self.fields["reporter_type"].initial = CaseReport.ReporterType.ANONYMOUS

    def clean_county(self):
        code = self.cleaned_data.get("county") or ""
        if code and code not in self.counties:
            raise forms.ValidationError(_("Assign the ticket to a county of your city."))
        return self.counties.get(code)

    def report_input(self) -> ReportInput:
        return self._input(
            source=CaseReport.Source.HOTLINE, region=self.cleaned_data["county"], received_at=self.cleaned_data["received_at"]
        )


class CallbackForm(forms.Form):
    callback_note = forms.CharField(label=_("What the caller was told"), required=False, max_length=2000, widget=_text(2))


# --- Screening ---------------------------------------------------------------------------------


class ScreenInForm(forms.Form):
    """Screen a report in: the child found by name among the county's children (or `new`, then
    the registration form below), the risk level and a caseworker."""

    child = forms.CharField(label=_("The child"), required=False, max_length=20)
    risk_level = forms.ChoiceField(
        label=_("Risk level"), choices=RiskLevel.choices, initial=RiskLevel.MEDIUM, widget=forms.RadioSelect
    )
    caseworker = _pick(_("Caseworker"))

    def __init__(self, *args, caseworkers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["caseworker"].widget.choices = _user_choices(caseworkers, _("Choose later"))

    @property
    def registers_a_child(self) -> bool:
        return (self.data.get(self.add_prefix("child")) or "") == "new"

    def child_id(self) -> int | None:
        value = (self.cleaned_data.get("child") or "").strip()
        return int(value) if value.isdigit() else None


class ScreenOutForm(forms.Form):
    reason = forms.CharField(label=_("Why the report is screened out"), required=False, max_length=2000, widget=_text(2))


# --- The case ----------------------------------------------------------------------------------


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), required=False, max_length=5000, widget=_text(3))


class FollowUpForm(forms.Form):
    done_on = forms.DateField(label=_("Follow-up done on"), required=False, widget=DateInput())
    notes = forms.CharField(label=_("What was seen and done"), required=False, max_length=5000, widget=_text(3))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["done_on"].initial = timezone.localdate


class AssessmentForm(forms.Form):
    """A guardianship assessment: assessors one per line, a grade, a risk level, needs by domain."""

    assessed_on = forms.DateField(label=_("Assessed on"), required=False, widget=DateInput())
    assessors = forms.CharField(
        label=_("Assessors"),
        required=False,
        max_length=1000,
        widget=_text(3),
        help_text=_("One name per line: at least three."),
    )
    grade = forms.ChoiceField(label=_("Guardianship grade"), choices=BLANK + Assessment.Grade.choices, required=False)
    risk_level = forms.ChoiceField(label=_("Risk level"), choices=BLANK + RiskLevel.choices, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessed_on"].initial = timezone.localdate
        for code, label in PlanMeasure.Domain.choices:
            self.fields[f"need_{code}"] = forms.CharField(
                label=_("Needs: %(domain)s") % {"domain": label}, required=False, max_length=1000, widget=_text(2)
            )

    def need_fields(self):
        return [self[f"need_{code}"] for code in PlanMeasure.Domain.values]

    def assessment_input(self) -> AssessmentInput:
        data = self.cleaned_data
        names = [line.strip() for line in (data["assessors"] or "").replace("，", "\n").replace("、", "\n").splitlines()]
        needs = {code: data[f"need_{code}"].strip() for code in PlanMeasure.Domain.values if data[f"need_{code}"].strip()}
        return AssessmentInput(
            assessed_on=data["assessed_on"],
            grade=data["grade"],
            risk_level=data["risk_level"],
            assessors=[n for n in names if n],
            needs=needs,
        )


class PlanForm(forms.Form):
    review_on = forms.DateField(
        label=_("Reassess on"), required=False, widget=DateInput(), help_text=_("Empty: in six months.")
    )


class MeasureForm(forms.Form):
    domain = forms.ChoiceField(label=_("Domain"), choices=BLANK + PlanMeasure.Domain.choices, required=False)
    action = forms.CharField(label=_("Action"), max_length=300, required=False)
    responsible = forms.CharField(label=_("Responsible (person or agency)"), max_length=100, required=False)
    due_on = forms.DateField(label=_("Due on"), required=False, widget=DateInput())


class BaseMeasureFormSet(forms.BaseFormSet):
    def measures(self) -> list[dict]:
        """The rows typed in (blank rows are skipped); the service checks each."""
        return [
            {
                "domain": f.cleaned_data.get("domain"),
                "action": f.cleaned_data.get("action"),
                "responsible": f.cleaned_data.get("responsible"),
                "due_on": f.cleaned_data.get("due_on"),
            }
            for f in self.forms
            if f.has_changed() and f.cleaned_data
        ]


MeasureFormSet = forms.formset_factory(MeasureForm, formset=BaseMeasureFormSet, extra=3, max_num=30, validate_max=True)
MEASURES_PREFIX = "measures"


def measure_formset(data=None) -> BaseMeasureFormSet:
    """The plan's measure rows. `add_row` in the posted data asks for one more row (no script)."""
    if data is not None and "add_row" in data:
        data = data.copy()
        key = f"{MEASURES_PREFIX}-TOTAL_FORMS"
        total = int(data.get(key) or 0) if str(data.get(key) or "0").isdigit() else 0
        data[key] = str(min(total + 1, 30))
    return cast(BaseMeasureFormSet, MeasureFormSet(data, prefix=MEASURES_PREFIX))


class ReviewForm(forms.Form):
    """Submit (the team), approve or return (a county official other than the submitter)."""

    action = forms.ChoiceField(
        choices=[("submit", _("Submit")), ("approve", _("Approve")), ("return", _("Return"))], widget=forms.HiddenInput
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000, widget=_text(2))


class MeasureProgressForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=PlanMeasure.Status.choices)


class ReferralForm(forms.Form):
    to_institution = _pick(_("Institution of the province"))
    to_agency = forms.CharField(
        label=_("Or an outside agency"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"list": "agencies", "autocomplete": "off"}),
    )
    service = forms.CharField(label=_("Service asked for"), max_length=200, required=False)
    consent = forms.CharField(
        label=_("Consent recorded"),
        max_length=200,
        required=False,
        help_text=_("Whose consent (guardian, child) and how, where the agency needs it."),
    )

    def __init__(self, *args, institutions=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [("", _("None: an outside agency"))]
        choices += [(str(i.pk), f"{i.name} · {i.region.name}") for i in institutions]
        self.fields["to_institution"].widget.choices = choices

    def clean_to_institution(self) -> int | None:
        # Any id is passed on: the service says when the institution is outside the province.
        value = (self.cleaned_data.get("to_institution") or "").strip()
        return int(value) if value.isdigit() else None


class ReferralAnswerForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[("accept", _("Accept")), ("decline", _("Decline")), ("complete", _("Completed"))], widget=forms.HiddenInput
    )
    reason = forms.CharField(label=_("Reason or note"), required=False, max_length=2000, widget=_text(2))


class CloseForm(forms.Form):
    closure_reason = forms.ChoiceField(label=_("Why the case closes"), choices=BLANK + Case.ClosureReason.choices, required=False)
    closure_note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=_text(2))


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Why the case is reopened"), required=False, max_length=2000, widget=_text(2))


class AssignForm(forms.Form):
    caseworker = _pick(_("Caseworker"))

    def __init__(self, *args, caseworkers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["caseworker"].widget.choices = _user_choices(caseworkers, "---------")
