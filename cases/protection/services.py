"""Writes of protection casework: the only place its rules change data.

Reports are filed by anyone with an account and go to the county of the place; the county
screens them in (a case opens, or the child's open case takes the report) or out (with a
reason). The case team — the caseworker, the township supervisor and the county officials of
the child's county — writes assessments, plans, referrals, follow-ups and notes; approvals are
by a county official other than the person who submitted."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.children.models import Child
from cases.protection.models import (
    Assessment,
    Case,
    CaseNote,
    CasePlan,
    CaseReport,
    FollowUp,
    PlanMeasure,
    Referral,
    ReviewStatus,
    RiskLevel,
)
from welfare.audit import audit_record
from welfare.errors import ApplicationError, PermissionDeniedError, field_error
from welfare.models import Region, User
from welfare.months import add_months
from welfare.roles import Role
from welfare.scoping import in_scope, is_institution_user
from welfare.validators import person_name_clean, phone_clean
from welfare.workdays import add_working_days

# Concerns that must have been reported to the police before the report is filed.
POLICE_FIRST = frozenset({"sexual_abuse", "trafficking", "abandonment"})
LIVE_REFERRALS = (Referral.Status.SENT, Referral.Status.ACCEPTED)


def _now() -> datetime.datetime:
    return timezone.now()


def county_of(region: Region) -> Region | None:
    """The county (or district) a region belongs to; None above county level."""
    if region.level == Region.Level.COUNTY:
        return region
    return region.ancestor_at(Region.Level.COUNTY)


# --------------------------------------------------------------------------------------------
# Who is on a case's team
# --------------------------------------------------------------------------------------------


def is_county_official_for(user, case: Case) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_admin_role:
        return True
    return user.role == Role.COUNTY_OFFICIAL and in_scope(user, case.child.region)


def on_case_team(user, case: Case) -> bool:
    """The caseworker, the township supervisor of the child's township and the county officials
    of the child's county (administrators too) write on the case."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_admin_role or (case.caseworker_id is not None and case.caseworker_id == user.pk):
        return True
    if user.role in (Role.TOWNSHIP_SUPERVISOR, Role.COUNTY_OFFICIAL):
        return in_scope(user, case.child.region)
    return False


def _require_team(user, case: Case) -> None:
    if not on_case_team(user, case):
        raise PermissionDeniedError(_("Only the case team may do this."))


def _require_county(user, case: Case) -> None:
    if not is_county_official_for(user, case):
        raise PermissionDeniedError(_("Only a county official of the child's county may do this."))


def _require_open(case: Case) -> None:
    if case.status != Case.Status.OPEN:
        raise ApplicationError(_("The case is closed."))


# --------------------------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------------------------


def respond_by_for(*, urgency: str, received_at: datetime.datetime) -> datetime.datetime:
    """The deadline of a report: 24 hours when immediate; 3 working days when urgent; 10 working
    days otherwise (Chinese working days, to the end of that day)."""
    if urgency == CaseReport.Urgency.IMMEDIATE:
        return received_at + datetime.timedelta(hours=24)
    days = 3 if urgency == CaseReport.Urgency.URGENT else 10
    local = timezone.localtime(received_at)
    last = add_working_days(local.date(), days)
    end = datetime.datetime.combine(last, datetime.time(23, 59, 59))
    return timezone.make_aware(end, timezone.get_current_timezone())


@dataclass(frozen=True)
class ReportInput:
    """What a report says. `region` is where it happened (a county or a place beneath it)."""

    source: str
    region: Region | None
    concern: str
    description: str
    urgency: str = CaseReport.Urgency.NORMAL
    reporter_type: str = CaseReport.ReporterType.OTHER
    reporter_name: str = ""
    reporter_phone: str = ""
    child: Child | None = None
    child_name: str = ""
    serious: bool = False
    police_notified_at: datetime.datetime | None = None
    received_at: datetime.datetime | None = None


