"""Dashboard figures computed live from the records, for one region in the user's subtree and one
date, and the date helpers the dashboard shares (month ends, trend points, `parse_date`).

* children by category and sub-category: category memberships open on the date
  (start_date <= date and (end_date null or >= date)), one per child and category;
* monthly trend: the same count at the end of each of the last twelve months (the date itself
  for the last point), and money paid per month by category (payouts of approved or exported
  runs, by the child's village);
* child directors: villages with an active child director (`Staff` position child_director,
  `left_on` null, region = the village), the villages without one, the share of active child
  directors with at least one training (current state, whatever the date);
* overdue checks: children whose stored `next_check_due` is before the date (the due date is
  kept by cases/checks/services.py; before today this uses the current due dates);
* calendar-quarter completion: cases.checks.selectors.check_quarter_completion for the quarter
  of the date;
* applications pending on the date (submitted on or before it and not decided by then) and those
  past their working-day limit (`due_on` before the date), by the child's village.

Institutions by kind and the standards in force are read by cases/dashboard/selectors.py.
Counties and everything below them are computed here; a city or a province adds up its counties'
snapshots (cases/dashboard/services.py, refreshed nightly by cases/dashboard/tasks.py)."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import Left
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.applications.models import Application
from cases.checks.dates import quarter_bounds, quarter_of
from cases.checks.models import Check
from cases.children.categories import Category
from cases.children.models import CategoryMembership, Child, membership_open_q
from welfare.models import Region
from welfare.months import add_months, month_end, month_start

LEVEL_BELOW = {"province": "city", "city": "county", "county": "township", "township": "village"}


SNAPSHOT_LEVELS = ("province", "city", "county")  # added up from snapshot rows; townships and villages: live


TREND_MONTHS = 12


PAID_RUN_STATUSES = ("approved", "exported")


def previous_month_ends(day: datetime.date, count: int) -> list[datetime.date]:
    """The last days of the `count` months before the month of `day`, oldest first."""
    return [month_end(add_months(month_start(day), -k)) for k in range(count, 0, -1)]


def trend_points(day: datetime.date) -> list[datetime.date]:
    """Month ends of the eleven months before, then the day itself."""
    return [*previous_month_ends(day, TREND_MONTHS - 1), day]


def year_before(day: datetime.date) -> datetime.date:
    """The same day a year before (29 February: the 28th)."""
    return add_months(day, -12)


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


def _subregions(region: Region) -> list[Region]:
    if region.level not in LEVEL_BELOW:
        return []
    return list(Region.objects.filter(parent=region).order_by("code"))


class Grouping:
    """How rows of a subtree are grouped: under the region itself (`self`), by the regions one
    level below it (`below`), by the regions of one level in it (`township`, `county`) or by the
    region each row is recorded on (`path`: the key is that region's path, for the caller to add
    up into the regions above, as the dashboard snapshot does). Official codes have fixed lengths, so the
    path of a region at one level has one length and `Left(path, n)` names the group in SQL;
    a tree with irregular codes falls back to grouping by village and mapping in Python."""

    def __init__(self, region: Region, how: str, *, below: list[Region] | None = None):
        """`below`: the regions one level below `region`, when the caller has read them already."""
        self.region, self.how = region, how
        self.length: int | None = None
        self.map: dict[int, str] | None = None
        if how in ("self", "path"):
            return
        if how == "below":
            if below is None:
                paths = set(Region.objects.filter(parent=region).values_list("path", flat=True))
            else:
                paths = {r.path for r in below}
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
        if self.how == "path":
            return qs.annotate(k=F(f"{prefix}path")).values("k", *fields)
        if self.length is not None:
            return qs.annotate(k=Left(f"{prefix}path", self.length)).values("k", *fields)
        if self.map is not None:
            return qs.values(f"{prefix}id" if prefix else "id", *fields)
        return qs.values(*fields)

    def key(self, row: dict, region_field: str) -> str:
        if self.how == "path":
            return row["k"]
        if self.length is not None:
            return (
                row["k"].rstrip("/").rsplit("/", 1)[-1]
                if row["k"] and len(row["k"]) == self.length
                else self.region.code
            )
        if self.map is not None:
            return self.map.get(row[f"{region_field}__id" if region_field else "id"], self.region.code)
        return self.region.code


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


@dataclass
class CaseworkFigures:
    """Casework counts of one region (no case content): open cases by risk level and by grade
    of the latest approved assessment, reports received by (month, source, concern), reports
    past their deadline, referrals waiting for an answer, follow-ups overdue."""

    by_risk: Counter = field(default_factory=Counter)
    by_grade: Counter = field(default_factory=Counter)
    reports: Counter = field(default_factory=Counter)
    reports_past_deadline: int = 0
    referrals_waiting: int = 0
    follow_ups_overdue: int = 0

    @property
    def open_cases(self) -> int:
        return sum(self.by_risk.values())

    @property
    def reports_received(self) -> int:
        return sum(self.reports.values())

    def to_json(self) -> dict:
        return {
            "by_risk": dict(self.by_risk),
            "by_grade": dict(self.by_grade),
            "reports": {f"{month.isoformat()}|{source}|{concern}": n for (month, source, concern), n in self.reports.items()},
            "reports_past_deadline": self.reports_past_deadline,
            "referrals_waiting": self.referrals_waiting,
            "follow_ups_overdue": self.follow_ups_overdue,
        }

    @classmethod
    def from_json(cls, data: dict) -> CaseworkFigures:
        f = cls(by_risk=Counter(data.get("by_risk", {})), by_grade=Counter(data.get("by_grade", {})))
        for key, n in data.get("reports", {}).items():
            month, source, concern = key.split("|")
            f.reports[(datetime.date.fromisoformat(month), source, concern)] = n
        f.reports_past_deadline = data.get("reports_past_deadline", 0)
        f.referrals_waiting = data.get("referrals_waiting", 0)
        f.follow_ups_overdue = data.get("follow_ups_overdue", 0)
        return f

    def add(self, other: CaseworkFigures) -> CaseworkFigures:
        self.by_risk.update(other.by_risk)
        self.by_grade.update(other.by_grade)
        self.reports.update(other.reports)
        self.reports_past_deadline += other.reports_past_deadline
        self.referrals_waiting += other.referrals_waiting
        self.follow_ups_overdue += other.follow_ups_overdue
        return self


def _payout_model():
    """benefits.Payout, looked up when a figure needs it (benefits imports cases as it loads)."""
    from django.apps import apps

    return apps.get_model("benefits", "Payout")


def _live_figures(region: Region, on: datetime.date, *, group: str = "below") -> dict[str, Figures]:
    """Figures computed from the records, grouped as `group` says (see `Grouping`)."""
    from institutions.models import Staff, Training

    g = Grouping(region, group)
    out: dict[str, Figures] = defaultdict(Figures)
    path = region.path
    # Children by category and sub-category.
    memberships = CategoryMembership.objects.filter(child__region__path__startswith=path).open_on(on)
    for row in g.values(memberships, "child__region", "category", "sub_category").annotate(n=Count("id")).order_by():
        f = out[g.key(row, "child__region")]
        f.categories[row["category"]] += row["n"]
        f.sub_categories[row["category"]][row["sub_category"]] += row["n"]
    # Distinct children in at least one category.
    in_category = CategoryMembership.objects.filter(child_id=OuterRef("pk")).open_on(on)
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
    Payout = _payout_model()
    payouts = Payout.objects.filter(
        Payout.in_months([month_start(on)]), child__region__path__startswith=path, run__status__in=PAID_RUN_STATUSES
    )
    for row in g.values(payouts, "child__region", "category").annotate(n=Count("id"), amount=Sum("amount")).order_by():
        f = out[g.key(row, "child__region")]
        f.paid_count[row["category"]] += row["n"]
        f.paid_amount[row["category"]] += row["amount"] or Decimal("0")
    return out


def _quarter_children(path: str, on: datetime.date) -> models.QuerySet[Child]:
    """Left-behind children of the subtree whose membership overlaps the calendar quarter of
    `on`, annotated `was_checked` (a check in that quarter): the definition of
    cases.checks.selectors.check_quarter_completion, made groupable."""
    start, end = quarter_bounds(*quarter_of(on))
    member = CategoryMembership.objects.filter(child_id=OuterRef("pk"), category=Category.LEFT_BEHIND).open_during(start, end)
    checked = Check.objects.filter(child_id=OuterRef("pk"), checked_on__gte=start, checked_on__lte=end)
    return (
        Child.objects.filter(region__path__startswith=path).filter(Exists(member)).annotate(was_checked=Exists(checked))
    )


def _live_trend(region: Region, points: list[datetime.date], *, group: str = "self") -> dict[str, list[Figures]]:
    """Categories at each point and money paid in each point's month (one query each), grouped."""
    g = Grouping(region, group)
    path = region.path
    aggregates = {f"p{i}": Count("id", filter=membership_open_q(day, day)) for i, day in enumerate(points)}
    qs = CategoryMembership.objects.filter(child__region__path__startswith=path).open_during(points[0], points[-1])
    out: dict[str, list[Figures]] = defaultdict(lambda: [Figures() for _p in points])
    for row in g.values(qs, "child__region", "category").annotate(**aggregates).order_by():
        series = out[g.key(row, "child__region")]
        for i in range(len(points)):
            if row[f"p{i}"]:
                series[i].categories[row["category"]] += row[f"p{i}"]
    Payout = _payout_model()
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
