"""Reads of protection casework, scoped by role (case content is the most sensitive data of the
system):

- village director: the cases where they are the caseworker;
- township supervisor and county official: the cases of children living in their subtree;
- city and province officials: no case content (the city sees its hotline tickets);
- institution staff: referrals to their institution and the cases they accepted (declared in
  institutions/scoping.py);
- administrators: everything.

Reports: the county they went to (and the township beneath which they happened) read them in
full; whoever filed one sees its status; the city reads its hotline tickets."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable

from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.checks.dates import check_state_for
from cases.protection.models import (
    Assessment,
    Case,
    CasePlan,
    CaseReport,
    FollowUp,
    PlanMeasure,
    Referral,
    ReviewStatus,
    RiskLevel,
)
from welfare.errors import ApplicationError, PermissionDeniedError
from welfare.months import add_months, month_start
from welfare.roles import Role
from welfare.scoping import get_in_scope_or_404, is_institution_user, scope_queryset


def _active(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.is_active


def case_list(*, user) -> models.QuerySet[Case]:
    if not _active(user):
        return Case.objects.none()
    if user.is_admin_role:
        return Case.objects.all()
    if user.role == Role.VILLAGE_DIRECTOR:
        return Case.objects.filter(caseworker=user)
    if user.role in (Role.TOWNSHIP_SUPERVISOR, Role.COUNTY_OFFICIAL) or is_institution_user(user):
        return scope_queryset(Case.objects.all(), user, region_field="child__region")
    return Case.objects.none()


def case_get(*, user, case_id) -> Case:
    return get_in_scope_or_404(case_list(user=user).select_related("child__region", "caseworker"), id=case_id)


def case_for_write(*, user, case_id) -> Case:
    """The case a write names (an assessment, a plan, a referral, a follow-up): one the user may
    read, else a 403 when it exists elsewhere (writes outside one's scope are refused, not
    hidden; nothing of it is read), else a 400."""
    case = case_list(user=user).select_related("child__region").filter(pk=case_id).first()
    if case is not None:
        return case
    if Case.objects.filter(pk=case_id).exists():
        raise PermissionDeniedError(_("This case is outside your area of responsibility."))
    raise ApplicationError(_("There is no case with this id."), field_errors={"case": _("There is no case with this id.")})


def case_worklist(*, user) -> models.QuerySet[Case]:
    """Open cases, the most pressing follow-up first."""
    return (
        case_list(user=user)
        .filter(status=Case.Status.OPEN)
        .select_related("child", "caseworker")
        .order_by(models.F("next_follow_up_due").asc(nulls_last=True), "id")
    )


def case_follow_up_state(case: Case, *, today: datetime.date | None = None) -> str | None:
    """`ok`, `due_soon` or `overdue` from the case's next follow-up date, as a child's check
    state is derived from its due date (CHECK_DUE_SOON_DAYS); None for a closed case."""
    if case.status != Case.Status.OPEN:
        return None
    return check_state_for(case.next_follow_up_due, today=today or timezone.localdate())


# The columns of a worklist row, in the order case_worklist_rows reads them.
WORKLIST_COLUMNS = (
    "id", "child_id", "child__name", "status", "risk_level", "opened_on", "opened_from", "caseworker_id", "closed_on",
    "closure_reason", "closure_note", "next_follow_up_due",
)


def _iso(day: datetime.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def case_worklist_rows(ids: list[int], *, today: datetime.date) -> list[dict]:
    """The cases of `ids` (read through `case_list` by the caller), in that order, as the case
    API's serializer shows them: one query, no model instances (the worklist API,
    cases/protection/listing.py; benchmarks/cases.py found DRF's serializer over a page of 50
    cases costing more than the query). tests/cases/protection/test_listing.py compares them."""
    if not ids:
        return []
    by_id = {}
    for pk, child, name, status, risk, opened_on, opened_from, worker, closed_on, reason, note, due in Case.objects.filter(
        id__in=ids
    ).values_list(*WORKLIST_COLUMNS):
        by_id[pk] = {
            "id": pk,
            "child": child,
            "child_name": name,
            "status": status,
            "risk_level": risk,
            "opened_on": _iso(opened_on),
            "opened_from": opened_from,
            "caseworker": worker,
            "closed_on": _iso(closed_on),
            "closure_reason": reason,
            "closure_note": note,
            "next_follow_up_due": _iso(due),
            "follow_up_state": check_state_for(due, today=today) if status == Case.Status.OPEN else None,
        }
    return [by_id[i] for i in ids if i in by_id]


def referral_institution_get(*, institution_id):
    """The institution a case is referred to, or None: any institution of the system (the
    referral service keeps it to the child's province). Its name and region only."""
    from institutions.models import Institution

    return Institution.objects.select_related("region").filter(pk=institution_id).first()


def _in_case_scope(model, *, user) -> models.QuerySet:
    """Rows of `model` (with a `case` foreign key) whose case the user may read."""
    if not _active(user):
        return model.objects.none()
    if is_institution_user(user):
        return scope_queryset(model.objects.all(), user)
    return model.objects.filter(case__in=case_list(user=user))


def assessment_list(*, user) -> models.QuerySet[Assessment]:
    return _in_case_scope(Assessment, user=user)


def plan_list(*, user) -> models.QuerySet[CasePlan]:
    return _in_case_scope(CasePlan, user=user)


def measure_list(*, user) -> models.QuerySet[PlanMeasure]:
    """Measures of the plans the user may read (the case page records their progress)."""
    return PlanMeasure.objects.filter(plan__in=plan_list(user=user))


def referral_list(*, user) -> models.QuerySet[Referral]:
    return _in_case_scope(Referral, user=user)


def follow_up_list(*, user) -> models.QuerySet[FollowUp]:
    return _in_case_scope(FollowUp, user=user)


def _reports_read_in_full(*, user) -> models.QuerySet[CaseReport]:
    """Reports the user reads in full: the screening county's (and the township supervisor's of
    where it happened), the city's hotline tickets."""
    if user.is_admin_role:
        return CaseReport.objects.all()
    if user.role == Role.COUNTY_OFFICIAL:
        return scope_queryset(CaseReport.objects.all(), user, region_field="county")
    if user.role == Role.TOWNSHIP_SUPERVISOR:
        return scope_queryset(CaseReport.objects.all(), user, region_field="region")
    if user.role == Role.CITY_OFFICIAL:
        return scope_queryset(CaseReport.objects.filter(source=CaseReport.Source.HOTLINE), user, region_field="county")
    return CaseReport.objects.none()


def report_list_in_full(*, user) -> models.QuerySet[CaseReport]:
    """The reports the user reads in full (the admin lists these; a report one only filed is
    not among them)."""
    if not _active(user):
        return CaseReport.objects.none()
    return _reports_read_in_full(user=user)


def report_list(*, user) -> models.QuerySet[CaseReport]:
    """Reports the user may read: in full (above), and the ones they filed (status only)."""
    if not _active(user):
        return CaseReport.objects.none()
    if user.is_admin_role:
        return CaseReport.objects.all()
    return CaseReport.objects.filter(Q(filed_by=user) | Q(pk__in=_reports_read_in_full(user=user).values("pk")))


def reads_report_in_full(user, report: CaseReport) -> bool:
    """Whether the user reads the whole report, or only the status of a report they filed.
    A report of `report_list_with_access` carries the answer (`in_full`): no query."""
    annotated = getattr(report, "in_full", None)
    if annotated is not None:
        return bool(annotated)
    return _active(user) and _reports_read_in_full(user=user).filter(pk=report.pk).exists()


def report_list_with_access(*, user) -> models.QuerySet[CaseReport]:
    """`report_list`, each report annotated with `in_full` (whether the user reads it whole or
    only its status, as `reads_report_in_full`): one query for a page of a list."""
    if not _active(user):
        return CaseReport.objects.none()
    if user.is_admin_role:
        return report_list(user=user).annotate(in_full=models.Value(True, output_field=models.BooleanField()))
    in_full = _reports_read_in_full(user=user).filter(pk=models.OuterRef("pk"))
    return report_list(user=user).annotate(in_full=models.Exists(in_full))


def screening_queue(*, user) -> models.QuerySet[CaseReport]:
    """Reports waiting for the county's screening, the nearest deadline first."""
    if not _active(user) or not (user.is_admin_role or user.role == Role.COUNTY_OFFICIAL):
        return CaseReport.objects.none()
    return (
        scope_queryset(CaseReport.objects.all(), user, region_field="county")
        .filter(status=CaseReport.Status.RECEIVED)
        .select_related("region", "county", "child")
        .order_by("respond_by", "id")
    )


def open_cases_by_risk(*, region) -> dict[str, int]:
    """The summary API's figure: open cases today by risk level of children living in a region
    (the dashboard's `casework_open_by_risk`, added up)."""
    total: Counter = Counter()
    for counts in casework_open_by_risk(region=region, on=timezone.localdate()).values():
        total.update(counts)
    return {level: total.get(level, 0) for level in RiskLevel.values}


def reports_overdue_count(*, region) -> int:
    """The summary API's figure: reports about the region past their deadline, not screened
    (the dashboard's `casework_reports_past_deadline`, added up)."""
    return sum(casework_reports_past_deadline(region=region, on=timezone.localdate()).values())


# --------------------------------------------------------------------------------------------
# Dashboard figures (cases/dashboard/selectors.py): counts only, no case content, for a region on
# a date, grouped by the regions one level below (cases.dashboard.figures.Grouping; rows of the
# region itself, such as a report made about the county as a whole, come under its own code).
# One grouped query per figure, whatever the number of regions and cases; the dashboard snapshot
# (cases/dashboard/services.py) reads the six in one statement (casework_figures), grouped by the
# region each record is on, and adds them up into every township, county, city and province.
# --------------------------------------------------------------------------------------------

NO_GRADE = "none"  # an open case without an approved assessment yet
CASEWORK_MONTHS = 12


def _grouping(region, by):
    from cases.dashboard.figures import Grouping

    return by if by is not None else Grouping(region, "below")


def _day_cutoff(on: datetime.date) -> datetime.datetime:
    """The moment the figures of `on` are taken: now for today, else the end of that day."""
    if on >= timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.datetime.combine(on + datetime.timedelta(days=1), datetime.time.min))


