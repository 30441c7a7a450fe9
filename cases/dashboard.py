"""Dashboard figures for county, city and province officials (and anyone else, in their scope).

Every figure is for one region in the user's subtree and one date:

* children by category and sub-category: category memberships open on the date
  (start_date <= date and (end_date null or >= date)), one per child and category;
* monthly trend: the same count at the end of each of the last twelve months (the date itself
  for the last point), and money paid per month by category (payouts of approved or exported
  runs, by the child's village);
* child directors: villages with an active child director (`Staff` position child_director,
  `left_on` null, region = the village), the villages without one, the share of active child
  directors with at least one training (current state, whatever the date);
* institutions by kind (current state);
* overdue checks: children whose stored `next_check_due` is before the date (the due date is
  kept by cases/checks.py; before today this uses the current due dates);
* calendar-quarter completion: cases.checks.check_quarter_completion for the quarter of the date;
* applications pending on the date (submitted on or before it and not decided by then) and those
  past their working-day limit (`due_on` before the date), by the child's village;
* standards in force on the date with the change from a year before (benefits.standards).

Counties and everything below them are computed live from the records (a county is small enough).
A city or a province is the sum of its counties' figures, read from `DashboardSnapshot` rows that
the nightly Celery task (cases/tasks_dashboard.py) refreshes; a missing row is computed on the
spot and stored. The page says how fresh such figures are (`computed_at`).
"""

from __future__ import annotations

import datetime
import functools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Left
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from cases.categories import PAID_CATEGORIES, Category
from cases.models import Application, CategoryMembership, Check, Child
from welfare.models import Region
from welfare.roles import Role
from welfare.scoping import in_scope

LEVEL_BELOW = {"province": "city", "city": "county", "county": "township", "township": "village"}
SNAPSHOT_LEVELS = ("province", "city", "county")  # added up from snapshot rows; townships and villages: live
TREND_MONTHS = 12
PAID_RUN_STATUSES = ("approved", "exported")


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_end(day: datetime.date) -> datetime.date:
    nxt = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return nxt - datetime.timedelta(days=1)


def previous_month_ends(day: datetime.date, count: int) -> list[datetime.date]:
    """The last days of the `count` months before the month of `day`, oldest first."""
    out = []
    cursor = month_start(day) - datetime.timedelta(days=1)
    for _i in range(count):
        out.append(cursor)
        cursor = month_start(cursor) - datetime.timedelta(days=1)
    return list(reversed(out))


def trend_points(day: datetime.date) -> list[datetime.date]:
    """Month ends of the eleven months before, then the day itself."""
    return [*previous_month_ends(day, TREND_MONTHS - 1), day]


