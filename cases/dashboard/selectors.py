"""Reads of the dashboard: the region in the user's scope, everything the page and
`GET /api/dashboard/summary/` show, and the link from each number to the scoped list behind it.
Township and village dashboards are computed live (figures.py). A county, city or province adds
up the snapshot rows of the regions one level below and reads its own row for what is counted
over its whole subtree — protection casework (counts only), institutions at work, education
grants — computing missing rows on the spot (services.py)."""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.db.models import Count, Q
from django.http import Http404
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.http import urlencode

from cases.children.categories import PAID_CATEGORIES, Category
from cases.dashboard.figures import (
    LEVEL_BELOW,
    SNAPSHOT_LEVELS,
    CaseworkFigures,
    Figures,
    _live_figures,
    _live_trend,
    _subregions,
    trend_points,
    year_before,
)
from cases.dashboard.services import _snapshot_model, dashboard_snapshots_compute, dashboard_snapshots_compute_months
from cases.protection import selectors as protection_selectors
from welfare.models import Region
from welfare.roles import Role
from welfare.scoping import in_scope


def dashboard_region_get(*, user, code: str | None = None) -> Region:
    """The region a dashboard is about: `code` if it lies in the user's subtree, else 404;
    without a code the user's own region (an administrator: the first province)."""
    code = (code or "").strip()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise Http404
    if not code:
        if user.region_id and user.role != Role.INSTITUTION_STAFF:
            region = user.region
        else:
            region = Region.objects.filter(level=Region.Level.PROVINCE).order_by("code").first()
        if region is None or not in_scope(user, region):
            raise Http404
        return region
    region = Region.objects.filter(code=code[:12]).first()
    if region is None or not in_scope(user, region):
        raise Http404
    return region


def dashboard_breadcrumbs(*, user, region: Region) -> list[dict]:
    """The region's ancestors from the province down, each marked whether the user may open it."""
    chain = sorted(region.ancestors(), key=lambda r: len(r.path))
    return [{"region": r, "in_scope": in_scope(user, r)} for r in chain]


# The keys of a county's, city's or province's own day row that hold its whole-subtree counts
# (cases/dashboard/services.py `_region_counts`): casework, institutions at work, education grants;
# the rows of the regions one level below hold their casework.
REGION_COUNTS = ("casework", "institutions", "grants")


@dataclass
class _SnapshotRows:
    parts: dict[str, Figures]  # the regions one level below, by code
    casework: dict[str, CaseworkFigures]  # the same regions' casework, by code
    own: dict  # the region's own day row: its whole-subtree counts (REGION_COUNTS)
    months: dict[datetime.date, Figures]  # the region at the month ends asked for
    computed_at: datetime.datetime | None  # the oldest of the day rows


def _snapshot_rows(
    region: Region, on: datetime.date, subregions: list[Region], month_ends: list[datetime.date]
) -> _SnapshotRows:
    """The snapshot rows a county, city or province dashboard adds up, in one query: the day rows
    of the regions one level below (`subregions`) and of the region itself, and the region's rows
    at `month_ends` (the trend). Rows missing (or a day row of the region written before it held
    REGION_COUNTS) are computed (set-wise), stored and read again."""
    Snapshot = _snapshot_model()
    parts = {r.id: r.code for r in subregions}
    wanted = Q(kind=Snapshot.Kind.DAY, on=on, region_id__in=[*parts, region.id])
    if month_ends:
        wanted |= Q(kind=Snapshot.Kind.MONTH, on__in=month_ends, region_id=region.id)

    def read() -> list[tuple]:
        return list(Snapshot.objects.filter(wanted).values_list("region_id", "kind", "on", "figures", "computed_at"))

    def missing(rows: list[tuple]) -> tuple[bool, bool]:
        days = {rid: data for rid, kind, _on, data, _at in rows if kind == Snapshot.Kind.DAY}
        own = days.get(region.id)
        day = (
            not set(parts) <= set(days)
            or own is None
            or any(k not in own for k in REGION_COUNTS)
            or any("casework" not in days[rid] for rid in parts)
        )
        months = len({d for _rid, kind, d, _data, _at in rows if kind == Snapshot.Kind.MONTH}) < len(month_ends)
        return day, months

    rows = read()
    day, months = missing(rows)
    if day:
        dashboard_snapshots_compute(region=region, on=on)
    if months:
        dashboard_snapshots_compute_months(region=region, month_ends=month_ends)
    if day or months:
        rows = read()
    out = _SnapshotRows(parts={}, casework={}, own={}, months={}, computed_at=None)
    for rid, kind, day_on, data, at in rows:
        if kind == Snapshot.Kind.MONTH:
            out.months[day_on] = Figures.from_json(data)
            continue
        if rid == region.id:
            out.own = data
        else:
            out.parts[parts[rid]] = Figures.from_json(data)
            out.casework[parts[rid]] = CaseworkFigures.from_json(data["casework"])
        out.computed_at = at if out.computed_at is None or at < out.computed_at else out.computed_at
    return out


