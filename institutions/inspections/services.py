"""Writes of inspections, their findings and rectifications, and safety meetings. The only place
these rules change data.

- An inspection (announced, or unannounced: 四不两直) is recorded by a county or city official
  whose region contains the institution (`institutions.access.may_inspect`), with its findings:
  text, severity and a rectification deadline on or after the inspection.
- A finding is rectified (整改) by the institution's staff or the county officials over it
  (`may_rectify`), dated on or after the inspection, with a note; once.
- A safety-management meeting is recorded by the institution's staff or the county officials
  over it (`may_write_institution`)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from institutions.access import may_rectify, require_inspect, require_write_institution
from institutions.inspections.models import Finding, Inspection, SafetyMeeting
from institutions.models import Institution
from welfare.audit import audit_record
from welfare.errors import ApplicationError, PermissionDeniedError
from welfare.roles import Role

TEXT_LIMIT = 5000
MAX_FINDINGS = 50


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise ApplicationError(next(iter(errors.values())), field_errors=errors)


def _too_long(limit: int) -> str:
    return _("This is too long (at most %(n)d characters).") % {"n": limit}


def _date_error(value, *, today: datetime.date, missing) -> str | None:
    if value is None:
        return missing
    if value > today:
        return _("The date cannot be in the future.")
    return None


@dataclass(frozen=True)
class FindingInput:
    text: str
    severity: str = Finding.Severity.MEDIUM
    fix_by: datetime.date | None = None


@dataclass(frozen=True)
class InspectionInput:
    institution: Institution | None
    inspected_on: datetime.date | None
    unannounced: bool = False
    inspectors: str = ""
    summary: str = ""
    findings: tuple[FindingInput, ...] = field(default_factory=tuple)


def _finding_errors(findings: tuple[FindingInput, ...], *, inspected_on: datetime.date | None) -> dict[str, str]:
    """What is wrong with the findings: under `findings` the first problem naming the finding by
    its number, and each problem under `findings-<n>-<field>` (n from 0, as the page's formset)."""
    if len(findings) > MAX_FINDINGS:
        return {"findings": _("At most %(n)d findings per inspection.") % {"n": MAX_FINDINGS}}
    errors: dict[str, str] = {}
    for index, finding in enumerate(findings):
        problem, name = None, "text"
        if not (finding.text or "").strip():
            problem = _("describe what was found")
        elif len(finding.text) > TEXT_LIMIT:
            problem = _too_long(TEXT_LIMIT)
        elif finding.severity not in Finding.Severity.values:
            problem, name = _("choose its severity"), "severity"
        elif finding.fix_by is None:
            problem, name = _("give the rectification deadline"), "fix_by"
        elif inspected_on is not None and finding.fix_by < inspected_on:
            problem, name = _("the rectification deadline cannot be before the inspection"), "fix_by"
        if problem:
            message = _("Finding %(number)d: %(problem)s.") % {"number": index + 1, "problem": problem}
            errors.setdefault("findings", message)
            errors[f"findings-{index}-{name}"] = message
    return errors


def _level_of(user) -> str:
    return {Role.COUNTY_OFFICIAL: Inspection.Level.COUNTY, Role.CITY_OFFICIAL: Inspection.Level.CITY}.get(user.role, "")


@transaction.atomic
def inspection_record(*, by, data: InspectionInput) -> Inspection:
    """Record an inspection of an institution and its findings."""
    if data.institution is None:
        raise ApplicationError(_("Choose the institution."), field_errors={"institution": _("Choose the institution.")})
    require_inspect(by, data.institution)
    errors: dict[str, str] = {}
    problem = _date_error(data.inspected_on, today=timezone.localdate(), missing=_("Give the date of the inspection."))
    if problem:
        errors["inspected_on"] = problem
    if len(data.inspectors or "") > 200:
        errors["inspectors"] = _too_long(200)
    if len(data.summary or "") > TEXT_LIMIT:
        errors["summary"] = _too_long(TEXT_LIMIT)
    errors.update(_finding_errors(tuple(data.findings), inspected_on=data.inspected_on))
    _raise(errors)
    assert data.inspected_on is not None
    inspection = Inspection.objects.create(
        institution=data.institution,
        inspected_on=data.inspected_on,
        unannounced=bool(data.unannounced),
        inspectors=(data.inspectors or "").strip(),
        summary=(data.summary or "").strip(),
        level=_level_of(by),
        inspected_by=by if getattr(by, "pk", None) else None,
    )
    Finding.objects.bulk_create(
        Finding(inspection=inspection, text=f.text.strip(), severity=f.severity, fix_by=f.fix_by)  # type: ignore[misc]
        for f in data.findings
    )
    audit_record(
        actor=by,
        action="inspection.recorded",
        target=inspection,
        detail={
            "institution": data.institution.pk,
            "findings": len(data.findings),
            "unannounced": inspection.unannounced,
        },
    )
    return inspection


@transaction.atomic
def finding_rectify(*, by, finding: Finding, fixed_on: datetime.date | None, fix_note: str) -> Finding:
    """Record the rectification (整改) of a finding: dated on or after the inspection, with a note."""
    finding = (
        Finding.objects.select_for_update(of=("self",))
        .select_related("inspection__institution__region")
        .get(pk=finding.pk)
    )
    institution = finding.inspection.institution
    if not may_rectify(by, institution):
        raise PermissionDeniedError(
            _("A finding is rectified by the institution's staff or the county's civil-affairs officials.")
        )
    if finding.fixed_on is not None:
        message = _("This finding was already rectified on %(date)s.") % {"date": finding.fixed_on.isoformat()}
        raise ApplicationError(message, field_errors={"finding": message})
    errors: dict[str, str] = {}
    problem = _date_error(fixed_on, today=timezone.localdate(), missing=_("Give the date of the rectification."))
    if problem:
        errors["fixed_on"] = problem
    elif fixed_on is not None and fixed_on < finding.inspection.inspected_on:
        errors["fixed_on"] = _("The rectification cannot be dated before the inspection that found it (%(date)s).") % {
            "date": finding.inspection.inspected_on.isoformat()
        }
    if not (fix_note or "").strip():
        errors["fix_note"] = _("Say what was done.")
    elif len(fix_note) > TEXT_LIMIT:
        errors["fix_note"] = _too_long(TEXT_LIMIT)
    _raise(errors)
    finding.fixed_on, finding.fix_note = fixed_on, fix_note.strip()
    finding.fixed_by = by if getattr(by, "pk", None) else None
    finding.save(update_fields=["fixed_on", "fix_note", "fixed_by"])
    audit_record(actor=by, action="finding.rectified", target=finding, detail={"inspection": finding.inspection_id})
    return finding


@transaction.atomic
def safety_meeting_record(
    *, by, institution: Institution | None, held_on: datetime.date | None, attendees: str, topics: str
) -> SafetyMeeting:
    """Record a safety-management meeting of an institution."""
    if institution is None:
        raise ApplicationError(_("Choose the institution."), field_errors={"institution": _("Choose the institution.")})
    require_write_institution(by, institution)
    errors: dict[str, str] = {}
    problem = _date_error(held_on, today=timezone.localdate(), missing=_("Give the date of the meeting."))
    if problem:
        errors["held_on"] = problem
    for name, value, missing in (
        ("attendees", attendees, _("Say who attended.")),
        ("topics", topics, _("Say what was discussed.")),
    ):
        if not (value or "").strip():
            errors[name] = missing
        elif len(value) > TEXT_LIMIT:
            errors[name] = _too_long(TEXT_LIMIT)
    _raise(errors)
    assert held_on is not None
    meeting = SafetyMeeting.objects.create(
        institution=institution,
        held_on=held_on,
        attendees=attendees.strip(),
        topics=topics.strip(),
        recorded_by=by if getattr(by, "pk", None) else None,
    )
    audit_record(actor=by, action="safety_meeting.recorded", target=meeting, detail={"institution": institution.pk})
    return meeting
