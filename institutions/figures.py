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

from django.db.models import Count, Exists, F, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Sum, Value
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


# --- per region (the dashboards) -----------------------------------------------------------------
#
# The figures of a region are made of additive counts (`institution_counts`): the counts of a
# region are the sum of the counts of the institutions' regions beneath it. A live dashboard counts
# once over the institutions in scope; the dashboard snapshot (cases/dashboard/services.py) counts
# once per institution region and adds them up into every county, city and province above.


def _grouped(qs: QuerySet, key: str | None, *fields: str) -> QuerySet:
    """`qs` as a `.values()` queryset grouped by `fields` and `key` (a path to the institution's
    region path, as `g`; None: no group key), or over all its rows (what `.aggregate()` counts)
    when there is neither."""
    if key is not None:
        return qs.order_by().values(*fields, g=F(key))
    if fields:
        return qs.order_by().values(*fields)
    return qs.order_by().values(_all=Value(1, output_field=IntegerField()))


def _by_month(qs: QuerySet, field: str, *, since: datetime.date, today: datetime.date) -> QuerySet:
    """`qs` with `field` from `since` to `today`, annotated with its month `m`."""
    return qs.filter(**{f"{field}__gte": since, f"{field}__lte": today}).annotate(m=TruncMonth(field))


def _month_key(value: datetime.date | datetime.datetime) -> str:
    return (value.date() if isinstance(value, datetime.datetime) else value).strftime("%Y-%m")


def institution_counts(
    institutions: QuerySet[Institution], *, today: datetime.date, months: int = 12, by_region: bool = False
) -> dict[str | None, dict]:
    """The additive counts of `institutions` (already scoped by the caller) that a region's
    figures are made of (`region_figures_from_counts`), in one statement (eight grouped counts
    read together, welfare.batch.read_together): {None: counts}, or with `by_region`
    {institution region path: counts}. Counts: `institutions`, `capacity`, `by_kind` ({kind: n}),
    `housing` (institutions that house children), `covered` (of those, with a safety meeting in the
    last complete and in the current quarter), `in_care` (open placements), `admissions` and
    `discharges` ({"YYYY-MM": n} for the last `months` months), `inspections` and `unannounced`
    (this year), `open_findings`, `findings_past_deadline`, `staff_in_post`, `trained` (staff in
    post with a training this year)."""
    from welfare.batch import read_together

    year_start = datetime.date(today.year, 1, 1)
    first_month = add_months(month_start(today), -(months - 1))
    quarters = [past_quarters(today=today, count=1)[0], quarter_of(today)]

    def met(first: datetime.date, last: datetime.date) -> Exists:
        return Exists(SafetyMeeting.objects.filter(institution_id=OuterRef("pk"), held_on__gte=first, held_on__lte=last))

    def key(prefix: str) -> str | None:
        return f"{prefix}region__path" if by_region else None

    ids = institutions.values("pk")
    housing = houses_children_q()
    placements = Placement.objects.filter(institution_id__in=ids)
    trained = Training.objects.filter(staff_id=OuterRef("pk"), held_on__gte=year_start, held_on__lte=today)
    reads = {
        "by_kind": _grouped(institutions, key(""), "kind").annotate(n=Count("pk")),
        "institutions": _grouped(institutions, key("")).annotate(
            n=Count("pk"),
            beds=Coalesce(Sum("capacity"), 0),  # not "capacity": houses_children_q reads the field
            housing=Count("pk", filter=housing),
            **{f"covered{i}": Count("pk", filter=housing & Q(met(*q))) for i, q in enumerate(quarters)},
        ),
        "in_care": _grouped(placements.filter(left_on__isnull=True), key("institution__")).annotate(n=Count("pk")),
        **{
            name: _grouped(_by_month(placements, field, since=first_month, today=today), key("institution__"), "m").annotate(
                n=Count("pk")
            )
            for name, field in (("admissions", "placed_on"), ("discharges", "left_on"))
        },
        "inspections": _grouped(
            Inspection.objects.filter(institution_id__in=ids, inspected_on__gte=year_start, inspected_on__lte=today),
            key("institution__"),
        ).annotate(n=Count("pk"), unannounced=Count("pk", filter=Q(unannounced=True))),
        "findings": _grouped(
            Finding.objects.filter(inspection__institution_id__in=ids, fixed_on__isnull=True), key("inspection__institution__")
        ).annotate(open=Count("pk"), late=Count("pk", filter=Q(fix_by__lt=today))),
        "staff": _grouped(Staff.objects.filter(institution_id__in=ids).filter(in_post_q(today)), key("institution__")).annotate(
            n=Count("pk"), trained=Count("pk", filter=Exists(trained))
        ),
    }
    rows = read_together(reads)
    out: dict[str | None, dict] = {}

    def counts(row: dict) -> dict:
        group = row.get("g") if by_region else None
        if group not in out:
            out[group] = empty_institution_counts()
        return out[group]

    for row in rows["by_kind"]:
        c = counts(row)
        c["by_kind"][row["kind"]] = c["by_kind"].get(row["kind"], 0) + row["n"]
    for row in rows["institutions"]:
        c = counts(row)
        c["institutions"] += row["n"]
        c["capacity"] += row["beds"]
        c["housing"] += row["housing"]
        c["covered"] = [c["covered"][i] + row[f"covered{i}"] for i in range(2)]
    for row in rows["in_care"]:
        counts(row)["in_care"] += row["n"]
    for name in ("admissions", "discharges"):
        for row in rows[name]:
            months_of = counts(row)[name]
            month = _month_key(row["m"])
            months_of[month] = months_of.get(month, 0) + row["n"]
    for row in rows["inspections"]:
        c = counts(row)
        c["inspections"] += row["n"]
        c["unannounced"] += row["unannounced"]
    for row in rows["findings"]:
        c = counts(row)
        c["open_findings"] += row["open"]
        c["findings_past_deadline"] += row["late"]
    for row in rows["staff"]:
        c = counts(row)
        c["staff_in_post"] += row["n"]
        c["trained"] += row["trained"]
    if not by_region and None not in out:
        out[None] = empty_institution_counts()
    return out


