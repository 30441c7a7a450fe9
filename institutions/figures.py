"""Figures of institutions, per institution (its page, the list of institutions) and per region
(the dashboards), each a set-based query: children in care, admissions and discharges this month
and per month, open findings and those past their deadline, inspections this year, safety-meeting
coverage by quarter, training coverage (staff in post with a training this year / staff in post).

Every function takes the institutions to count over as a queryset already scoped by the caller
(institutions.selectors.institution_list), or the user to scope them for."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from institutions.inspections.models import Finding, Inspection, SafetyMeeting
from institutions.inspections.selectors import past_quarters, quarter_label, quarter_of
from institutions.models import Institution
from institutions.placements.models import Placement
from institutions.selectors import in_region_subtree, institution_list
from institutions.staffing.models import Staff, Training
from welfare.months import add_months, month_start

# Institutions that house children hold the quarterly safety-management meetings.
HOUSING_KINDS = (Institution.Kind.WELFARE, Institution.Kind.RESCUE)


def houses_children_q(prefix: str = "") -> Q:
    """Institutions that house children: welfare homes, rescue centres, and any other with beds."""
    return Q(**{f"{prefix}kind__in": HOUSING_KINDS}) | Q(**{f"{prefix}capacity__gt": 0})


def _count(qs: QuerySet, outer: str = "institution_id") -> Coalesce:
    """A scalar subquery counting the rows of `qs` of the outer institution."""
    counted = qs.filter(**{outer: OuterRef("pk")}).order_by().values(outer).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def in_post_q(today: datetime.date, prefix: str = "") -> Q:
    """Staff in post on `today`: started (or no start date) and not left."""
    return (Q(**{f"{prefix}left_on__isnull": True}) | Q(**{f"{prefix}left_on__gt": today})) & (
        Q(**{f"{prefix}appointed_on__isnull": True}) | Q(**{f"{prefix}appointed_on__lte": today})
    )


def with_figures(institutions: QuerySet[Institution], *, today: datetime.date | None = None) -> QuerySet[Institution]:
    """`institutions` annotated with their figures (one query, a scalar subquery per figure):
    children_in_care, admissions_this_month, discharges_this_month, open_findings,
    findings_past_deadline, inspections_this_year, last_safety_meeting,
    safety_meeting_this_quarter, staff_in_post, staff_trained_this_year."""
    today = today or timezone.localdate()
    first = month_start(today)
    year_start = datetime.date(today.year, 1, 1)
    quarter_start, quarter_end = quarter_of(today)
    open_findings = Finding.objects.filter(fixed_on__isnull=True)
    in_post = Staff.objects.filter(in_post_q(today))
    trained = Training.objects.filter(staff_id=OuterRef("pk"), held_on__gte=year_start, held_on__lte=today)
    return institutions.annotate(
        children_in_care=_count(Placement.objects.filter(left_on__isnull=True)),
        admissions_this_month=_count(Placement.objects.filter(placed_on__gte=first, placed_on__lte=today)),
        discharges_this_month=_count(Placement.objects.filter(left_on__gte=first, left_on__lte=today)),
        open_findings=_count(open_findings, "inspection__institution_id"),
        findings_past_deadline=_count(open_findings.filter(fix_by__lt=today), "inspection__institution_id"),
        inspections_this_year=_count(Inspection.objects.filter(inspected_on__gte=year_start, inspected_on__lte=today)),
        last_safety_meeting=Subquery(
            SafetyMeeting.objects.filter(institution_id=OuterRef("pk"), held_on__lte=today)
            .order_by()
            .values("institution_id")
            .annotate(m=Max("held_on"))
            .values("m")
        ),
        safety_meeting_this_quarter=Exists(
            SafetyMeeting.objects.filter(
                institution_id=OuterRef("pk"), held_on__gte=quarter_start, held_on__lte=quarter_end
            )
        ),
        staff_in_post=_count(in_post),
        staff_trained_this_year=_count(in_post.filter(Exists(trained))),
    )


@dataclass(frozen=True)
class InstitutionFigures:
    children_in_care: int
    capacity: int
    admissions_this_month: int
    discharges_this_month: int
    open_findings: int
    findings_past_deadline: int
    inspections_this_year: int
    last_safety_meeting: datetime.date | None
    safety_meeting_this_quarter: bool
    quarters_without_meeting: list[str]
    houses_children: bool
    staff_in_post: int
    staff_trained_this_year: int

    @property
    def training_coverage(self) -> float | None:
        """Staff in post trained this year / staff in post (None without staff)."""
        return round(self.staff_trained_this_year / self.staff_in_post, 3) if self.staff_in_post else None


def institution_figures(*, institution: Institution, today: datetime.date | None = None) -> InstitutionFigures:
    """The figures of one institution (its page): two queries."""
    from institutions.inspections.selectors import quarters_without_meeting

    today = today or timezone.localdate()
    row: Any = with_figures(Institution.objects.filter(pk=institution.pk), today=today).get()
    houses = institution.kind in HOUSING_KINDS or institution.capacity > 0
    return InstitutionFigures(
        children_in_care=row.children_in_care,
        capacity=row.capacity,
        admissions_this_month=row.admissions_this_month,
        discharges_this_month=row.discharges_this_month,
        open_findings=row.open_findings,
        findings_past_deadline=row.findings_past_deadline,
        inspections_this_year=row.inspections_this_year,
        last_safety_meeting=row.last_safety_meeting,
        safety_meeting_this_quarter=row.safety_meeting_this_quarter,
        quarters_without_meeting=quarters_without_meeting(institution=institution, today=today) if houses else [],
        houses_children=houses,
        staff_in_post=row.staff_in_post,
        staff_trained_this_year=row.staff_trained_this_year,
    )


def institutions_with_figures(
    *, user, region_code: str = "", kind: str = "", today: datetime.date | None = None
) -> QuerySet[Institution]:
    """The institutions in the user's scope (beneath a region, of one kind) with their figures, by
    region and name: the list of institutions."""
    qs = institution_list(user=user)
    if region_code:
        qs = in_region_subtree(qs, "region", region_code)
    if kind:
        qs = qs.filter(kind=kind)
    return with_figures(qs, today=today).select_related("region").order_by("region__path", "kind", "name", "id")


def _by_month(qs: QuerySet, field: str, *, since: datetime.date, today: datetime.date) -> dict[datetime.date, int]:
    rows = (
        qs.filter(**{f"{field}__gte": since, f"{field}__lte": today})
        .annotate(m=TruncMonth(field))
        .order_by()
        .values("m")
        .annotate(n=Count("pk"))
    )
    out: dict[datetime.date, int] = {}
    for row in rows:
        month = row["m"].date() if isinstance(row["m"], datetime.datetime) else row["m"]
        out[month] = row["n"]
    return out


def region_institution_figures(
    *, user, region_code: str = "", today: datetime.date | None = None, months: int = 12
) -> dict:
    """The institution figures of a region (the dashboards), over the institutions in the user's
    scope beneath `region_code` (all of the scope without one):
    `institutions`, `by_kind` ({kind: n}), `children_in_care`, `capacity`, `by_month` (the last
    `months` months, oldest first: {month "YYYY-MM", admissions, discharges}),
    `admissions_this_month`, `discharges_this_month`, `inspections_this_year`,
    `unannounced_this_year`, `open_findings`, `findings_past_deadline`, `safety_meetings`
    ({quarter, institutions, covered} for the current and the last complete quarter: housing
    institutions with a meeting), `training` ({staff_in_post, trained, coverage}). A constant
    number of queries."""
    today = today or timezone.localdate()
    insts = institution_list(user=user)
    if region_code:
        insts = in_region_subtree(insts, "region", region_code)
    ids = insts.values("pk")
    year_start = datetime.date(today.year, 1, 1)
    first_month = add_months(month_start(today), -(months - 1))

    by_kind = dict(insts.order_by().values_list("kind").annotate(n=Count("pk")))
    totals = insts.aggregate(n=Count("pk"), capacity=Coalesce(Sum("capacity"), 0))
    placements = Placement.objects.filter(institution_id__in=ids)
    admissions = _by_month(placements, "placed_on", since=first_month, today=today)
    discharges = _by_month(placements, "left_on", since=first_month, today=today)
    by_month = []
    for i in range(months):
        month = add_months(first_month, i)
        by_month.append(
            {
                "month": month.strftime("%Y-%m"),
                "admissions": admissions.get(month, 0),
                "discharges": discharges.get(month, 0),
            }
        )
    inspections = Inspection.objects.filter(
        institution_id__in=ids, inspected_on__gte=year_start, inspected_on__lte=today
    ).aggregate(n=Count("pk"), unannounced=Count("pk", filter=Q(unannounced=True)))
    findings = Finding.objects.filter(inspection__institution_id__in=ids, fixed_on__isnull=True).aggregate(
        open=Count("pk"), late=Count("pk", filter=Q(fix_by__lt=today))
    )
    housing = insts.filter(houses_children_q())
    coverage = []
    current = quarter_of(today)
    for first, last in [past_quarters(today=today, count=1)[0], current]:
        met = SafetyMeeting.objects.filter(institution_id=OuterRef("pk"), held_on__gte=first, held_on__lte=last)
        counted = housing.aggregate(n=Count("pk"), covered=Count("pk", filter=Exists(met)))
        coverage.append({"quarter": quarter_label(first), "institutions": counted["n"], "covered": counted["covered"]})
    staff = Staff.objects.filter(institution_id__in=ids).filter(in_post_q(today))
    trained = Training.objects.filter(staff_id=OuterRef("pk"), held_on__gte=year_start, held_on__lte=today)
    staffed = staff.aggregate(n=Count("pk"), trained=Count("pk", filter=Exists(trained)))
    return {
        "institutions": totals["n"],
        "by_kind": by_kind,
        "children_in_care": placements.filter(left_on__isnull=True).count(),
        "capacity": totals["capacity"],
        "by_month": by_month,
        "admissions_this_month": by_month[-1]["admissions"],
        "discharges_this_month": by_month[-1]["discharges"],
        "inspections_this_year": inspections["n"],
        "unannounced_this_year": inspections["unannounced"],
        "open_findings": findings["open"],
        "findings_past_deadline": findings["late"],
        "safety_meetings": coverage,
        "training": {
            "staff_in_post": staffed["n"],
            "trained": staffed["trained"],
            "coverage": round(staffed["trained"] / staffed["n"], 3) if staffed["n"] else None,
        },
    }
