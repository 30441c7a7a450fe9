"""Reads of the budget projection (core flow 9): a year's allowances by month and category, plus
the education grants, for a county, city or province in the user's scope, and the check of the
method against what the payout runs actually paid.

The projection starts from the caseload known on its first month (`as_of`: this month for a year
ahead, the year's first month for this year or a past one):

- the enrollments paid in `as_of` (start month on or before it, last month paid on or after it);
  for a year ahead also those already recorded to start later (a transfer accepted for next month);
- each one is paid up to its last month: `Enrollment.paid_through`, the column the payout run
  itself reads (benefits/payouts/schema.py: the end month, the month of the 18th birthday, the month
  of death, kept by the database). Checking a past year, an end recorded for another reason than
  the 18th birthday (adoption, death, a move, no longer eligible) on or after the first month was
  not known on that day: the enrollment is projected to its 18th birthday, as the projection of
  that day would have done;
- the amount of a month is the standard the payout run would pay: resolved by
  benefits/standards/resolve.StandardBook on the month's first day, on the paying county's path
  (on the child's village path when a standard is set below county level, as the run does);
- a what-if raise of `percent` from a date: every standard in force on that date is raised with
  the raise service's own rule (benefits.standards.services.standard_raised_amount), later
  versions already scheduled stand as they are (as after a real raise);
- new enrollments: per county and category, the enrollments that started in the twelve months
  before `as_of` (a child's continuation in the region, such as a category change or a move
  between two of its counties, is not new) give a monthly rate; the month m of the projection adds
  rate × (months from `as_of` to m) children at that month's standard;
- the grants: benefits/budget/grants.py.

Set-based: the caseload is read by one aggregate over the enrollments (grouped by county, category
and last month, expanded over the months by generate_series), the new enrollments by a second;
Python only resolves the few standards (per county, category and month) and adds up the groups.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from benefits.budget import grants as budget_grants
from benefits.enrollments.models import Enrollment
from benefits.payouts.models import PayoutRun
from benefits.standards.models import WelfareStandard
from benefits.standards.resolve import Resolved, StandardBook, StandardCycle, StandardMissing, path_codes
from benefits.standards.services import ROUNDING, standard_raised_amount
from cases.children.categories import PAID_CATEGORIES, Category
from welfare.errors import field_error
from welfare.models import Region
from welfare.months import add_months, month_start
from welfare.roles import Action, Role, require
from welfare.scoping import in_scope

MAX_YEARS_AHEAD = 5
FIRST_YEAR = 2000  # payouts are keyed from 2000-01 (benefits.payouts.models.PAYOUT_EPOCH)
LEVELS = (Region.Level.PROVINCE, Region.Level.CITY, Region.Level.COUNTY)
RAISE_LIMITS = (Decimal("-50"), Decimal("100"))
CENT = Decimal("0.01")
# The runs that paid a month: computed, whether approved yet or not.
PAID_STATUSES = (PayoutRun.Status.DRAFT, PayoutRun.Status.APPROVED, PayoutRun.Status.EXPORTED)
# An end for one of these reasons is known ahead (the 18th birthday); any other end on or after
# the first month projected was not known on the first day of a past year.
FORESEEN_ENDS = ("", Enrollment.EndReason.AGE)


# --- input ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhatIf:
    """A raise of every standard in force on `start` by `percent` (negative: a cut), rounded by
    `rounding` like a real raise."""

    percent: Decimal
    start: datetime.date
    rounding: str = "yuan"


@dataclass(frozen=True)
class ProjectionInput:
    year: int
    what_if: WhatIf | None


def budget_region_get(*, user, code: str | None) -> Region:
    """The region of a projection: the user's role must project budgets (403 otherwise), the code a
    county, city or province in the user's scope (404 outside it, 400 below county level). Without
    a code, the user's own region."""
    require(user, Action.PROJECT_BUDGET)
    code = (code or "").strip()[:12]
    if code:
        region = Region.objects.filter(code=code).first()
    elif user.region_id and user.role != Role.INSTITUTION_STAFF:
        region = user.region
    else:
        region = Region.objects.filter(level=Region.Level.PROVINCE).order_by("code").first()
    if region is None or not in_scope(user, region):
        raise Http404
    if region.level not in LEVELS:
        raise field_error("region", _("A budget is projected for a county, city or province: choose one."))
    return region