def empty_institution_counts() -> dict:
    return {
        "institutions": 0,
        "capacity": 0,
        "by_kind": {},
        "housing": 0,
        "covered": [0, 0],
        "in_care": 0,
        "admissions": {},
        "discharges": {},
        "inspections": 0,
        "unannounced": 0,
        "open_findings": 0,
        "findings_past_deadline": 0,
        "staff_in_post": 0,
        "trained": 0,
    }


def institution_counts_add(total: dict, other: dict) -> dict:
    """Adds the counts `other` into `total` (both as `institution_counts` gives them)."""
    for name, value in other.items():
        if isinstance(value, dict):
            for k, n in value.items():
                total[name][k] = total[name].get(k, 0) + n
        elif isinstance(value, list):
            total[name] = [a + b for a, b in zip(total[name], value, strict=True)]
        else:
            total[name] += value
    return total


def region_figures_from_counts(counts: dict, *, today: datetime.date, months: int = 12) -> dict:
    """The figures of a region (see `region_institution_figures`) from its counts."""
    first_month = add_months(month_start(today), -(months - 1))
    by_month = []
    for i in range(months):
        month = add_months(first_month, i).strftime("%Y-%m")
        by_month.append(
            {"month": month, "admissions": counts["admissions"].get(month, 0), "discharges": counts["discharges"].get(month, 0)}
        )
    quarters = [past_quarters(today=today, count=1)[0], quarter_of(today)]
    staff, trained = counts["staff_in_post"], counts["trained"]
    return {
        "institutions": counts["institutions"],
        "by_kind": {k: n for k, n in counts["by_kind"].items() if n},
        "children_in_care": counts["in_care"],
        "capacity": counts["capacity"],
        "by_month": by_month,
        "admissions_this_month": by_month[-1]["admissions"],
        "discharges_this_month": by_month[-1]["discharges"],
        "inspections_this_year": counts["inspections"],
        "unannounced_this_year": counts["unannounced"],
        "open_findings": counts["open_findings"],
        "findings_past_deadline": counts["findings_past_deadline"],
        "safety_meetings": [
            {"quarter": quarter_label(first), "institutions": counts["housing"], "covered": counts["covered"][i]}
            for i, (first, _last) in enumerate(quarters)
        ],
        "training": {"staff_in_post": staff, "trained": trained, "coverage": round(trained / staff, 3) if staff else None},
    }


def region_institution_figures(
    *, user, region_code: str = "", region=None, today: datetime.date | None = None, months: int = 12
) -> dict:
    """The institution figures of a region (the dashboards), over the institutions in the user's
    scope beneath `region` (a Region) or `region_code` (all of the scope without either):
    `institutions`, `by_kind` ({kind: n}), `children_in_care`, `capacity`, `by_month` (the last
    `months` months, oldest first: {month "YYYY-MM", admissions, discharges}),
    `admissions_this_month`, `discharges_this_month`, `inspections_this_year`,
    `unannounced_this_year`, `open_findings`, `findings_past_deadline`, `safety_meetings`
    ({quarter, institutions, covered} for the last complete and the current quarter: housing
    institutions with a meeting), `training` ({staff_in_post, trained, coverage}). One statement.
    County, city and province dashboards read the same figures from their snapshot."""
    today = today or timezone.localdate()
    insts = institution_list(user=user)
    if region is not None:
        insts = insts.filter(region__path__startswith=region.path)
    elif region_code:
        insts = in_region_subtree(insts, "region", region_code)
    counts = institution_counts(insts, today=today, months=months)[None]
    return region_figures_from_counts(counts, today=today, months=months)