def year_before(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def parse_date(value: str | None, *, today: datetime.date | None = None) -> datetime.date:
    """The `date` parameter: ISO YYYY-MM-DD, not in the future; today when empty.
    Raises ValueError with a user-facing message."""
    today = today or timezone.localdate()
    if not value:
        return today
    try:
        day = datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(_("Enter the date as YYYY-MM-DD.")) from None
    if day > today:
        raise ValueError(_("The date cannot be in the future."))
    if day.year < 1950:
        raise ValueError(_("Enter a date after 1950."))
    return day


# --------------------------------------------------------------------------------------------
# Region and scope
# --------------------------------------------------------------------------------------------


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


def _subregions(region: Region) -> list[Region]:
    if region.level not in LEVEL_BELOW:
        return []
    return list(Region.objects.filter(parent=region).order_by("code"))


class Grouping:
    """How rows of a subtree are grouped: under the region itself (`self`), by the regions one
    level below it (`below`) or by the regions of one level in it (`township`, `county`). Official codes have fixed lengths, so the
    path of a region at one level has one length and `Left(path, n)` names the group in SQL;
    a tree with irregular codes falls back to grouping by village and mapping in Python."""

    def __init__(self, region: Region, how: str):
        self.region, self.how = region, how
        self.length: int | None = None
        self.map: dict[int, str] | None = None
        if how == "self":
            return
        if how == "below":
            paths = set(Region.objects.filter(parent=region).values_list("path", flat=True))
        else:  # a level: "township" or "county"
            paths = set(Region.objects.filter(path__startswith=region.path, level=how).values_list("path", flat=True))
        lengths = {len(p) for p in paths}
        if len(lengths) == 1:
            self.length = lengths.pop()
        elif lengths:
            depth = min(len([c for c in p.split("/") if c]) for p in paths) - 1
            self.map = {}
            for rid, path in Region.objects.filter(path__startswith=region.path).values_list("id", "path"):
                codes = [c for c in path.split("/") if c]
                self.map[rid] = codes[depth] if len(codes) > depth else region.code

    def values(self, qs: models.QuerySet, region_field: str, *fields: str) -> models.QuerySet:
        """`qs` grouped by the group key (first value, `k`) and `fields`."""
        prefix = f"{region_field}__" if region_field else ""
        if self.length is not None:
            return qs.annotate(k=Left(f"{prefix}path", self.length)).values("k", *fields)
        if self.map is not None:
            return qs.values(f"{prefix}id" if prefix else "id", *fields)
        return qs.values(*fields)

    def key(self, row: dict, region_field: str) -> str:
        if self.length is not None:
            return (
                row["k"].rstrip("/").rsplit("/", 1)[-1]
                if row["k"] and len(row["k"]) == self.length
                else self.region.code
            )
        if self.map is not None:
            return self.map.get(row[f"{region_field}__id" if region_field else "id"], self.region.code)
        return self.region.code


# --------------------------------------------------------------------------------------------
# Figures: additive numbers of one region on one date
# --------------------------------------------------------------------------------------------


@dataclass
class Figures:
    categories: Counter = field(default_factory=Counter)
    sub_categories: dict = field(default_factory=lambda: defaultdict(Counter))
    overdue_checks: int = 0
    quarter_total: int = 0
    quarter_checked: int = 0
    villages: int = 0
    villages_with_director: int = 0
    directors: int = 0
    directors_trained: int = 0
    pending_applications: int = 0
    overdue_applications: int = 0
    overdue_applications_by_category: Counter = field(default_factory=Counter)
    paid_count: Counter = field(default_factory=Counter)  # in the month of the date, by category
    paid_amount: dict = field(default_factory=lambda: defaultdict(Decimal))

    children: int = 0  # distinct children in at least one category on the date

    INT_FIELDS = (
        "children",
        "overdue_checks",
        "quarter_total",
        "quarter_checked",
        "villages",
        "villages_with_director",
        "directors",
        "directors_trained",
        "pending_applications",
        "overdue_applications",
    )

    @property
    def memberships_total(self) -> int:
        return sum(self.categories.values())

    @property
    def paid_total(self) -> Decimal:
        return sum(self.paid_amount.values(), Decimal("0"))

    def add(self, other: Figures) -> Figures:
        self.categories.update(other.categories)
        for cat, subs in other.sub_categories.items():
            self.sub_categories[cat].update(subs)
        for name in self.INT_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.overdue_applications_by_category.update(other.overdue_applications_by_category)
        self.paid_count.update(other.paid_count)
        for cat, amount in other.paid_amount.items():
            self.paid_amount[cat] += amount
        return self

    def to_json(self) -> dict:
        return {
            "categories": dict(self.categories),
            "sub_categories": {c: dict(s) for c, s in self.sub_categories.items()},
            **{name: getattr(self, name) for name in self.INT_FIELDS},
            "overdue_applications_by_category": dict(self.overdue_applications_by_category),
            "paid_count": dict(self.paid_count),
            "paid_amount": {c: str(a) for c, a in self.paid_amount.items()},
        }

    @classmethod
    def from_json(cls, data: dict) -> Figures:
        f = cls()
        f.categories = Counter(data.get("categories", {}))
        for cat, subs in data.get("sub_categories", {}).items():
            f.sub_categories[cat] = Counter(subs)
        for name in cls.INT_FIELDS:
            setattr(f, name, int(data.get(name, 0)))
        f.overdue_applications_by_category = Counter(data.get("overdue_applications_by_category", {}))
        f.paid_count = Counter(data.get("paid_count", {}))
        for cat, amount in data.get("paid_amount", {}).items():
            f.paid_amount[cat] = Decimal(amount)
        return f


def _payout_models():
    """benefits.Payout and PayoutRun, or (None, None) while the benefits app has no payouts."""
    from django.apps import apps

    try:
        return apps.get_model("benefits", "Payout"), apps.get_model("benefits", "PayoutRun")
    except LookupError:
        return None, None


def _open_on(day: datetime.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}start_date__lte": day}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": day})
    )