def projection_input(*, year=None, raise_percent=None, raise_from=None, rounding=None, today: datetime.date | None = None) -> ProjectionInput:
    """Parse and check the query: a year (default: next year) from 2000 up to five years ahead; an
    optional what-if raise (percent between -50 and 100, from a date in or before the year,
    default its 1 January; rounding yuan or jiao)."""
    today = today or timezone.localdate()
    text = str(year).strip() if year not in (None, "") else str(today.year + 1)
    if not text.isdigit() or len(text) != 4:
        raise field_error("year", _("Enter a year as four digits, for example %(year)s.") % {"year": today.year + 1})
    value = int(text)
    if value > today.year + MAX_YEARS_AHEAD:
        raise field_error(
            "year",
            _("A budget can be projected at most five years ahead (up to %(year)s).") % {"year": today.year + MAX_YEARS_AHEAD},
        )
    if value < FIRST_YEAR:
        raise field_error("year", _("Payouts are recorded from %(year)s: choose a later year.") % {"year": FIRST_YEAR})
    rounding = (rounding or "yuan").strip() if isinstance(rounding, str) or rounding is None else ""
    if rounding not in ROUNDING:
        raise field_error("rounding", _("Rounding is 'yuan' or 'jiao'."))
    if raise_percent in (None, ""):
        if raise_from not in (None, ""):
            raise field_error("raise_percent", _("Give the percentage of the raise as well as its date."))
        return ProjectionInput(year=value, what_if=None)
    try:
        percent = Decimal(str(raise_percent).strip())
    except (InvalidOperation, ValueError):
        percent = Decimal("NaN")
    low, high = RAISE_LIMITS
    if not percent.is_finite() or not (low <= percent <= high):
        raise field_error(
            "raise_percent",
            _("Enter the raise as a percentage between %(low)s and %(high)s, for example 5 or -2.5.") % {"low": low, "high": high},
        )
    percent = percent.quantize(CENT, rounding=ROUND_HALF_UP)
    if raise_from in (None, ""):
        start = datetime.date(value, 1, 1)
    else:
        try:
            start = raise_from if isinstance(raise_from, datetime.date) else datetime.date.fromisoformat(str(raise_from).strip())
        except ValueError:
            raise field_error("raise_from", _("Enter the date of the raise as YYYY-MM-DD, for example %(d)s.") % {"d": f"{value}-07-01"}) from None
    if start.year > value:
        raise field_error("raise_from", _("The raise must take effect in or before the year projected."))
    return ProjectionInput(year=value, what_if=WhatIf(percent=percent, start=start, rounding=rounding))


# --- the projection ---------------------------------------------------------------------------


@dataclass
class Cell:
    children: int = 0
    amount: Decimal = Decimal("0.00")
    new_children: int = 0


@dataclass
class MonthFigures:
    month: datetime.date
    by_category: dict[str, Cell]
    grants: Decimal
    grant_students: int
    total: Decimal


@dataclass
class NewRate:
    """New enrollments of a category: per month (the average of the twelve months before the
    projection's first month) and their average monthly amount in the projected year."""

    per_month: Decimal
    average_amount: Decimal | None


@dataclass
class Projection:
    region: Region
    year: int
    as_of: datetime.date
    what_if: WhatIf | None
    months: list[MonthFigures]
    total: Decimal
    totals_by_category: dict[str, Cell]
    grants_total: Decimal
    new_rates: dict[str, NewRate]
    problems: list[dict] = field(default_factory=list)


def projection_start(*, year: int, today: datetime.date | None = None) -> datetime.date:
    """The month whose caseload a year's projection starts from: this month for a year ahead, the
    year's first month for this year or a past one."""
    today = today or timezone.localdate()
    return min(month_start(today), datetime.date(year, 1, 1))


def _year_months(year: int) -> list[datetime.date]:
    return [datetime.date(year, m, 1) for m in range(1, 13)]


def _months_between(a: datetime.date, b: datetime.date) -> int:
    return (b.year - a.year) * 12 + (b.month - a.month)