def _report_errors(data: ReportInput, *, by) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.source not in CaseReport.Source.values or data.source == CaseReport.Source.CHECK:
        errors["source"] = _("Choose where the report comes from.")
    if data.reporter_type not in CaseReport.ReporterType.values:
        errors["reporter_type"] = _("Choose who reports.")
    if data.concern not in CaseReport.Concern.values:
        errors["concern"] = _("Choose the concern.")
    if data.urgency not in CaseReport.Urgency.values:
        errors["urgency"] = _("Choose the urgency.")
    if not (data.description or "").strip():
        errors["description"] = _("Describe what was seen or heard.")
    if data.region is None or county_of(data.region) is None:
        errors["region"] = _("Give the county, township or village where it happened.")
    if data.child is None and not (data.child_name or "").strip():
        errors["child_name"] = _("Give the child's name, or choose the child.")
    for name in ("reporter_name", "child_name"):
        try:
            person_name_clean(getattr(data, name) or "x")
        except ValidationError as exc:
            errors[name] = exc.messages[0]
    try:
        phone_clean(data.reporter_phone)
    except ValidationError as exc:
        errors["reporter_phone"] = exc.messages[0]
    police_first = data.concern in POLICE_FIRST or (data.concern == CaseReport.Concern.INJURY and data.serious)
    if police_first and data.police_notified_at is None:
        errors["police_notified_at"] = _(
            "Sexual abuse, trafficking, abandonment and serious injury are reported to the police first: give when the police were told."
        )
    now = _now()
    for name in ("police_notified_at", "received_at"):
        value = getattr(data, name)
        if value is not None and value > now + datetime.timedelta(minutes=5):
            errors[name] = _("The date cannot be in the future.")
    if data.source == CaseReport.Source.HOTLINE:
        if not (by.is_admin_role or by.role == Role.CITY_OFFICIAL):
            errors["source"] = _("Hotline tickets are recorded by the city.")
        elif data.region is not None and not in_scope(by, data.region):
            errors["region"] = _("Assign the ticket to a county of your city.")
    return errors


@transaction.atomic
def report_file(*, by: User, data: ReportInput) -> CaseReport:
    """File a report about a child anywhere; it goes to the county of the place."""
    if not getattr(by, "is_authenticated", False) or not by.is_active:
        raise PermissionDeniedError(_("Sign in to file a report."))
    errors = _report_errors(data, by=by)
    child = data.child
    if child is not None and data.region is not None and county_of(child.region) != county_of(data.region):
        child = None  # a child of another county: the county of the place registers or finds them
    if errors:
        raise ApplicationError(next(iter(errors.values())), field_errors=errors)
    county = county_of(data.region) if data.region is not None else None
    assert data.region is not None and county is not None  # _report_errors refused anything else
    received_at = data.received_at or _now()
    report = CaseReport.objects.create(
        source=data.source,
        reporter_type=data.reporter_type,
        reporter_name=person_name_clean(data.reporter_name) if data.reporter_name else "",
        reporter_phone=phone_clean(data.reporter_phone),
        child=child,
        child_name=(data.child_name or (child.name if child else "")).strip(),
        region=data.region,
        county=county,
        concern=data.concern,
        serious=data.serious,
        urgency=data.urgency,
        description=data.description.strip(),
        police_notified_at=data.police_notified_at,
        received_at=received_at,
        respond_by=respond_by_for(urgency=data.urgency, received_at=received_at),
        filed_by=by,
    )
    audit_record(actor=by, action="case_report.filed", target=report, detail={"source": report.source, "concern": report.concern})
    return report


def report_from_check(*, check, by: User) -> CaseReport | None:
    """A check that found high risk, or noted a guardianship risk, puts one report in the
    county's queue (source `check`), in the check's transaction; once per check."""
    if check.risk_level != "high" and not (check.guardianship_risk or "").strip():
        return None
    if CaseReport.objects.filter(check_record=check).exists():
        return None
    child = check.child
    now = _now()
    urgency = CaseReport.Urgency.URGENT if check.risk_level == "high" else CaseReport.Urgency.NORMAL
    concern = CaseReport.Concern.GUARDIANSHIP_MISSING if (check.guardianship_risk or "").strip() else CaseReport.Concern.OTHER
    text = "\n".join(x for x in (check.guardianship_risk, check.safety_risk, check.notes) if (x or "").strip())
    county = county_of(child.region)
    if county is None:
        return None
    report = CaseReport.objects.create(
        source=CaseReport.Source.CHECK,
        reporter_type=CaseReport.ReporterType.OTHER,
        child=child,
        child_name=child.name,
        region=child.region,
        county=county,
        concern=concern,
        urgency=urgency,
        description=text or _("A check found a high risk."),
        received_at=now,
        respond_by=respond_by_for(urgency=urgency, received_at=now),
        check_record=check,
        filed_by=by,
    )
    audit_record(actor=by, action="case_report.from_check", target=report)
    return report