def _live_figures(region: Region, on: datetime.date, *, group: str = "below") -> dict[str, Figures]:
    """Figures computed from the records, grouped as `group` says (see `Grouping`)."""
    from institutions.models import Staff, Training

    g = Grouping(region, group)
    out: dict[str, Figures] = defaultdict(Figures)
    path = region.path
    # Children by category and sub-category.
    memberships = CategoryMembership.objects.filter(child__region__path__startswith=path).filter(_open_on(on))
    for row in g.values(memberships, "child__region", "category", "sub_category").annotate(n=Count("id")).order_by():
        f = out[g.key(row, "child__region")]
        f.categories[row["category"]] += row["n"]
        f.sub_categories[row["category"]][row["sub_category"]] += row["n"]
    # Distinct children in at least one category.
    in_category = CategoryMembership.objects.filter(child_id=OuterRef("pk")).filter(_open_on(on))
    counted = Child.objects.filter(region__path__startswith=path).filter(Exists(in_category))
    for row in g.values(counted, "region").annotate(n=Count("id")).order_by():
        out[g.key(row, "region")].children += row["n"]
    # Overdue checks (stored due date before the date).
    overdue = Child.objects.filter(region__path__startswith=path, next_check_due__lt=on)
    for row in g.values(overdue, "region").annotate(n=Count("id")).order_by():
        out[g.key(row, "region")].overdue_checks += row["n"]
    # Calendar-quarter completion of left-behind children.
    for row in (
        g.values(_quarter_children(path, on), "region")
        .annotate(total=Count("id"), checked=Count("id", filter=Q(was_checked=True)))
        .order_by()
    ):
        f = out[g.key(row, "region")]
        f.quarter_total += row["total"]
        f.quarter_checked += row["checked"]
    # Villages and their child directors.
    active = Staff.objects.filter(position=Staff.Position.CHILD_DIRECTOR, left_on__isnull=True)
    villages = Region.objects.filter(path__startswith=path, level=Region.Level.VILLAGE)
    for row in (
        g.values(villages, "")
        .annotate(n=Count("id"), has=Count("id", filter=Exists(active.filter(region_id=OuterRef("pk")))))
        .order_by()
    ):
        f = out[g.key(row, "")]
        f.villages += row["n"]
        f.villages_with_director += row["has"]
    directors = active.filter(region__path__startswith=path)
    trained = Exists(Training.objects.filter(staff_id=OuterRef("pk")))
    for row in g.values(directors, "region").annotate(n=Count("id"), t=Count("id", filter=trained)).order_by():
        f = out[g.key(row, "region")]
        f.directors += row["n"]
        f.directors_trained += row["t"]
    # Applications pending on the date (submitted by then, not decided by then) and those past their limit.
    applications = (
        Application.objects.filter(child__region__path__startswith=path, submitted_on__lte=on)
        .filter(Q(decided_on__isnull=True) | Q(decided_on__gt=on))
        .exclude(Q(decided_on__isnull=True) & Q(status__in=["approved", "rejected"]))
    )
    for row in (
        g.values(applications, "child__region", "category")
        .annotate(n=Count("id"), late=Count("id", filter=Q(due_on__lt=on)))
        .order_by()
    ):
        f = out[g.key(row, "child__region")]
        f.pending_applications += row["n"]
        f.overdue_applications += row["late"]
        if row["late"]:
            f.overdue_applications_by_category[row["category"]] += row["late"]
    # Money paid in the month of the date (approved or exported runs).
    Payout, _run = _payout_models()
    if Payout is not None:
        payouts = Payout.objects.filter(
            Payout.in_months([month_start(on)]), child__region__path__startswith=path, run__status__in=PAID_RUN_STATUSES
        )
        for row in (
            g.values(payouts, "child__region", "category").annotate(n=Count("id"), amount=Sum("amount")).order_by()
        ):
            f = out[g.key(row, "child__region")]
            f.paid_count[row["category"]] += row["n"]
            f.paid_amount[row["category"]] += row["amount"] or Decimal("0")
    return out