@functools.lru_cache(maxsize=128)
def _reverse(name: str, urlconf, prefix: str) -> str:
    return reverse(name, urlconf=urlconf)


def list_link(name: str, **query) -> str:
    """A link to the scoped list behind a number: the page named `name`, with the query
    parameters that are set. (A page links about eighty numbers: each name is reversed once per
    URL configuration and script prefix.)"""
    query = {k: v for k, v in query.items() if v not in (None, "")}
    url = _reverse(name, get_urlconf(), get_script_prefix())
    return f"{url}?{urlencode(query)}" if query else url


def children_link(region_code: str, category: str = "", sub_category: str = "", on: datetime.date | None = None) -> str:
    today = timezone.localdate()
    return list_link(
        "cases:child_list",
        region=region_code,
        category=category,
        sub_category=sub_category,
        date=on.isoformat() if on and on != today else "",
    )


CASEWORK_LEVELS = SNAPSHOT_LEVELS  # county, city and province dashboards show casework figures


@dataclass
class Casework:
    """The casework part of a dashboard: the region's totals, one row per region one level
    below, the twelve months of the report table, and whether the viewer may open the lists
    behind the numbers (the screening queue, the case worklist)."""

    total: CaseworkFigures
    rows: list[tuple[Region, CaseworkFigures]]
    months: list[datetime.date]
    lists_open: bool


def dashboard_casework(
    *, user, region: Region, on: datetime.date, subregions: list[Region] | None = None, snapshot: _SnapshotRows | None = None
) -> Casework | None:
    """Casework figures of a county, city or province on a date, by the regions one level below
    (`subregions`, when the caller has read them), from the dashboard snapshot (`snapshot`, when
    the caller has read it: the rows are computed by cases/dashboard/services.py with the six
    grouped queries of cases/protection/selectors.py, `casework_figures`); None for a township or
    a village. 404 outside the user's scope."""
    if not in_scope(user, region):
        raise Http404
    if region.level not in CASEWORK_LEVELS:
        return None
    if subregions is None:
        subregions = _subregions(region)
    if snapshot is None:
        snapshot = _snapshot_rows(region, on, subregions, [])
    return Casework(
        total=CaseworkFigures.from_json(snapshot.own["casework"]),
        rows=[(r, snapshot.casework.get(r.code) or CaseworkFigures()) for r in subregions],
        months=protection_selectors.casework_months(on),
        lists_open=protection_selectors.casework_lists_open(user),
    )


@dataclass
class Dashboard:
    region: Region
    on: datetime.date
    total: Figures
    rows: list[tuple[Region, Figures]]
    trend_points: list[datetime.date]
    trend: list[Figures]
    villages_without_director: list[Region]
    villages_without_director_count: int
    institutions: list[tuple[str, str, int]]
    standards: list[dict]
    computed_at: datetime.datetime | None  # None: live figures
    level_below: str | None
    casework: Casework | None = None  # county, city and province (and when asked for)
    # Institutions at work (institutions.figures.region_institution_figures): county, city and province.
    institutions_at_work: dict | None = None
    # Education grants (benefits.grants.selectors.grant_figures).
    grants: dict = field(default_factory=dict)