def _counties(region: Region) -> dict[int, str]:
    """The counties of the region (itself when it is one): id → path."""
    if region.level == Region.Level.COUNTY:
        return {region.id: region.path}
    return dict(
        Region.objects.filter(level=Region.Level.COUNTY, path__startswith=region.path).values_list("id", "path")
    )


def _standards_below_county(region: Region) -> bool:
    """Whether a standard is set below county level somewhere in the region (only through the
    admin: standard_create refuses it). Then, as in the payout run, amounts are resolved on each
    child's village path."""
    return WelfareStandard.objects.filter(
        region__path__startswith=region.path, region__level__in=[Region.Level.TOWNSHIP, Region.Level.VILLAGE]
    ).exists()


# Placeholders: first, last (the year's months), counties, start limit, first (again).
# {key}: the region a group is resolved at (0: the paying county; else the child's village).
# {last}: the last month paid (paid_through, or the rule without unforeseen ends for a past year).
_CASELOAD_SQL = """
WITH months AS (
    SELECT m::date AS month FROM generate_series(%(first)s::date, %(last)s::date, interval '1 month') AS m
), caseload AS (
    SELECT e.county_id, {key} AS region_id, e.category,
           GREATEST(e.start_month, %(first)s::date) AS f, LEAST({last_month}, %(last)s::date) AS l, COUNT(*) AS n
    FROM benefits_enrollment e {join}
    WHERE e.county_id = ANY(%(counties)s) AND e.start_month <= %(known_start)s AND e.paid_through >= %(first)s
    GROUP BY 1, 2, 3, 4, 5
)
SELECT c.county_id, c.region_id, c.category, months.month, SUM(c.n)::bigint
FROM caseload c JOIN months ON months.month BETWEEN c.f AND c.l
GROUP BY 1, 2, 3, 4
"""

# The last month paid as known on the first day of a past year: an end for another reason than
# the 18th birthday was not known, so the child is projected to the month of the 18th birthday
# (the payout run's own SQL rule, benefits_child_last_month; death unknown as well).
_LAST_MONTH_FORESEEN = (
    "CASE WHEN e.end_reason IN ('', 'age') THEN e.paid_through "
    "ELSE (SELECT benefits_child_last_month(ch.birth_date, NULL) FROM cases_child ch WHERE ch.id = e.child_id) END"
)

# New enrollments of the twelve months before the projection's first month, per county and
# category; a continuation (another enrollment of the same child in the region paid up to the
# month before: a change of category, a move between two of its counties) is not new. Both sides
# are read from the payout run's covering index (paid_through is in it; enrollments never overlap,
# so the earlier one is paid to before the later one starts), the earlier side only among the
# enrollments whose payment ended in the window: a small hash. Placeholders: counties, window
# start, as_of.
_NEW_SQL = """
SELECT e.county_id, e.category, COUNT(*)::bigint
FROM benefits_enrollment e
WHERE e.county_id = ANY(%(counties)s) AND e.start_month >= %(window)s AND e.start_month < %(as_of)s
  AND NOT EXISTS (
      SELECT 1 FROM benefits_enrollment p
      WHERE p.child_id = e.child_id AND p.county_id = ANY(%(counties)s)
        AND p.paid_through >= (e.start_month - interval '1 month')::date AND p.paid_through < e.start_month
        AND p.paid_through >= (%(window)s::date - interval '1 month')::date AND p.paid_through < %(as_of)s
  )
GROUP BY 1, 2
"""

# For these aggregates only: no JIT compilation for a statement of a fraction of a second, and a
# hash aggregate of the few thousand groups rather than a sort of a million rows (measured at
# 1,000,000 enrollments: the sort was half the time). Undone right after.
_FAST = "SET LOCAL jit = off; SET LOCAL enable_sort = off; SET LOCAL enable_incremental_sort = off"
_FAST_UNDO = "SET LOCAL jit = DEFAULT; SET LOCAL enable_sort = DEFAULT; SET LOCAL enable_incremental_sort = DEFAULT"


def _fetch(sql: str, params: dict) -> list[tuple]:
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(_FAST)
        cur.execute(sql, params)
        rows = cur.fetchall()
        cur.execute(_FAST_UNDO)
    return rows