def _require_screener(by, report: CaseReport) -> None:
    if not (by.is_admin_role or (by.role == Role.COUNTY_OFFICIAL and in_scope(by, report.county))):
        raise PermissionDeniedError(_("Reports are screened by the county they went to."))


def follow_up_due_after(day: datetime.date, risk_level: str) -> datetime.date:
    """The next follow-up after `day`: high risk every 2 weeks, medium monthly, low every 3
    months (settings CASE_FOLLOW_UP_HIGH_DAYS, _MEDIUM_MONTHS, _LOW_MONTHS)."""
    if risk_level == RiskLevel.HIGH:
        return day + datetime.timedelta(days=settings.CASE_FOLLOW_UP_HIGH_DAYS)
    months = settings.CASE_FOLLOW_UP_MEDIUM_MONTHS if risk_level == RiskLevel.MEDIUM else settings.CASE_FOLLOW_UP_LOW_MONTHS
    return add_months(day, months)


def _schedule_follow_up(case: Case, *, after: datetime.date) -> None:
    """Keep exactly one open follow-up, due from the case's risk level."""
    due = follow_up_due_after(after, case.risk_level)
    open_ups = FollowUp.objects.filter(case=case, done_on__isnull=True)
    if open_ups.exists():
        open_ups.update(due_on=due)
    else:
        FollowUp.objects.create(case=case, due_on=due)
    case.next_follow_up_due = due
    case.save(update_fields=["next_follow_up_due"])


def _open_case_for(*, child: Child, by: User, risk_level: str, opened_from: str, caseworker: User | None) -> Case:
    """The child's open case, or a new one (one open case per child, a database constraint)."""
    existing = Case.objects.select_for_update().filter(child=child, status=Case.Status.OPEN).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    try:
        with transaction.atomic():
            case = Case.objects.create(
                child=child, risk_level=risk_level, opened_on=today, opened_from=opened_from, caseworker=caseworker
            )
    except IntegrityError:
        # Another report of the same child was screened in at the same moment: join its case.
        return Case.objects.select_for_update().get(child=child, status=Case.Status.OPEN)
    _schedule_follow_up(case, after=today)
    audit_record(actor=by, action="case.opened", target=case, detail={"from": opened_from})
    return case


def _caseworker_for(*, by: User, caseworker_id, child: Child) -> User | None:
    if caseworker_id in (None, ""):
        return None
    worker = User.objects.filter(pk=caseworker_id, is_active=True).select_related("region").first()
    if worker is None or worker.region is None or not worker.region.contains(child.region) or worker.role not in (
        Role.VILLAGE_DIRECTOR,
        Role.TOWNSHIP_SUPERVISOR,
        Role.COUNTY_OFFICIAL,
    ):
        raise field_error("caseworker", _("The caseworker must work in the child's village, township or county."))
    return worker