def cases_open_on_q(on: datetime.date, prefix: str = "") -> Q:
    """Cases open on `on`: opened by then and not closed by then (a reopened case counts from
    when it was first opened: reopening clears `closed_on`)."""
    return Q(**{f"{prefix}opened_on__lte": on}) & (
        Q(**{f"{prefix}closed_on__isnull": True}) | Q(**{f"{prefix}closed_on__gt": on})
    )


def latest_approved_grade(on: datetime.date | None = None) -> models.Subquery:
    """The grade of a case's latest approved assessment (assessed and approved by `on`), to
    annotate a queryset of cases: None when there is none."""
    approved = Assessment.objects.filter(case_id=models.OuterRef("pk"), status=ReviewStatus.APPROVED)
    if on is not None:
        approved = approved.filter(assessed_on__lte=on).filter(Q(decided_at__isnull=True) | Q(decided_at__lt=_day_cutoff(on)))
    return models.Subquery(approved.order_by("-assessed_on", "-id").values("grade")[:1])


def _open_cases(region, on: datetime.date) -> models.QuerySet[Case]:
    return Case.objects.filter(cases_open_on_q(on), child__region__path__startswith=region.path)


def _open_by_risk_rows(region, on: datetime.date, g) -> models.QuerySet:
    return g.values(_open_cases(region, on), "child__region", "risk_level").annotate(n=models.Count("id")).order_by()