def _quarter_children(path: str, on: datetime.date) -> models.QuerySet[Child]:
    """Left-behind children of the subtree whose membership overlaps the calendar quarter of
    `on`, annotated `was_checked` (a check in that quarter): the definition of
    cases.checks.check_quarter_completion, made groupable."""
    first_month = 3 * ((on.month - 1) // 3) + 1
    start = datetime.date(on.year, first_month, 1)
    end = month_end(datetime.date(on.year, first_month + 2, 1))
    member = CategoryMembership.objects.filter(
        child_id=OuterRef("pk"), category=Category.LEFT_BEHIND, start_date__lte=end
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
    checked = Check.objects.filter(child_id=OuterRef("pk"), checked_on__gte=start, checked_on__lte=end)
    return (
        Child.objects.filter(region__path__startswith=path).filter(Exists(member)).annotate(was_checked=Exists(checked))
    )


def _live_trend(region: Region, points: list[datetime.date], *, group: str = "self") -> dict[str, list[Figures]]:
    """Categories at each point and money paid in each point's month (one query each), grouped."""
    g = Grouping(region, group)
    path = region.path
    aggregates = {f"p{i}": Count("id", filter=_open_on(day)) for i, day in enumerate(points)}
    qs = CategoryMembership.objects.filter(child__region__path__startswith=path, start_date__lte=points[-1]).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=points[0])
    )
    out: dict[str, list[Figures]] = defaultdict(lambda: [Figures() for _p in points])
    for row in g.values(qs, "child__region", "category").annotate(**aggregates).order_by():
        series = out[g.key(row, "child__region")]
        for i in range(len(points)):
            if row[f"p{i}"]:
                series[i].categories[row["category"]] += row[f"p{i}"]
    Payout, _run = _payout_models()
    if Payout is not None:
        months = {month_start(d): i for i, d in enumerate(points)}
        qs = Payout.objects.filter(
            Payout.in_months(list(months)), child__region__path__startswith=path, run__status__in=PAID_RUN_STATUSES
        )
        for row in (
            g.values(qs, "child__region", "month", "category").annotate(n=Count("id"), amount=Sum("amount")).order_by()
        ):
            f = out[g.key(row, "child__region")][months[row["month"]]]
            f.paid_count[row["category"]] += row["n"]
            f.paid_amount[row["category"]] += row["amount"] or Decimal("0")
    return out


# --------------------------------------------------------------------------------------------
# County snapshots (for cities and provinces)
# --------------------------------------------------------------------------------------------


def _snapshot_model():
    from cases.models import DashboardSnapshot

    return DashboardSnapshot


def _store(kind: str, rows: list[tuple[int, datetime.date, Figures]]) -> None:
    Snapshot = _snapshot_model()
    now = timezone.now()
    Snapshot.objects.bulk_create(
        [Snapshot(region_id=rid, kind=kind, on=day, figures=f.to_json(), computed_at=now) for rid, day, f in rows],
        update_conflicts=True,
        unique_fields=["region", "kind", "on"],
        update_fields=["figures", "computed_at"],
        batch_size=500,
    )


def _rollup(region: Region, leaves: dict[str, Figures], leaf_level: str) -> dict[int, Figures]:
    """Figures of the `leaf_level` regions under `region` added up into every region from the
    leaf to `region` itself: {region id: figures}, leaves included."""
    paths = list(Region.objects.filter(path__startswith=region.path, level=leaf_level).values_list("code", "path"))
    start = len(region.ancestor_codes()) - 1
    out: dict[str, Figures] = defaultdict(Figures)
    for code, path in paths:
        f = leaves.get(code) or Figures()
        for ancestor in [c for c in path.split("/") if c][start:]:
            out[ancestor].add(f)
    ids = dict(Region.objects.filter(code__in=list(out)).values_list("code", "id"))
    return {ids[code]: f for code, f in out.items() if code in ids}


def dashboard_snapshots_compute(*, region: Region, on: datetime.date) -> None:
    """The figures on a day of every township, county and city in `region` (a county, city or
    province) and of the region itself, computed set-wise and stored (derived data, no rule)."""
    Snapshot = _snapshot_model()
    by_township = _live_figures(region, on, group=Region.Level.TOWNSHIP)
    rows = _rollup(region, by_township, Region.Level.TOWNSHIP)
    _store(Snapshot.Kind.DAY, [(rid, on, f) for rid, f in rows.items()])


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


def _snapshot_figures(region: Region, on: datetime.date) -> tuple[dict[str, Figures], datetime.datetime | None]:
    """Figures of a county, city or province on a day from the rows of the regions one level
    below it, with the time the oldest row was computed. When a row is missing, the region is
    computed (set-wise) and stored."""
    Snapshot = _snapshot_model()
    parts = dict(Region.objects.filter(parent=region).values_list("id", "code"))

    def read():
        return list(
            Snapshot.objects.filter(kind=Snapshot.Kind.DAY, on=on, region_id__in=list(parts)).values_list(
                "region_id", "figures", "computed_at"
            )
        )

    rows = read()
    if len(rows) < len(parts):
        dashboard_snapshots_compute(region=region, on=on)
        rows = read()
    out: dict[str, Figures] = {}
    oldest = None
    for rid, data, at in rows:
        out[parts[rid]] = Figures.from_json(data)
        oldest = at if oldest is None or at < oldest else oldest
    return out, oldest