@transaction.atomic
def report_screen_in(
    *,
    by: User,
    report_id: int,
    child: Child | None = None,
    new_child: dict | None = None,
    risk_level: str = RiskLevel.MEDIUM,
    caseworker_id=None,
) -> CaseReport:
    """Screen a report in: it opens a case, or joins the child's open case. A child not yet
    registered is registered first (`new_child`, the same rules as any registration)."""
    report = CaseReport.objects.select_for_update(of=("self",)).select_related("child", "county").filter(pk=report_id).first()
    if report is None:
        raise field_error("report", _("There is no such report."))
    _require_screener(by, report)
    if report.status != CaseReport.Status.RECEIVED:
        raise field_error("status", _("This report has already been screened."))
    if risk_level not in RiskLevel.values:
        raise field_error("risk_level", _("Choose the risk level."))
    target = report.child or child
    if target is None and new_child:
        from cases.children.services import child_register

        target = child_register(by=by, screening=True, **new_child)
    if target is None:
        raise field_error("child", _("Choose the child, or register them, before screening the report in."))
    if not in_scope(by, target.region) and not by.is_admin_role:
        raise PermissionDeniedError(_("This child is outside your area of responsibility."))
    worker = _caseworker_for(by=by, caseworker_id=caseworker_id, child=target)
    opened_from = Case.OpenedFrom.CHECK if report.source == CaseReport.Source.CHECK else Case.OpenedFrom.REPORT
    case = _open_case_for(child=target, by=by, risk_level=risk_level, opened_from=opened_from, caseworker=worker)
    if worker is not None and case.caseworker_id is None:
        case.caseworker = worker
        case.save(update_fields=["caseworker"])
    report.child, report.case = target, case
    report.status, report.screened_by, report.screened_at = CaseReport.Status.SCREENED_IN, by, _now()
    report.save(update_fields=["child", "case", "status", "screened_by", "screened_at"])
    audit_record(actor=by, action="case_report.screened_in", target=report, detail={"case": case.pk})
    return report


@transaction.atomic
def report_screen_out(*, by: User, report_id: int, reason: str) -> CaseReport:
    report = CaseReport.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        raise field_error("report", _("There is no such report."))
    _require_screener(by, report)
    if report.status != CaseReport.Status.RECEIVED:
        raise field_error("status", _("This report has already been screened."))
    if not (reason or "").strip():
        raise field_error("reason", _("Give the reason the report is screened out."))
    report.status, report.reason = CaseReport.Status.SCREENED_OUT, reason.strip()
    report.screened_by, report.screened_at = by, _now()
    report.save(update_fields=["status", "reason", "screened_by", "screened_at"])
    audit_record(actor=by, action="case_report.screened_out", target=report)
    return report


@transaction.atomic
def report_record_callback(*, by: User, report_id: int, note: str) -> CaseReport:
    """The city calls the hotline caller back and notes what was said."""
    report = CaseReport.objects.select_for_update().filter(pk=report_id, source=CaseReport.Source.HOTLINE).first()
    if report is None:
        raise field_error("report", _("There is no such hotline ticket."))
    if not (by.is_admin_role or (by.role == Role.CITY_OFFICIAL and in_scope(by, report.county))):
        raise PermissionDeniedError(_("The city that took the call calls the caller back."))
    if not (note or "").strip():
        raise field_error("callback_note", _("Note what the caller was told."))
    report.callback_at, report.callback_note = _now(), note.strip()
    report.save(update_fields=["callback_at", "callback_note"])
    audit_record(actor=by, action="case_report.called_back", target=report)
    return report


@transaction.atomic
def report_reporter_reveal(*, by: User, report_id: int, ip_address: str | None = None) -> dict[str, str]:
    """The reporter's name and phone in full, for the county that screens the report (they are
    masked everywhere else). Logged like an identity-number reveal."""
    report = CaseReport.objects.select_related("county").filter(pk=report_id).first()
    if report is None:
        raise field_error("report", _("There is no such report."))
    _require_screener(by, report)
    if not (report.reporter_name or report.reporter_phone):
        raise ApplicationError(_("No reporter's name or phone is recorded for this report."))
    audit_record(
        actor=by, action="case_report.reporter_revealed", target=report, record_count=1, ip_address=ip_address
    )
    return {"reporter_name": report.reporter_name, "reporter_phone": report.reporter_phone}


# --------------------------------------------------------------------------------------------
# The case
# --------------------------------------------------------------------------------------------


def case_read_record(*, by: User, case: Case, ip_address: str | None = None) -> None:
    """Every read of a case page or of a case in the API leaves an access-log row (who, when,
    which case): case content is the most sensitive data of the system."""
    audit_record(actor=by, action="case.read", target=case, record_count=1, ip_address=ip_address)


def _locked_case(case_id) -> Case:
    case = Case.objects.select_for_update().select_related("child__region").filter(pk=case_id).first()
    if case is None:
        raise field_error("case", _("There is no such case."))
    return case