def dashboard_summary(
    *, user, region: Region, on: datetime.date, with_trend: bool = True, with_casework: bool = True
) -> Dashboard:
    """Everything the dashboard page shows for `region` on `on`. 404 outside the user's scope."""
    if not in_scope(user, region):
        raise Http404
    subregions = _subregions(region)
    points = trend_points(on)
    trend: list[Figures] = []
    if region.level in SNAPSHOT_LEVELS:
        snap = _snapshot_rows(region, on, subregions, points[:-1] if with_trend else [])
        by_key, computed_at = snap.parts, snap.computed_at
        at_work: dict | None = _institutions_from_counts(snap.own["institutions"], on)
        grants = _grants_from_counts(snap.own["grants"])
        institutions = _institutions_by_kind(snap.own["institutions"]["by_kind"])
    else:
        by_key, computed_at = _live_figures(region, on, group="below" if region.level in LEVEL_BELOW else "self"), None
        at_work = None  # counties, cities and provinces only
        grants = dashboard_grant_figures(user=user, region=region, on=on)
        institutions = dashboard_institutions_by_kind(user=user, region=region)
    total = Figures()
    for f in by_key.values():
        total.add(f)
    rows = [(r, by_key.get(r.code, Figures())) for r in subregions]
    if with_trend:
        if region.level in SNAPSHOT_LEVELS:
            trend = [*(snap.months.get(d) or Figures() for d in points[:-1]), total]
        else:
            trend = _live_trend(region, points).get(region.code) or [Figures() for _p in points]
    listed = region.level in (Region.Level.COUNTY, Region.Level.TOWNSHIP, Region.Level.VILLAGE)
    without = list(dashboard_villages_without_director(user=user, region=region)[:50]) if listed else []
    return Dashboard(
        region=region,
        on=on,
        total=total,
        rows=rows,
        trend_points=points,
        trend=trend,
        villages_without_director=without,
        villages_without_director_count=total.villages - total.villages_with_director,
        institutions=institutions,
        standards=dashboard_standards(user=user, region=region, on=on),
        computed_at=computed_at,
        level_below=LEVEL_BELOW.get(region.level),
        casework=(
            dashboard_casework(user=user, region=region, on=on, subregions=subregions, snapshot=snap)
            if with_casework and region.level in SNAPSHOT_LEVELS
            else None
        ),
        institutions_at_work=at_work,
        grants=grants,
    )


def _institutions_from_counts(counts: dict, on: datetime.date) -> dict:
    from institutions.figures import region_figures_from_counts

    return region_figures_from_counts(counts, today=on)


def _grants_from_counts(counts: dict) -> dict:
    from benefits.grants.selectors import grant_figures_from_counts

    return grant_figures_from_counts(counts)