def _snapshot_trend(region: Region, points: list[datetime.date], today_figures: Figures) -> list[Figures]:
    Snapshot = _snapshot_model()
    month_ends = points[:-1]

    def read():
        return dict(
            Snapshot.objects.filter(kind=Snapshot.Kind.MONTH, on__in=month_ends, region=region).values_list(
                "on", "figures"
            )
        )

    rows = read()
    if len(rows) < len(month_ends):
        dashboard_snapshots_compute_months(region=region, month_ends=month_ends)
        rows = read()
    return [*(Figures.from_json(rows[d]) if d in rows else Figures() for d in month_ends), today_figures]


# --------------------------------------------------------------------------------------------
# The dashboard
# --------------------------------------------------------------------------------------------


def _link(names, **query) -> str:
    """A link to the scoped list behind a number: the named page when it exists, with the
    query parameters; the page's expected path otherwise."""
    url = _link_base((names,) if isinstance(names, str) else tuple(names))
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{url}?{urlencode(query)}" if query else url


@functools.lru_cache(maxsize=64)
def _link_base(names: tuple[str, ...]) -> str:
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return names[-1] if names[-1].startswith("/") else "/"


CHILD_LIST = ("cases:child_list", "cases:children", "/cases/children/")
APPLICATION_LIST = ("cases:application_list", "cases:applications", "/cases/applications/")
CHECK_LIST = ("cases:check_worklist", "cases:checks_worklist", "cases:check_list", "/cases/checks/")
PAYOUT_RUN_LIST = ("benefits:payout_run_list", "benefits:payout_runs", "/benefits/payout-runs/")
INSTITUTION_LIST = ("institutions:institution_list", "institutions:list", "/institutions/")
STANDARD_LIST = ("benefits:standard_list", "benefits:standards", "/benefits/standards/")


def children_link(region_code: str, category: str = "", sub_category: str = "", on: datetime.date | None = None) -> str:
    today = timezone.localdate()
    return _link(
        CHILD_LIST,
        region=region_code,
        category=category,
        sub_category=sub_category,
        date=on.isoformat() if on and on != today else "",
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

    def links(self) -> dict:
        return {}


def dashboard_summary(*, user, region: Region, on: datetime.date, with_trend: bool = True) -> Dashboard:
    """Everything the dashboard page shows for `region` on `on`. 404 outside the user's scope."""
    if not in_scope(user, region):
        raise Http404
    subregions = _subregions(region)
    if region.level in SNAPSHOT_LEVELS:
        by_key, computed_at = _snapshot_figures(region, on)
    else:
        by_key, computed_at = _live_figures(region, on, group="below" if region.level in LEVEL_BELOW else "self"), None
    total = Figures()
    for f in by_key.values():
        total.add(f)
    rows = [(r, by_key.get(r.code, Figures())) for r in subregions]
    points = trend_points(on)
    trend: list[Figures] = []
    if with_trend:
        if region.level in SNAPSHOT_LEVELS:
            trend = _snapshot_trend(region, points, total)
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
        institutions=dashboard_institutions_by_kind(user=user, region=region),
        standards=dashboard_standards(user=user, region=region, on=on),
        computed_at=computed_at,
        level_below=LEVEL_BELOW.get(region.level),
    )


def dashboard_api_summary(*, user, region: Region, on: datetime.date) -> dict:
    """The figures of GET /api/dashboard/summary/ (DESIGN.md), JSON-ready."""
    d = dashboard_summary(user=user, region=region, on=on, with_trend=False)
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
        "computed_at": d.computed_at.isoformat() if d.computed_at else None,
    }


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
    return [(k, str(label), counts.get(k, 0)) for k, label in Institution.Kind.choices]


def dashboard_standards(*, user, region: Region, on: datetime.date) -> list[dict]:
    """Per paid category: the standard in force for the region on the date (most specific
    region on its path, "refers to" followed, minimums as a floor) and a year before."""
    if not in_scope(user, region):
        raise Http404
    try:
        from benefits.standards import StandardBook, path_codes
    except ImportError:  # pragma: no cover
        return []
    before = year_before(on)
    codes = path_codes(region.path)
    now_book = StandardBook(on=on, paths=[region.path])
    then_book = StandardBook(on=before, paths=[region.path])
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