@transaction.atomic
def case_open(*, by: User, child: Child, risk_level: str = RiskLevel.MEDIUM, caseworker_id=None) -> Case:
    """The county opens a case without a report (manual)."""
    if not (by.is_admin_role or (by.role == Role.COUNTY_OFFICIAL and in_scope(by, child.region))):
        raise PermissionDeniedError(_("Only a county official of the child's county may do this."))
    if risk_level not in RiskLevel.values:
        raise field_error("risk_level", _("Choose the risk level."))
    if Case.objects.filter(child=child, status=Case.Status.OPEN).exists():
        raise field_error("child", _("The child already has an open case."))
    worker = _caseworker_for(by=by, caseworker_id=caseworker_id, child=child)
    return _open_case_for(child=child, by=by, risk_level=risk_level, opened_from=Case.OpenedFrom.MANUAL, caseworker=worker)


@transaction.atomic
def case_assign(*, by: User, case_id: int, caseworker_id) -> Case:
    case = _locked_case(case_id)
    _require_county(by, case)
    worker = _caseworker_for(by=by, caseworker_id=caseworker_id, child=case.child)
    case.caseworker = worker
    case.save(update_fields=["caseworker"])
    audit_record(actor=by, action="case.assigned", target=case, detail={"caseworker": getattr(worker, "pk", None)})
    return case


@transaction.atomic
def case_close(*, by: User, case_id: int, closure_reason: str, note: str = "") -> Case:
    """Close a case (the county's approval). Refused while a referral is still sent or accepted,
    unless the note says why."""
    case = _locked_case(case_id)
    _require_county(by, case)
    _require_open(case)
    if closure_reason not in Case.ClosureReason.values:
        raise field_error("closure_reason", _("Choose why the case is closed."))
    note = (note or "").strip()
    if closure_reason == Case.ClosureReason.OTHER and not note:
        raise field_error("closure_note", _("Say why the case is closed."))
    if not note and Referral.objects.filter(case=case, status__in=LIVE_REFERRALS).exists():
        raise field_error("closure_note", _("A referral is still waiting or under way: say why the case closes anyway."))
    case.status, case.closure_reason, case.closure_note = Case.Status.CLOSED, closure_reason, note
    case.closed_on, case.closed_by, case.next_follow_up_due = timezone.localdate(), by, None
    case.save(update_fields=["status", "closure_reason", "closure_note", "closed_on", "closed_by", "next_follow_up_due"])
    audit_record(actor=by, action="case.closed", target=case, detail={"reason": closure_reason})
    return case


@transaction.atomic
def case_reopen(*, by: User, case_id: int, reason: str) -> Case:
    """Reopen a closed case; its history stays. Refused when the child has another open case."""
    case = _locked_case(case_id)
    _require_county(by, case)
    if case.status != Case.Status.CLOSED:
        raise field_error("status", _("The case is open."))
    if not (reason or "").strip():
        raise field_error("reason", _("Say why the case is reopened."))
    if Case.objects.filter(child=case.child, status=Case.Status.OPEN).exists():
        raise field_error("status", _("The child already has an open case."))
    # The closure stays in the case's history; the open case no longer shows a closure reason.
    case.status, case.closed_on, case.closed_by = Case.Status.OPEN, None, None
    case.closure_reason, case.closure_note = "", ""
    case.save(update_fields=["status", "closed_on", "closed_by", "closure_reason", "closure_note"])
    CaseNote.objects.create(case=case, written_by=by, text=_("Reopened: %(reason)s") % {"reason": reason.strip()})
    _schedule_follow_up(case, after=timezone.localdate())
    audit_record(actor=by, action="case.reopened", target=case)
    return case


@transaction.atomic
def case_note_add(*, by: User, case_id: int, text: str) -> CaseNote:
    case = _locked_case(case_id)
    _require_team(by, case)
    if not (text or "").strip():
        raise field_error("text", _("Write the note."))
    note = CaseNote.objects.create(case=case, written_by=by, text=text.strip())
    audit_record(actor=by, action="case.note_added", target=case)
    return note