def _fold_risk(g, rows) -> dict[str, Counter]:
    out: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        out[g.key(row, "child__region")][row["risk_level"]] += row["n"]
    return out


def casework_open_by_risk(*, region, on: datetime.date, by=None) -> dict[str, Counter]:
    """Open cases on the date of children living in the region, by risk level (the case's
    current level): {region code: Counter(risk level)}."""
    g = _grouping(region, by)
    return _fold_risk(g, _open_by_risk_rows(region, on, g))


def _open_by_grade_rows(region, on: datetime.date, g) -> models.QuerySet:
    qs = _open_cases(region, on).annotate(grade=Coalesce(latest_approved_grade(on), models.Value(NO_GRADE)))
    return g.values(qs, "child__region", "grade").annotate(n=models.Count("id")).order_by()


def _fold_grade(g, rows) -> dict[str, Counter]:
    out: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        out[g.key(row, "child__region")][row["grade"]] += row["n"]
    return out


def casework_open_by_grade(*, region, on: datetime.date, by=None) -> dict[str, Counter]:
    """Open cases on the date by the guardianship grade of their latest approved assessment
    (`NO_GRADE` without one): {region code: Counter(grade)}."""
    g = _grouping(region, by)
    return _fold_grade(g, _open_by_grade_rows(region, on, g))


