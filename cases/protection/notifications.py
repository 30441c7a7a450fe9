"""The daily casework job (Celery beat, `casework_flag_overdue_task`): follow-ups past due,
plan measures past due, plans whose reassessment date has passed and reports past their
deadline are flagged to the caseworker, the township supervisor and the county officials —
once per item and state: each notification carries a key naming the item and the date it fell
due, so running the job again the same day (or the next) adds nothing for the same state.

Set-wise: one count and one INSERT … SELECT per kind of item (the items, their recipients and the
texts joined in the database, ON CONFLICT DO NOTHING on the key), so neither the time nor the
memory grows with Python objects per notification (benchmarks/cases.py: 138,000 notifications
built as one model instance each took 61 s; 86,000 this way about 3 s)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import CharField, Exists, F, IntegerField, OuterRef, QuerySet, Value
from django.db.models.functions import Cast, Concat, ExtractHour, ExtractMinute, LPad, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.protection.models import Case, CasePlan, CaseReport, FollowUp, PlanMeasure, ReviewStatus
from welfare.audit import audit_record
from welfare.models import User
from welfare.notifications import in_each_language, notifications_insert
from welfare.roles import Role

KIND = "casework"
CASE_LINK = "/cases/protection/cases/"
SCREENING_LINK = "/cases/protection/screening/"
OPEN_MEASURE = (PlanMeasure.Status.PLANNED, PlanMeasure.Status.IN_PROGRESS)


@dataclass
class CaseworkFlags:
    follow_ups: int = 0
    measures: int = 0
    plans: int = 0
    reports: int = 0
    notifications: int = 0

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def _titles() -> dict[str, dict[str, str]]:
    return in_each_language(
        lambda: {
            "follow_up": _("Case follow-up overdue"),
            "measure": _("Case plan measure past due"),
            "plan": _("Case plan due for reassessment"),
            "report": _("Report past its deadline, not yet screened"),
        }
    )


def _text(expression) -> Cast:
    return Cast(expression, output_field=CharField())


def _case_items(qs: QuerySet, *, case: str, due: str) -> QuerySet:
    """The columns the notifications of a case's item are made of: its key (the item and the date
    it fell due), body (that date), link (the case page), the caseworker, and the places whose
    township supervisor and county officials are told (the child's village, its township, its
    county)."""
    return qs.annotate(
        n_key=Concat(_text("pk"), Value(":"), _text(due)),
        n_body=_text(due),
        n_link=Concat(Value(CASE_LINK), _text(f"{case}_id"), Value("/")),
        n_worker=F(f"{case}__caseworker_id"),
        n_place=F(f"{case}__child__region_id"),
        n_place_parent=F(f"{case}__child__region__parent_id"),
        n_county=F(f"{case}__child__region__parent__parent_id"),
    ).values("n_key", "n_body", "n_link", "n_worker", "n_place", "n_place_parent", "n_county")


def _report_items(qs: QuerySet) -> QuerySet:
    """A report has no caseworker yet: the township supervisor of where it happened (a village's
    township, or the township itself) and the officials of the county it went to."""
    local_time = Concat(
        _text(TruncDate("respond_by")),
        Value(" "),
        LPad(_text(ExtractHour("respond_by")), 2, Value("0")),
        Value(":"),
        LPad(_text(ExtractMinute("respond_by")), 2, Value("0")),
    )
    return qs.annotate(
        n_key=Concat(_text("pk"), Value(":"), _text("respond_by")),
        n_body=local_time,
        n_link=Value(SCREENING_LINK),
        n_worker=Cast(Value(None), output_field=IntegerField()),  # typed: a bare NULL would be text
        n_place=F("region_id"),
        n_place_parent=F("region__parent_id"),
        n_county=F("county_id"),
    ).values("n_key", "n_body", "n_link", "n_worker", "n_place", "n_place_parent", "n_county")


def _notify(items: QuerySet, *, kind: str, titles: dict[str, dict[str, str]], now: datetime.datetime) -> int:
    """One INSERT … SELECT: a notification for each item and each of its recipients (the active
    caseworker, township supervisors, county officials; each user once per item), in the user's
    language, keyed `casework:<kind>:<item>:<due>:u<user>` — a key already there is skipped.
    Returns the number of notifications added."""
    user = User._meta.db_table
    return notifications_insert(
        items=items,
        recipients=[
            (f"JOIN {user} u ON u.id = i.n_worker WHERE u.is_active", []),
            (f"JOIN {user} u ON u.region_id IN (i.n_place, i.n_place_parent) WHERE u.role = %s AND u.is_active", [Role.TOWNSHIP_SUPERVISOR]),
            (f"JOIN {user} u ON u.region_id = i.n_county WHERE u.role = %s AND u.is_active", [Role.COUNTY_OFFICIAL]),
        ],
        kind=KIND,
        titles={code: by_kind[kind] for code, by_kind in titles.items()},
        key_prefix=f"{KIND}:{kind}:",
        now=now,
    )


def plans_in_force() -> QuerySet[CasePlan]:
    """The plan in force of every open case: its latest approved version (a version submitted or
    returned since does not replace it until approved)."""
    newer = CasePlan.objects.filter(case_id=OuterRef("case_id"), status=ReviewStatus.APPROVED, version__gt=OuterRef("version"))
    return CasePlan.objects.filter(status=ReviewStatus.APPROVED, case__status=Case.Status.OPEN).filter(~Exists(newer))


def casework_flag_overdue(*, today: datetime.date | None = None) -> CaseworkFlags:
    """Flag everything overdue: per kind of item one count and one INSERT … SELECT (a constant
    number of statements whatever the number of items)."""
    today = today or timezone.localdate()
    now = timezone.now()
    titles = _titles()
    result = CaseworkFlags()

    follow_ups = FollowUp.objects.filter(done_on__isnull=True, due_on__lt=today, case__status=Case.Status.OPEN)
    newer_version = CasePlan.objects.filter(
        case_id=OuterRef("plan__case_id"), status=ReviewStatus.APPROVED, version__gt=OuterRef("plan__version")
    )
    measures = PlanMeasure.objects.filter(
        status__in=OPEN_MEASURE, due_on__lt=today, plan__status=ReviewStatus.APPROVED, plan__case__status=Case.Status.OPEN
    ).filter(~Exists(newer_version))
    plans = plans_in_force().filter(review_on__lt=today)
    reports = CaseReport.objects.filter(status=CaseReport.Status.RECEIVED, respond_by__lt=now)

    result.follow_ups = follow_ups.count()
    result.notifications += _notify(_case_items(follow_ups, case="case", due="due_on"), kind="follow_up", titles=titles, now=now)
    result.measures = measures.count()
    result.notifications += _notify(_case_items(measures, case="plan__case", due="due_on"), kind="measure", titles=titles, now=now)
    result.plans = plans.count()
    result.notifications += _notify(_case_items(plans, case="case", due="review_on"), kind="plan", titles=titles, now=now)
    result.reports = reports.count()
    result.notifications += _notify(_report_items(reports), kind="report", titles=titles, now=now)
    if result.notifications:
        audit_record(actor=None, action="casework.notifications_sent", record_count=result.notifications, detail={"date": today.isoformat()})
    return result