# --------------------------------------------------------------------------------------------
# Guardianship assessments
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentInput:
    assessed_on: datetime.date | None
    grade: str
    risk_level: str
    assessors: list[str] = field(default_factory=list)
    needs: dict = field(default_factory=dict)


def _assessment_errors(data: AssessmentInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.assessed_on is None:
        errors["assessed_on"] = _("Give the date of the assessment.")
    elif data.assessed_on > timezone.localdate():
        errors["assessed_on"] = _("The date cannot be in the future.")
    if data.grade not in Assessment.Grade.values:
        errors["grade"] = _("Choose the guardianship grade.")
    if data.risk_level not in RiskLevel.values:
        errors["risk_level"] = _("Choose the risk level.")
    names = [str(n).strip() for n in (data.assessors or []) if str(n).strip()]
    if len(set(names)) < 3:
        errors["assessors"] = _("Name at least three assessors.")
    if not isinstance(data.needs, dict) or any(k not in PlanMeasure.Domain.values for k in data.needs):
        errors["needs"] = _("Needs are given by domain: safety, health, education, psychological, living.")
    return errors


@transaction.atomic
def assessment_create(*, by: User, case_id: int, data: AssessmentInput) -> Assessment:
    case = _locked_case(case_id)
    _require_team(by, case)
    _require_open(case)
    errors = _assessment_errors(data)
    if errors:
        raise ApplicationError(next(iter(errors.values())), field_errors=errors)
    assert data.assessed_on is not None  # _assessment_errors refused a missing date
    assessment = Assessment.objects.create(
        case=case,
        assessed_on=data.assessed_on,
        grade=data.grade,
        risk_level=data.risk_level,
        assessors=[str(n).strip() for n in data.assessors if str(n).strip()],
        needs={k: str(v) for k, v in data.needs.items()},
        written_by=by,
    )
    audit_record(actor=by, action="assessment.written", target=assessment)
    return assessment


def _locked(model, pk, label):
    row = model.objects.select_for_update().select_related("case__child__region").filter(pk=pk).first()
    if row is None:
        raise field_error(label, _("There is no such record."))
    return row


@transaction.atomic
def assessment_submit(*, by: User, assessment_id: int) -> Assessment:
    a = _locked(Assessment, assessment_id, "assessment")
    return _review_submit(a, by=by, refusal=_("Only a draft or a returned assessment can be submitted."), action="assessment.submitted")


def _review_submit(row, *, by: User, refusal, action: str):
    """The team submits a draft or returned assessment or plan to the county."""
    _require_team(by, row.case)
    _require_open(row.case)
    if row.status not in (ReviewStatus.DRAFT, ReviewStatus.RETURNED):
        raise field_error("status", refusal)
    row.status, row.submitted_by = ReviewStatus.SUBMITTED, by
    row.save(update_fields=["status", "submitted_by"])
    audit_record(actor=by, action=action, target=row)
    return row


def _require_other_approver(by: User, submitted_by_id: int | None, case: Case) -> None:
    _require_county(by, case)
    if submitted_by_id == by.pk:
        raise PermissionDeniedError(_("Nobody approves what they submitted themselves."))


@transaction.atomic
def assessment_decide(*, by: User, assessment_id: int, approve: bool, comment: str = "") -> Assessment:
    """Approve (the case takes the assessment's risk level) or return with a comment."""
    a = _locked(Assessment, assessment_id, "assessment")
    refusal = _("Only a submitted assessment can be approved or returned.")
    _review_decide(a, by=by, approve=approve, comment=comment, refusal=refusal, action="assessment")
    if approve and a.case.risk_level != a.risk_level:
        case = a.case
        case.risk_level = a.risk_level
        case.save(update_fields=["risk_level"])
        _schedule_follow_up(case, after=timezone.localdate())
    return a


def _review_decide(row, *, by: User, approve: bool, comment: str, refusal, action: str) -> None:
    """A county official other than the submitter approves, or returns with a comment."""
    if row.status != ReviewStatus.SUBMITTED:
        raise field_error("status", refusal)
    _require_other_approver(by, row.submitted_by_id, row.case)
    if not approve and not (comment or "").strip():
        raise field_error("comment", _("Say what to change."))
    row.status = ReviewStatus.APPROVED if approve else ReviewStatus.RETURNED
    row.decided_by, row.decided_at, row.comment = by, _now(), (comment or "").strip()
    row.save(update_fields=["status", "decided_by", "decided_at", "comment"])
    audit_record(actor=by, action=f"{action}.approved" if approve else f"{action}.returned", target=row)


# --------------------------------------------------------------------------------------------
# Case plans (一案一策)
# --------------------------------------------------------------------------------------------


def _clean_measures(measures) -> list[dict]:
    if not isinstance(measures, list) or not measures:
        raise field_error("measures", _("A plan needs at least one measure."))
    out = []
    for i, m in enumerate(measures, start=1):
        if not isinstance(m, dict):
            raise field_error("measures", _("Measure %(n)s: give its domain, action, who is responsible and the due date.") % {"n": i})
        domain, action = m.get("domain"), str(m.get("action") or "").strip()
        responsible, due = str(m.get("responsible") or "").strip(), m.get("due_on")
        if isinstance(due, str):
            try:
                due = datetime.date.fromisoformat(due)
            except ValueError:
                due = None
        status = m.get("status") or PlanMeasure.Status.PLANNED
        if domain not in PlanMeasure.Domain.values or not action or not responsible:
            raise field_error("measures", _("Measure %(n)s: give its domain, action, who is responsible and the due date.") % {"n": i})
        if not isinstance(due, datetime.date):
            raise field_error("measures", _("Measure %(n)s: give the due date (YYYY-MM-DD).") % {"n": i})
        if status not in PlanMeasure.Status.values:
            raise field_error("measures", _("Measure %(n)s: unknown status.") % {"n": i})
        out.append({"domain": domain, "action": action[:300], "responsible": responsible[:100], "due_on": due, "status": status})
    return out


@transaction.atomic
def plan_create(*, by: User, case_id: int, measures: list, review_on: datetime.date | None = None) -> CasePlan:
    """A new version of the case plan (the previous versions stay as they are)."""
    case = _locked_case(case_id)
    _require_team(by, case)
    _require_open(case)
    cleaned = _clean_measures(measures)
    today = timezone.localdate()
    review_on = review_on or add_months(today, settings.CASE_PLAN_REVIEW_MONTHS)
    if review_on < today:
        raise field_error("review_on", _("The reassessment date cannot be in the past."))
    version = (CasePlan.objects.filter(case=case).aggregate(v=Max("version"))["v"] or 0) + 1
    plan = CasePlan.objects.create(case=case, version=version, review_on=review_on, written_by=by)
    PlanMeasure.objects.bulk_create(PlanMeasure(plan=plan, **m) for m in cleaned)
    audit_record(actor=by, action="case_plan.written", target=plan, detail={"version": version})
    return plan


@transaction.atomic
def plan_submit(*, by: User, plan_id: int) -> CasePlan:
    plan = _locked(CasePlan, plan_id, "plan")
    return _review_submit(plan, by=by, refusal=_("Only a draft or a returned plan can be submitted."), action="case_plan.submitted")


@transaction.atomic
def plan_decide(*, by: User, plan_id: int, approve: bool, comment: str = "") -> CasePlan:
    """Approve (the version is frozen) or return with a comment."""
    plan = _locked(CasePlan, plan_id, "plan")
    refusal = _("Only a submitted plan can be approved or returned.")
    _review_decide(plan, by=by, approve=approve, comment=comment, refusal=refusal, action="case_plan")
    return plan


@transaction.atomic
def measure_progress(*, by: User, measure_id: int, status: str) -> PlanMeasure:
    """Record how a measure of an approved plan is going (the plan itself stays frozen)."""
    measure = PlanMeasure.objects.select_for_update().select_related("plan__case__child__region").filter(pk=measure_id).first()
    if measure is None:
        raise field_error("measure", _("There is no such record."))
    _require_team(by, measure.plan.case)
    if status not in PlanMeasure.Status.values:
        raise field_error("status", _("Choose the measure's status."))
    measure.status = status
    measure.save(update_fields=["status"])
    audit_record(actor=by, action="plan_measure.progress", target=measure.plan, detail={"measure": measure.pk, "status": status})
    return measure


# --------------------------------------------------------------------------------------------
# Referrals (转介)
# --------------------------------------------------------------------------------------------


@transaction.atomic
def referral_send(
    *, by: User, case_id: int, service: str, to_institution=None, to_agency: str = "", consent: str = ""
) -> Referral:
    case = _locked_case(case_id)
    _require_team(by, case)
    _require_open(case)
    if not (service or "").strip():
        raise field_error("service", _("Say what service is asked for."))
    to_agency = (to_agency or "").strip()
    if (to_institution is None) == (not to_agency):
        raise field_error("to_agency", _("Refer to one institution of the system or to one outside agency."))
    if to_institution is not None:
        province = case.child.region.ancestor_codes()[0]
        if to_institution.region.ancestor_codes()[0] != province:
            raise field_error("to_institution", _("Refer to an institution of the child's province."))
    referral = Referral.objects.create(
        case=case,
        to_institution=to_institution,
        to_agency=to_agency[:100],
        service=service.strip()[:200],
        consent=(consent or "").strip()[:200],
        sent_on=timezone.localdate(),
        sent_by=by,
    )
    audit_record(actor=by, action="referral.sent", target=referral)
    return referral


def referral_may_answer(by: User, referral: Referral) -> bool:
    """Whether `by` answers the referral (the pages show the answer buttons by it)."""
    return getattr(by, "is_authenticated", False) and by.is_active and _may_answer(by, referral)


def _may_answer(by: User, referral: Referral) -> bool:
    if referral.to_institution_id is not None:
        return by.is_admin_role or (is_institution_user(by) and by.institution_id == referral.to_institution_id)
    return on_case_team(by, referral.case)


@transaction.atomic
def referral_answer(*, by: User, referral_id: int, outcome: str, reason: str = "") -> Referral:
    """`accept`, `decline` (with a reason) or `complete` a referral: an institution's staff answer
    for their institution; the case team records an outside agency's answer."""
    referral = _locked(Referral, referral_id, "referral")
    if not _may_answer(by, referral):
        raise PermissionDeniedError(_("Only the institution referred to may answer this referral."))
    allowed = {
        "accept": ((Referral.Status.SENT,), Referral.Status.ACCEPTED),
        "decline": ((Referral.Status.SENT,), Referral.Status.DECLINED),
        "complete": ((Referral.Status.ACCEPTED,), Referral.Status.COMPLETED),
    }
    if outcome not in allowed:
        raise field_error("outcome", _("Unknown answer."))
    before, after = allowed[outcome]
    if referral.status not in before:
        raise field_error("status", _("This referral cannot be answered so in its present state."))
    if outcome == "decline" and not (reason or "").strip():
        raise field_error("reason", _("Give the reason the referral is declined."))
    referral.status, referral.answered_by, referral.answered_at = after, by, _now()
    if (reason or "").strip():
        referral.reason = reason.strip()
    referral.save(update_fields=["status", "answered_by", "answered_at", "reason"])
    audit_record(actor=by, action=f"referral.{after}", target=referral)
    return referral


# --------------------------------------------------------------------------------------------
# Follow-ups
# --------------------------------------------------------------------------------------------


@transaction.atomic
def follow_up_record(*, by: User, case_id: int, done_on: datetime.date | None, notes: str = "") -> FollowUp:
    """Record a follow-up done on a day; the next one is scheduled from the case's risk level."""
    case = _locked_case(case_id)
    _require_team(by, case)
    _require_open(case)
    if done_on is None:
        raise field_error("done_on", _("Give the date of the follow-up."))
    if done_on > timezone.localdate():
        raise field_error("done_on", _("The date cannot be in the future."))
    if done_on < case.opened_on:
        raise field_error("done_on", _("The follow-up cannot be before the case opened."))
    pending = FollowUp.objects.filter(case=case, done_on__isnull=True).order_by("due_on").first()
    if pending is None:
        pending = FollowUp(case=case, due_on=done_on)
    pending.done_on, pending.notes, pending.done_by = done_on, (notes or "").strip(), by
    pending.save()
    _schedule_follow_up(case, after=done_on)
    audit_record(actor=by, action="follow_up.recorded", target=case)
    return pending
