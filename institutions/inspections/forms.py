"""Forms of the inspection (四不两直), rectification (整改) and safety-meeting pages. They parse
input and hand it to institutions/inspections/services.py, which holds every rule (the
institution in one's scope, a deadline for each finding, a rectification not before its
finding…): the forms require nothing a service checks, so the service's message is shown."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.children.forms import DateInput
from institutions.inspections.models import Finding
from institutions.inspections.services import FindingInput, InspectionInput

BLANK: list[tuple[str, Any]] = [("", "---------")]
FINDINGS_PREFIX = "findings"
FINDINGS_MAX = 30


def _text(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class InspectionForm(forms.Form):
    inspected_on = forms.DateField(label=_("Inspected on"), required=False, widget=DateInput())
    unannounced = forms.TypedChoiceField(
        label=_("Kind of inspection"),
        choices=[("1", _("Unannounced (四不两直)")), ("0", _("Announced"))],
        coerce=lambda v: v == "1",
        initial="1",
        widget=forms.RadioSelect,
    )
    inspectors = forms.CharField(
        label=_("Inspectors"), max_length=200, required=False, help_text=_("Names, separated by commas.")
    )
    summary = forms.CharField(label=_("Summary"), max_length=5000, required=False, widget=_text(3))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inspected_on"].initial = timezone.localdate

    def inspection_input(self, *, institution, findings: tuple[FindingInput, ...]) -> InspectionInput:
        d = self.cleaned_data
        return InspectionInput(
            institution=institution,
            inspected_on=d["inspected_on"],
            unannounced=d["unannounced"],
            inspectors=d["inspectors"],
            summary=d["summary"],
            findings=findings,
        )


class FindingForm(forms.Form):
    text = forms.CharField(label=_("Finding"), max_length=2000, required=False, widget=_text(2))
    severity = forms.ChoiceField(label=_("Severity"), choices=Finding.Severity.choices, initial=Finding.Severity.MEDIUM)
    fix_by = forms.DateField(label=_("Rectify by"), required=False, widget=DateInput())


class BaseFindingFormSet(forms.BaseFormSet):
    def findings(self) -> tuple[FindingInput, ...]:
        """The findings typed in (rows without text are skipped); the service checks each."""
        return tuple(
            FindingInput(text=f.cleaned_data.get("text", ""), severity=f.cleaned_data.get("severity", ""), fix_by=f.cleaned_data.get("fix_by"))
            for f in self.forms
            if f.cleaned_data and (f.cleaned_data.get("text") or "").strip()
        )


FindingFormSet = forms.formset_factory(FindingForm, formset=BaseFindingFormSet, extra=2, max_num=FINDINGS_MAX, validate_max=True)


def finding_formset(data=None) -> BaseFindingFormSet:
    """The inspection's finding rows. `add_row` in the posted data asks for one more (no script)."""
    if data is not None and "add_row" in data:
        data = data.copy()
        key = f"{FINDINGS_PREFIX}-TOTAL_FORMS"
        raw = str(data.get(key) or "0")
        total = int(raw) if raw.isdigit() else 0
        data[key] = str(min(total + 1, FINDINGS_MAX))
    return cast(BaseFindingFormSet, FindingFormSet(data, prefix=FINDINGS_PREFIX))


class RectifyForm(forms.Form):
    fixed_on = forms.DateField(label=_("Rectified on"), required=False, widget=DateInput())
    fix_note = forms.CharField(label=_("What was done"), max_length=5000, required=False, widget=_text(3))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fixed_on"].initial = timezone.localdate


class SafetyMeetingForm(forms.Form):
    held_on = forms.DateField(label=_("Held on"), required=False, widget=DateInput())
    attendees = forms.CharField(label=_("Attendees"), max_length=2000, required=False, widget=_text(2))
    topics = forms.CharField(label=_("Topics"), max_length=5000, required=False, widget=_text(3))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["held_on"].initial = timezone.localdate