def _caseload(*, counties: dict[int, str], first, last, as_of, known_start, past: bool, by_child_region: bool) -> list[tuple]:
    """Rows (county id, region id or 0, category, month, children) of the known caseload."""
    if connection.vendor != "postgresql":
        return _caseload_portable(counties=counties, first=first, last=last, known_start=known_start, past=past, by_child_region=by_child_region)
    sql = _CASELOAD_SQL.format(
        key="c.region_id" if by_child_region else "0",
        join="JOIN cases_child c ON c.id = e.child_id" if by_child_region else "",
        last_month=_LAST_MONTH_FORESEEN if past else "e.paid_through",
    )
    # The enrollments of the counties are read through the payout run's covering index.
    return _fetch(sql, {"first": first, "last": last, "counties": list(counties), "known_start": known_start})


def _last_month_portable(*, end_month, end_reason, birth: datetime.date, died, past: bool) -> datetime.date:
    """The rule of _CASELOAD_SQL's last month (paid_through, benefits/payouts/schema.py) in Python,
    for SQLite (the embedded demo), where the run keeps the ORM rule."""
    eighteenth = add_months(month_start(birth), 12 * 18)  # the month of the 18th birthday: the last paid
    if past and end_reason not in FORESEEN_ENDS:
        return eighteenth
    candidates = [eighteenth]
    if end_month is not None:
        candidates.append(end_month)
    if died is not None:
        candidates.append(month_start(died))
    return min(candidates)


def _caseload_portable(*, counties, first, last, known_start, past: bool, by_child_region: bool) -> list[tuple]:
    rows = Enrollment.objects.filter(county_id__in=list(counties), start_month__lte=known_start).values_list(
        "county_id", "child__region_id", "category", "start_month", "end_month", "end_reason", "child__birth_date", "child__died_on"
    )
    out: dict[tuple, int] = defaultdict(int)
    for county_id, region_id, category, start, end_month, end_reason, birth, died in rows.iterator(chunk_size=2000):
        if _last_month_portable(end_month=end_month, end_reason=end_reason, birth=birth, died=died, past=False) < first:
            continue  # paid_through before the year
        lastm = min(_last_month_portable(end_month=end_month, end_reason=end_reason, birth=birth, died=died, past=past), last)
        m = max(start, first)
        while m <= lastm:
            out[(county_id, region_id if by_child_region else 0, category, m)] += 1
            m = add_months(m, 1)
    return [(*k, n) for k, n in out.items()]


def _new_enrollments(*, counties: dict[int, str], as_of: datetime.date) -> dict[tuple[int, str], int]:
    """(county id, category) → enrollments started in the twelve months before `as_of`."""
    window = add_months(as_of, -12)
    if connection.vendor == "postgresql":
        rows = _fetch(_NEW_SQL, {"counties": list(counties), "window": window, "as_of": as_of})
        return {(c, cat): n for c, cat, n in rows}
    return _new_enrollments_portable(counties=counties, as_of=as_of)


def _new_enrollments_portable(*, counties: dict[int, str], as_of: datetime.date) -> dict[tuple[int, str], int]:
    """_NEW_SQL through the ORM, for SQLite (the embedded demo: a few hundred children)."""
    window = add_months(as_of, -12)
    out: dict[tuple[int, str], int] = defaultdict(int)
    rows = Enrollment.objects.filter(county_id__in=list(counties), start_month__gte=window, start_month__lt=as_of)
    for e in rows.only("id", "child_id", "county_id", "category", "start_month"):
        before = add_months(e.start_month, -1)
        earlier = Enrollment.objects.filter(child_id=e.child_id, county_id__in=list(counties), start_month__lt=e.start_month).exclude(id=e.id)
        continued = any(
            before <= _last_month_portable(end_month=end, end_reason=reason, birth=birth, died=died, past=False) < e.start_month
            for end, reason, birth, died in earlier.values_list("end_month", "end_reason", "child__birth_date", "child__died_on")
        )
        if not continued:
            out[(e.county_id, e.category)] += 1
    return dict(out)


