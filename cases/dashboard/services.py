"""Dashboard snapshots: the figures of every township, county and city on a day (and at month
ends, for the trend) computed and stored as `DashboardSnapshot` rows (upserted, so a run can be
repeated), and the scheduled refresh that city and province dashboards rely on."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.utils import timezone

from cases.dashboard.figures import (
    SNAPSHOT_LEVELS,
    TREND_MONTHS,
    CaseworkFigures,
    Figures,
    Grouping,
    _live_figures,
    _live_trend,
    previous_month_ends,
)
from welfare.models import Region


def _snapshot_model():
    from cases.dashboard.models import DashboardSnapshot

    return DashboardSnapshot


def _store(kind: str, rows: list[tuple[int, datetime.date, Figures]], *, extra: dict[int, dict] | None = None) -> None:
    """Upserts the rows; `extra`: more keys for the figures of some regions ({region id: {key: …}})."""
    Snapshot = _snapshot_model()
    now = timezone.now()
    extra = extra or {}
    Snapshot.objects.bulk_create(
        [
            Snapshot(region_id=rid, kind=kind, on=day, figures={**f.to_json(), **extra.get(rid, {})}, computed_at=now)
            for rid, day, f in rows
        ],
        update_conflicts=True,
        unique_fields=["region", "kind", "on"],
        update_fields=["figures", "computed_at"],
        batch_size=500,
    )


def _rollup(region: Region, leaves: dict[str, Figures], leaf_level: str) -> dict[int, Figures]:
    """Figures of the `leaf_level` regions under `region` added up into every region from the
    leaf to `region` itself: {region id: figures}, leaves included (and `region` itself always,
    so that a region without leaves has its row too)."""
    paths = list(Region.objects.filter(path__startswith=region.path, level=leaf_level).values_list("code", "path"))
    start = len(region.ancestor_codes()) - 1
    out: dict[str, Figures] = defaultdict(Figures)
    out[region.code] = Figures()
    for code, path in paths:
        f = leaves.get(code) or Figures()
        for ancestor in [c for c in path.split("/") if c][start:]:
            out[ancestor].add(f)
    ids = dict(Region.objects.filter(code__in=list(out)).values_list("code", "id"))
    return {ids[code]: f for code, f in out.items() if code in ids}


def _region_counts(region: Region, on: datetime.date) -> dict[int, dict]:
    """The figures of every township, county and city in `region` (a county, city or province)
    and of the region itself that are counted over its whole subtree — a record on the county
    itself counts there and above, not in its townships: the protection casework (every row);
    institutions at work and education grants (counties, cities, provinces). Each counted once
    per region the records are recorded on (cases.protection.selectors.casework_figures,
    institutions.figures.institution_counts, benefits.grants.selectors.grant_counts) and added up
    into every region above. {region id: {"casework": …, "institutions": …, "grants": …}}."""
    from benefits.grants.models import Grant
    from benefits.grants.selectors import grant_counts, grant_counts_add
    from cases.protection.selectors import casework_figures
    from institutions.figures import empty_institution_counts, institution_counts, institution_counts_add
    from institutions.models import Institution

    levels = dict(
        (code, (rid, level))
        for code, rid, level in Region.objects.filter(
            path__startswith=region.path, level__in=[Region.Level.TOWNSHIP, *SNAPSHOT_LEVELS]
        ).values_list("code", "id", "level")
    )
    casework: dict[int, CaseworkFigures] = {rid: CaseworkFigures() for rid, _level in levels.values()}
    out: dict[int, dict] = {rid: {} for rid, _level in levels.values()}
    for rid, level in levels.values():
        if level in SNAPSHOT_LEVELS:
            out[rid] = {"institutions": empty_institution_counts(), "grants": {"by_study_level": {}, "by_month": {}}}

    def regions_above(path: str | None, levels_wanted) -> list[int]:
        """The regions of `levels_wanted` on a record's region path (the record's own included)."""
        return [levels[c][0] for c in (path or "").split("/") if c in levels and levels[c][1] in levels_wanted]

    institutions = Institution.objects.filter(region__path__startswith=region.path)
    for name, by_path, add in (
        ("institutions", institution_counts(institutions, today=on, by_region=True), institution_counts_add),
        ("grants", grant_counts(grants=Grant.objects.all(), region=region, on=on, by_region=True), grant_counts_add),
    ):
        for path, counts in by_path.items():
            for rid in regions_above(path, SNAPSHOT_LEVELS):
                add(out[rid][name], counts)
    figures = casework_figures(region=region, on=on, by=Grouping(region, "path"))
    everywhere = (Region.Level.TOWNSHIP, *SNAPSHOT_LEVELS)
    for path, counts in figures["open_by_risk"].items():
        for rid in regions_above(path, everywhere):
            casework[rid].by_risk.update(counts)
    for path, counts in figures["open_by_grade"].items():
        for rid in regions_above(path, everywhere):
            casework[rid].by_grade.update(counts)
    for path, counts in figures["reports_by_month"].items():
        for rid in regions_above(path, everywhere):
            casework[rid].reports.update(counts)
    for name in ("reports_past_deadline", "referrals_waiting", "follow_ups_overdue"):
        for path, n in figures[name].items():
            for rid in regions_above(path, everywhere):
                setattr(casework[rid], name, getattr(casework[rid], name) + n)
    for rid, f in casework.items():
        out[rid]["casework"] = f.to_json()
    return out


def dashboard_snapshots_compute(*, region: Region, on: datetime.date) -> None:
    """The figures on a day of every township, county and city in `region` (a county, city or
    province) and of the region itself, computed set-wise and stored (derived data, no rule).
    The rows also hold the figures counted over each region's whole subtree (`_region_counts`:
    casework; institutions at work and grants on the rows of counties, cities and provinces)."""
    Snapshot = _snapshot_model()
    by_township = _live_figures(region, on, group=Region.Level.TOWNSHIP)
    rows = _rollup(region, by_township, Region.Level.TOWNSHIP)
    extra = _region_counts(region, on)
    _store(Snapshot.Kind.DAY, [(rid, on, f) for rid, f in rows.items()], extra=extra)


def dashboard_snapshots_compute_months(*, region: Region, month_ends: list[datetime.date]) -> None:
    """Categories and payouts at several month ends of every county and city in `region` and of
    the region itself, computed set-wise and stored."""
    Snapshot = _snapshot_model()
    group = Region.Level.COUNTY if region.level != Region.Level.COUNTY else "self"
    series = _live_trend(region, month_ends, group=group)
    rows: list[tuple[int, datetime.date, Figures]] = []
    for i, day in enumerate(month_ends):
        leaves = {code: figures[i] for code, figures in series.items()}
        rows.extend((rid, day, f) for rid, f in _rollup(region, leaves, Region.Level.COUNTY).items())
    _store(Snapshot.Kind.MONTH, rows)


def dashboard_snapshots_refresh(*, on: datetime.date | None = None, region: Region | None = None) -> int:
    """The scheduled job: the figures of every township, county, city and province for `on`
    (today) and of every county, city and province at the last eleven month ends (recomputed,
    so late corrections reach the trend), one province at a time. Returns the provinces done."""
    on = on or timezone.localdate()
    tops = [region] if region is not None else list(Region.objects.filter(level=Region.Level.PROVINCE).order_by("code"))
    month_ends = previous_month_ends(on, TREND_MONTHS - 1)
    for top in tops:
        dashboard_snapshots_compute(region=top, on=on)
        dashboard_snapshots_compute_months(region=top, month_ends=month_ends)
    return len(tops)