def casework_months(on: datetime.date) -> list[datetime.date]:
    """The first days of the twelve months up to the month of `on`, oldest first."""
    return [add_months(month_start(on), -k) for k in range(CASEWORK_MONTHS - 1, -1, -1)]


def _reports_by_month_rows(region, on: datetime.date, g) -> models.QuerySet:
    first = timezone.make_aware(datetime.datetime.combine(casework_months(on)[0], datetime.time.min))
    qs = CaseReport.objects.filter(
        region__path__startswith=region.path, received_at__gte=first, received_at__lt=_day_cutoff(on)
    ).annotate(month=TruncMonth("received_at", output_field=models.DateField()))
    return g.values(qs, "region", "month", "source", "concern").annotate(n=models.Count("id")).order_by()


def _fold_reports(g, rows) -> dict[str, Counter]:
    out: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        out[g.key(row, "region")][(row["month"], row["source"], row["concern"])] += row["n"]
    return out


def casework_reports_by_month(*, region, on: datetime.date, by=None) -> dict[str, Counter]:
    """Reports received in the twelve months up to the date about something that happened in
    the region, by month (its first day, local time), source and concern:
    {region code: Counter((month, source, concern))}."""
    g = _grouping(region, by)
    return _fold_reports(g, _reports_by_month_rows(region, on, g))


def _reports_past_deadline_rows(region, on: datetime.date, g) -> models.QuerySet:
    cutoff = _day_cutoff(on)
    qs = CaseReport.objects.filter(
        region__path__startswith=region.path, received_at__lt=cutoff, respond_by__lt=cutoff
    ).filter(Q(status=CaseReport.Status.RECEIVED) | Q(screened_at__gte=cutoff))
    return _count_rows(g, qs, "region")


def casework_reports_past_deadline(*, region, on: datetime.date, by=None) -> dict[str, int]:
    """Reports about the region not screened by their deadline as of the date (today: received,
    `respond_by` before now; an earlier date: received by then, due before then and not
    screened by then): {region code: count}."""
    g = _grouping(region, by)
    return _fold_counts(g, _reports_past_deadline_rows(region, on, g), "region")


def _referrals_waiting_rows(region, on: datetime.date, g) -> models.QuerySet:
    cutoff = _day_cutoff(on)
    answered_before = Referral.history.model.objects.filter(
        id=models.OuterRef("pk"), history_date__lt=cutoff
    ).exclude(status=Referral.Status.SENT)
    qs = Referral.objects.filter(case__child__region__path__startswith=region.path, sent_on__lte=on).filter(
        Q(status=Referral.Status.SENT) | (Q(answered_at__gte=cutoff) & ~models.Exists(answered_before))
    )
    return _count_rows(g, qs, "case__child__region")


def casework_referrals_waiting(*, region, on: datetime.date, by=None) -> dict[str, int]:
    """Referrals of cases of the region's children waiting for an answer on the date (status
    `sent`; an earlier date: sent by then and not answered by then, from the referral's history):
    {region code: count}."""
    g = _grouping(region, by)
    return _fold_counts(g, _referrals_waiting_rows(region, on, g), "case__child__region")


def _follow_ups_overdue_rows(region, on: datetime.date, g) -> models.QuerySet:
    qs = FollowUp.objects.filter(
        cases_open_on_q(on, "case__"), case__child__region__path__startswith=region.path, due_on__lt=on
    ).filter(Q(done_on__isnull=True) | Q(done_on__gt=on))
    return _count_rows(g, qs, "case__child__region")


def casework_follow_ups_overdue(*, region, on: datetime.date, by=None) -> dict[str, int]:
    """Follow-ups of cases open on the date, due before it and not done by then: {region code: count}."""
    g = _grouping(region, by)
    return _fold_counts(g, _follow_ups_overdue_rows(region, on, g), "case__child__region")


def _count_rows(g, qs: models.QuerySet, region_field: str) -> models.QuerySet:
    return g.values(qs, region_field).annotate(n=models.Count("id")).order_by()


def _fold_counts(g, rows, region_field: str) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for row in rows:
        out[g.key(row, region_field)] += row["n"]
    return out