class _Amounts:
    """The monthly amount per (path, category, month) the payout run would pay, with a what-if
    raise applied. A StandardBook (one query) is read for the first month and again only for a
    month in which a version takes effect: the months between share it."""

    def __init__(self, *, paths: set[str], months: list[datetime.date], what_if: WhatIf | None):
        self.what_if = what_if
        codes = {c for p in paths for c in path_codes(p)}
        changes = sorted(
            set(
                WelfareStandard.objects.filter(
                    region__code__in=codes, effective_from__gt=months[0], effective_from__lte=months[-1]
                ).values_list("effective_from", flat=True)
            )
        )
        self.books: dict[datetime.date, StandardBook] = {}
        by_key: dict[int, StandardBook] = {}
        for m in months:
            key = sum(1 for d in changes if d <= m)  # versions taking effect by m
            if key not in by_key:
                by_key[key] = StandardBook(on=m, paths=paths)
            self.books[m] = by_key[key]
        self.resolved: dict[tuple[str, str, int], Resolved | None] = {}
        self.cache: dict[tuple[str, str, datetime.date], Decimal | None] = {}
        self.problems: dict[tuple[str, str], str] = {}

    def get(self, path: str, category: str, month: datetime.date) -> Decimal | None:
        key = (path, category, month)
        if key not in self.cache:
            self.cache[key] = self._amount(path, category, month)
        return self.cache[key]

    def _resolve(self, path: str, category: str, book: StandardBook) -> Resolved | None:
        key = (path, category, id(book))
        if key not in self.resolved:
            try:
                self.resolved[key] = book.resolve(path_codes(path), category)
            except (StandardMissing, StandardCycle) as exc:
                self.problems.setdefault((path, category), str(exc))
                self.resolved[key] = None
        return self.resolved[key]

    def _amount(self, path: str, category: str, month: datetime.date) -> Decimal | None:
        book = self.books[month]
        resolved = self._resolve(path, category, book)
        if resolved is None:
            return None
        amount = resolved.amount
        w = self.what_if
        if w is not None and w.start <= month and resolved.standard.effective_from <= w.start:
            amount = standard_raised_amount(current=amount, percent=w.percent, rounding=w.rounding)
            floor = book.floor(path_codes(path), category)
            if floor is not None and floor.monthly_amount is not None and amount < floor.monthly_amount:
                message = _(
                    "A raise of %(percent)s%% takes the standard for %(category)s to %(amount)s yuan in %(month)s, "
                    "below the minimum of %(minimum)s yuan set by %(region)s."
                ) % {
                    "percent": w.percent,
                    "category": Category(category).label,
                    "amount": amount,
                    "month": month.strftime("%Y-%m"),
                    "minimum": floor.monthly_amount,
                    "region": floor.region.name,
                }
                raise field_error("raise_percent", message)
        return amount


def _resolve_path(*, county_path: str, region_path: str | None) -> str:
    """The path a child's amount is resolved on: the paying county's, or the child's village when
    it lies in that county (a child living elsewhere is paid at the county's standard)."""
    if region_path and region_path.startswith(county_path):
        return region_path
    return county_path