def _institutions_by_kind(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    """(kind, label, count) of institutions, every kind listed."""
    from institutions.models import Institution

    return [(k, str(label), counts.get(k, 0)) for k, label in Institution.Kind.choices]


def dashboard_api_summary(*, user, region: Region, on: datetime.date) -> dict:
    """The figures of GET /api/dashboard/summary/ (DESIGN.md), JSON-ready."""
    d = dashboard_summary(user=user, region=region, on=on, with_trend=False, with_casework=False)
    t = d.total
    return {
        "region": region.code,
        "region_name": region.name,
        "level": region.level,
        "date": on.isoformat(),
        "children": t.children,
        "children_by_category": {c: t.categories.get(c, 0) for c in Category.values},
        "children_by_sub_category": {c: dict(sorted(s.items())) for c, s in sorted(t.sub_categories.items())},
        "overdue_checks": t.overdue_checks,
        "pending_applications": t.pending_applications,
        "overdue_applications": t.overdue_applications,
        "quarter_checks": {"children": t.quarter_total, "checked": t.quarter_checked},
        "villages": t.villages,
        "villages_with_child_director": t.villages_with_director,
        "child_directors": t.directors,
        "child_directors_trained": t.directors_trained,
        "paid_in_month": {
            c: {"count": t.paid_count[c], "amount": f"{t.paid_amount[c]:.2f}"} for c in sorted(t.paid_count)
        },
        "subregions": [
            {
                "region": r.code,
                "name": r.name,
                "children": f.children,
                "children_by_category": {c: n for c, n in sorted(f.categories.items())},
                "overdue_checks": f.overdue_checks,
                "pending_applications": f.pending_applications,
                "overdue_applications": f.overdue_applications,
            }
            for r, f in d.rows
        ],
        # Protection casework, as of now (figures only, no case content): open cases by risk
        # level of the region's children, reports past respond_by and not yet screened.
        "open_cases_by_risk": protection_selectors.open_cases_by_risk(region=region),
        "case_reports_overdue": protection_selectors.reports_overdue_count(region=region),
        "computed_at": d.computed_at.isoformat() if d.computed_at else None,
        # The orphan education grant (benefits/grants): students supported, by study level, money per month.
        "grants": d.grants,
    }


def dashboard_grant_figures(*, user, region: Region, on: datetime.date) -> dict:
    from benefits.grants.selectors import grant_figures

    return grant_figures(user=user, region=region, on=on)


def dashboard_villages_without_director(*, user, region: Region) -> models.QuerySet[Region]:
    """Villages in the region (and the user's scope) with no active child director."""
    from institutions.models import Staff

    if not in_scope(user, region):
        raise Http404
    villages = list(
        Region.objects.filter(path__startswith=region.path, level=Region.Level.VILLAGE).values_list("id", flat=True)
    )
    # The directors of these villages by their region index (a join would scan every director).
    covered = set(
        Staff.objects.filter(
            region_id__in=villages, position=Staff.Position.CHILD_DIRECTOR, left_on__isnull=True
        ).values_list("region_id", flat=True)
    )
    return (
        Region.objects.filter(id__in=[v for v in villages if v not in covered])
        .select_related("parent")
        .order_by("code")
    )


def dashboard_institutions_by_kind(*, user, region: Region) -> list[tuple[str, str, int]]:
    """(kind, label, count) of institutions in the region, every kind listed."""
    from institutions.models import Institution

    if not in_scope(user, region):
        raise Http404
    counts = dict(
        Institution.objects.filter(region__path__startswith=region.path)
        .values_list("kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    return _institutions_by_kind(counts)


def dashboard_standards(*, user, region: Region, on: datetime.date) -> list[dict]:
    """Per paid category: the standard in force for the region on the date (most specific
    region on its path, "refers to" followed, minimums as a floor) and a year before."""
    if not in_scope(user, region):
        raise Http404
    from benefits.standards.resolve import StandardBook, path_codes

    before = year_before(on)
    codes = path_codes(region.path)
    now_book, then_book = StandardBook.on_dates(dates=[on, before], paths=[region.path])
    out = []
    for cat in PAID_CATEGORIES:
        row: dict = {"category": cat, "label": str(Category(cat).label), "before_date": before}
        for name, book in (("now", now_book), ("before", then_book)):
            try:
                resolved = book.resolve(codes, cat)
            except Exception:  # no standard (or a cycle) on that date: shown as missing
                resolved = None
            row[name] = resolved
            row[f"{name}_amount"] = resolved.amount if resolved else None
        a, b = row["now_amount"], row["before_amount"]
        row["change"] = (a - b) if a is not None and b is not None else None
        row["change_percent"] = ((a - b) * 100 / b).quantize(Decimal("0.1")) if a is not None and b else None
        out.append(row)
    return out