def casework_figures(*, region, on: datetime.date, by=None) -> dict[str, dict]:
    """The six casework figures of the dashboard in ONE round trip (welfare.batch.read_together:
    the same grouped queries as the `casework_*` functions above, which answer each alone), by the
    group keys of `by` (a cases.dashboard.figures.Grouping; the regions one level below by default):
    {"open_by_risk", "open_by_grade", "reports_by_month": {key: Counter},
    "reports_past_deadline", "referrals_waiting", "follow_ups_overdue": {key: count}}."""
    from welfare.batch import read_together

    g = _grouping(region, by)
    reads: dict[str, tuple[Callable[..., models.QuerySet], Callable[..., dict]]] = {
        "open_by_risk": (_open_by_risk_rows, _fold_risk),
        "open_by_grade": (_open_by_grade_rows, _fold_grade),
        "reports_by_month": (_reports_by_month_rows, _fold_reports),
        "reports_past_deadline": (_reports_past_deadline_rows, lambda g, rows: _fold_counts(g, rows, "region")),
        "referrals_waiting": (_referrals_waiting_rows, lambda g, rows: _fold_counts(g, rows, "case__child__region")),
        "follow_ups_overdue": (_follow_ups_overdue_rows, lambda g, rows: _fold_counts(g, rows, "case__child__region")),
    }
    rows = read_together({name: build(region, on, g) for name, (build, _fold) in reads.items()})
    return {name: fold(g, rows[name]) for name, (_build, fold) in reads.items()}


def casework_filter_region(*, user, code: str | None):
    """The region a worklist or queue filter names (`?region=CODE`, from a dashboard link): one
    in the user's area, else 404; None without a code."""
    from welfare.scoping import region_list

    code = (code or "").strip()[:12]
    if not code:
        return None
    return get_in_scope_or_404(region_list(user=user), code=code)


def case_worklist_filter(
    qs: models.QuerySet[Case],
    *,
    region=None,
    risk: str = "",
    grade: str = "",
    follow_up_overdue: bool = False,
    referral_waiting: bool = False,
    today: datetime.date | None = None,
) -> models.QuerySet[Case]:
    """The cases of a worklist behind a dashboard figure: of children of `region`, of a risk
    level, of a grade of the latest approved assessment (`NO_GRADE`: none yet), with a
    follow-up overdue, with a referral waiting for an answer. Unknown values filter nothing."""
    today = today or timezone.localdate()
    if region is not None:
        qs = qs.filter(child__region__path__startswith=region.path)
    if risk in RiskLevel.values:
        qs = qs.filter(risk_level=risk)
    if grade in (*Assessment.Grade.values, NO_GRADE):
        qs = qs.annotate(latest_grade=Coalesce(latest_approved_grade(), models.Value(NO_GRADE))).filter(latest_grade=grade)
    if follow_up_overdue:
        qs = qs.filter(
            models.Exists(FollowUp.objects.filter(case_id=models.OuterRef("pk"), done_on__isnull=True, due_on__lt=today))
        )
    if referral_waiting:
        qs = qs.filter(models.Exists(Referral.objects.filter(case_id=models.OuterRef("pk"), status=Referral.Status.SENT)))
    return qs


def screening_queue_filter(
    qs: models.QuerySet[CaseReport], *, region=None, past_due: bool = False, now: datetime.datetime | None = None
) -> models.QuerySet[CaseReport]:
    """The reports of the screening queue behind a dashboard figure: about `region`, past their deadline."""
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path)
    if past_due:
        qs = qs.filter(respond_by__lt=now or timezone.now())
    return qs


def casework_lists_open(user) -> bool:
    """Whether the user may open the screening queue and the case worklist behind the
    dashboard's casework figures (a county official, an administrator); city and province
    officials read the figures only."""
    return _active(user) and (user.is_admin_role or user.role == Role.COUNTY_OFFICIAL)


# --------------------------------------------------------------------------------------------
# The casework pages (cases/protection/views.py)
# --------------------------------------------------------------------------------------------


def county_reports(*, user) -> models.QuerySet[CaseReport]:
    """Every report that went to the county official's county, whatever its status (the
    screening page of one report; the queue is `screening_queue`)."""
    if not _active(user) or not (user.is_admin_role or user.role == Role.COUNTY_OFFICIAL):
        return CaseReport.objects.none()
    return scope_queryset(CaseReport.objects.all(), user, region_field="county").select_related(
        "region", "county", "child__region", "case"
    )