def budget_projection(
    *, region: Region, year: int, what_if: WhatIf | None = None, today: datetime.date | None = None, as_of: datetime.date | None = None
) -> Projection:
    """The projection of `year` for `region` (already checked: see budget_region_get)."""
    today = today or timezone.localdate()
    as_of = as_of or projection_start(year=year, today=today)
    months = _year_months(year)
    first, last = months[0], months[-1]
    past = as_of >= first  # this year or a past one: projected from its first day
    counties = _counties(region)
    by_child_region = _standards_below_county(region)
    rows = _caseload(
        counties=counties,
        first=first,
        last=last,
        as_of=as_of,
        known_start=as_of if past else last,
        past=past,
        by_child_region=by_child_region,
    ) if counties else []
    new = _new_enrollments(counties=counties, as_of=as_of) if counties else {}
    region_paths: dict[int, str] = {}
    if by_child_region:
        region_paths = dict(Region.objects.filter(id__in={r[1] for r in rows}).values_list("id", "path"))
    paths = set(counties.values()) | {
        _resolve_path(county_path=counties[c], region_path=region_paths.get(r)) for c, r, *_rest in rows if r
    }
    amounts = _Amounts(paths=paths or {region.path}, months=months, what_if=what_if)
    if what_if is not None:  # a cut below a minimum is refused naming its first month
        for month in months:
            for path in sorted(paths):
                for category in PAID_CATEGORIES:
                    amounts.get(path, category, month)

    cells: dict[tuple[datetime.date, str], list] = defaultdict(lambda: [0, Decimal(0), Decimal(0), Decimal(0)])
    unpaid: dict[tuple[str, str], int] = defaultdict(int)  # (path, category) → child-months without a standard
    for county_id, region_id, category, month, n in rows:
        path = _resolve_path(county_path=counties[county_id], region_path=region_paths.get(region_id)) if region_id else counties[county_id]
        amount = amounts.get(path, category, month)
        if amount is None:
            unpaid[(path, category)] += n
            continue
        row = cells[(month, category)]
        row[0] += n
        row[1] += amount * n
    new_amount: dict[str, Decimal] = defaultdict(Decimal)
    new_children: dict[str, Decimal] = defaultdict(Decimal)
    for (county_id, category), n in new.items():
        rate = Decimal(n) / 12
        for month in months:
            k = _months_between(as_of, month)
            if k <= 0:
                continue
            amount = amounts.get(counties[county_id], category, month)
            if amount is None:
                continue
            row = cells[(month, category)]
            row[2] += rate * k
            row[3] += rate * k * amount
            new_amount[category] += rate * k * amount
            new_children[category] += rate * k

    grant_months = budget_grants.grant_projection(counties=counties, months=months, as_of=as_of)
    out_months: list[MonthFigures] = []
    totals: dict[str, Cell] = {c: Cell() for c in PAID_CATEGORIES}
    grand = Decimal("0.00")
    grants_total = Decimal("0.00")
    for month in months:
        by_category: dict[str, Cell] = {}
        month_total = Decimal("0.00")
        for category in PAID_CATEGORIES:
            known, known_amount, expected, expected_amount = cells.get((month, category), [0, Decimal(0), Decimal(0), Decimal(0)])
            amount = (known_amount + expected_amount).quantize(CENT, rounding=ROUND_HALF_UP)
            by_category[category] = Cell(
                children=known + int(expected.to_integral_value(rounding=ROUND_HALF_UP)),
                amount=amount,
                new_children=int(expected.to_integral_value(rounding=ROUND_HALF_UP)),
            )
            totals[category].amount += amount
            month_total += amount
        g_amount, g_students = grant_months.get(month, (Decimal("0.00"), 0))
        g_amount = g_amount.quantize(CENT, rounding=ROUND_HALF_UP)
        month_total += g_amount
        grants_total += g_amount
        grand += month_total
        out_months.append(MonthFigures(month=month, by_category=by_category, grants=g_amount, grant_students=g_students, total=month_total))
    for category in PAID_CATEGORIES:
        totals[category].children = max((m.by_category[category].children for m in out_months), default=0)
    rates = {
        category: NewRate(
            per_month=(Decimal(sum(n for (_c, cat), n in new.items() if cat == category)) / 12).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
            average_amount=(new_amount[category] / new_children[category]).quantize(CENT, rounding=ROUND_HALF_UP)
            if new_children[category]
            else None,
        )
        for category in PAID_CATEGORIES
    }
    code_of = {p: path_codes(p)[-1] for p in paths}
    problems = [
        {"region": code_of.get(path, path), "category": category, "child_months": n, "message": amounts.problems.get((path, category), "")}
        for (path, category), n in sorted(unpaid.items())
    ]
    return Projection(
        region=region,
        year=year,
        as_of=as_of,
        what_if=what_if,
        months=out_months,
        total=grand,
        totals_by_category=totals,
        grants_total=grants_total,
        new_rates=rates,
        problems=problems,
    )


# --- the check against the past ---------------------------------------------------------------


@dataclass
class PaidMonth:
    month: datetime.date
    by_category: dict[str, Cell]
    grants: Decimal
    total: Decimal