def hotline_tickets(*, user, now: datetime.datetime | None = None) -> models.QuerySet[CaseReport]:
    """The city's 12349 tickets: those past `respond_by` and not screened (督办) first, the
    nearest deadline first among them; then the newest. Each carries `past_due`."""
    if not _active(user) or not (user.is_admin_role or user.role == Role.CITY_OFFICIAL):
        return CaseReport.objects.none()
    past_due = Q(status=CaseReport.Status.RECEIVED, respond_by__lt=now or timezone.now())
    return (
        _reports_read_in_full(user=user)
        .filter(source=CaseReport.Source.HOTLINE)
        .annotate(
            past_due=models.Case(
                models.When(past_due, then=models.Value(True)), default=models.Value(False), output_field=models.BooleanField()
            )
        )
        .select_related("county", "case")
        .order_by("-past_due", models.Case(models.When(past_due, then="respond_by")).asc(nulls_last=True), "-received_at", "-id")
    )


def screening_child_candidates(*, user, name: str, limit: int = 20) -> list:
    """Children of the user's area whose name contains `name`: the screening page finds the
    child of a report among the county's children."""
    from cases.children.selectors import child_list

    name = (name or "").strip()[:50]
    if not name:
        return []
    return list(child_list(user=user).filter(name__icontains=name).select_related("region").order_by("name", "id")[:limit])


def caseworker_candidates(*, user, region=None) -> models.QuerySet:
    """Who may be a caseworker (a village director, a township supervisor, a county official)
    among the users of the user's area; with `region` (the child's village), only those whose
    region holds it. The service (`report_screen_in`, `case_assign`) decides."""
    from welfare.models import User

    roles = (Role.VILLAGE_DIRECTOR, Role.TOWNSHIP_SUPERVISOR, Role.COUNTY_OFFICIAL)
    qs = scope_queryset(User.objects.filter(is_active=True, role__in=roles), user).select_related("region")
    if region is not None:
        qs = qs.filter(region__code__in=region.ancestor_codes())
    return qs.order_by("region__path", "username")


def referral_institutions(*, case: Case) -> models.QuerySet:
    """The institutions a case may be referred to: those of the child's province (names and
    regions only)."""
    from institutions.models import Institution

    province = case.child.region.ancestor_codes()[0]
    return Institution.objects.filter(region__path__startswith=f"{province}/").select_related("region").order_by("region__path", "name")


def case_timeline(case: Case) -> list[dict]:
    """What happened on a case, the newest first: its reports, assessments, plan versions (with
    their measures), referrals, follow-ups done, notes and closure. The caller has read the case
    through `case_get`: everything here is that case's."""
    rows: list[dict] = []

    def add(kind: str, when, obj) -> None:
        if isinstance(when, datetime.datetime):
            local = timezone.localtime(when)
            key = (local.date(), local.time())
        else:
            key = (when, datetime.time.max)
        rows.append({"kind": kind, "on": key[0], "key": key, "obj": obj})

    for report in case.reports.select_related("region", "county").order_by("received_at"):
        add("report", report.received_at, report)
    for assessment in case.assessments.select_related("written_by", "submitted_by", "decided_by").order_by("id"):
        add("assessment", assessment.assessed_on, assessment)
    # A plan version is dated by when it was written (its first history row).
    written = CasePlan.history.model.objects.filter(id=models.OuterRef("pk")).order_by("history_date").values("history_date")[:1]
    plans = case.plans.select_related("written_by", "submitted_by", "decided_by").prefetch_related("measures")
    for plan in plans.annotate(written_at=models.Subquery(written)).order_by("version"):
        add("plan", plan.written_at or plan.decided_at or timezone.now(), plan)
    for referral in case.referrals.select_related("to_institution__region", "sent_by", "answered_by").order_by("id"):
        add("referral", referral.sent_on, referral)
    for follow_up in case.follow_ups.filter(done_on__isnull=False).select_related("done_by").order_by("done_on"):
        add("follow_up", follow_up.done_on, follow_up)
    for note in case.notes.select_related("written_by").order_by("written_at"):
        add("note", note.written_at, note)
    if case.closed_on:
        add("closure", case.closed_on, case)
    rows.sort(key=lambda r: r["key"], reverse=True)
    return rows