def budget_paid(*, region: Region, year: int) -> list[PaidMonth]:
    """What the payout runs of the region's counties paid in each month of `year` (computed runs:
    draft, approved or exported), by category, and the grant instalments; adjustments (corrections
    of other months) are left out. Read from the runs' stored totals: one query."""
    counties = _counties(region)
    months = _year_months(year)
    grant_field = "grant_total" if any(f.name == "grant_total" for f in PayoutRun._meta.get_fields()) else None
    fields = ["month", "totals_by_category", *([grant_field] if grant_field else [])]
    runs = PayoutRun.objects.filter(
        region_id__in=list(counties), month__gte=months[0], month__lte=months[-1], status__in=PAID_STATUSES
    ).values(*fields)
    by_month: dict[datetime.date, PaidMonth] = {
        m: PaidMonth(month=m, by_category={c: Cell() for c in PAID_CATEGORIES}, grants=Decimal("0.00"), total=Decimal("0.00"))
        for m in months
    }
    for run in runs:
        paid = by_month[run["month"]]
        for category, t in (run["totals_by_category"] or {}).items():
            cell = paid.by_category.setdefault(category, Cell())
            cell.children += int(t.get("count", 0))
            cell.amount += Decimal(str(t.get("amount", "0")))
        if grant_field:
            paid.grants += Decimal(run[grant_field] or 0)
    for paid in by_month.values():
        paid.total = sum((c.amount for c in paid.by_category.values()), Decimal("0.00")) + paid.grants
    return [by_month[m] for m in months]


@dataclass
class CheckMonth:
    month: datetime.date
    projected: Decimal
    paid: Decimal
    difference: Decimal
    percent: Decimal | None
    projected_children: int
    paid_children: int


@dataclass
class Check:
    year: int
    projection: Projection
    paid: list[PaidMonth]
    months: list[CheckMonth]
    projected_total: Decimal
    paid_total: Decimal
    difference: Decimal
    percent: Decimal | None
    has_runs: bool


def _percent(diff: Decimal, base: Decimal) -> Decimal | None:
    return (diff * 100 / base).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if base else None


def budget_check(*, region: Region, year: int, today: datetime.date | None = None) -> Check:
    """The method checked on a past year: the year projected from its first day, beside what the
    runs paid, month by month."""
    projection = budget_projection(region=region, year=year, today=today, as_of=datetime.date(year, 1, 1))
    paid = budget_paid(region=region, year=year)
    months = []
    for p, q in zip(projection.months, paid, strict=True):
        diff = p.total - q.total
        months.append(
            CheckMonth(
                month=p.month,
                projected=p.total,
                paid=q.total,
                difference=diff,
                percent=_percent(diff, q.total),
                projected_children=sum(c.children for c in p.by_category.values()),
                paid_children=sum(c.children for c in q.by_category.values()),
            )
        )
    projected_total = projection.total
    paid_total = sum((q.total for q in paid), Decimal("0.00"))
    return Check(
        year=year,
        projection=projection,
        paid=paid,
        months=months,
        projected_total=projected_total,
        paid_total=paid_total,
        difference=projected_total - paid_total,
        percent=_percent(projected_total - paid_total, paid_total),
        has_runs=any(q.total for q in paid),
    )


def last_full_year(today: datetime.date | None = None) -> int:
    return (today or timezone.localdate()).year - 1


# --- the API's answer -------------------------------------------------------------------------


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def projection_as_json(p: Projection) -> dict:
    """The answer of GET /api/budget/projection/ (docs/API.md): money as decimal strings."""
    return {
        "region": p.region.code,
        "region_name": p.region.name,
        "year": p.year,
        "as_of": p.as_of.strftime("%Y-%m"),
        "raise_percent": str(p.what_if.percent) if p.what_if else None,
        "raise_from": p.what_if.start.isoformat() if p.what_if else None,
        "rounding": p.what_if.rounding if p.what_if else None,
        "months": [
            {
                "month": m.month.strftime("%Y-%m"),
                "by_category": {
                    c: {"children": cell.children, "amount": _money(cell.amount), "new_children": cell.new_children}
                    for c, cell in m.by_category.items()
                },
                "grants": _money(m.grants),
                "grant_students": m.grant_students,
                "total": _money(m.total),
            }
            for m in p.months
        ],
        "totals_by_category": {c: _money(cell.amount) for c, cell in p.totals_by_category.items()},
        "grants": _money(p.grants_total),
        "total": _money(p.total),
        "new_enrollments_per_month": {
            c: {"children": str(r.per_month), "average_amount": _money(r.average_amount) if r.average_amount is not None else None}
            for c, r in p.new_rates.items()
        },
        "problems": p.problems,
    }
