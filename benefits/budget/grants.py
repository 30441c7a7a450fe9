"""The education grants of a budget projection (孤儿助学工程, benefits/grants).

A grant is approved per school year (September to August) and paid in instalments by the
county's monthly runs. The projection of a year counts:

- the instalments of approved grants (and of ended ones up to their last month) that fall in the
  year, as the run would pay them (benefits.grants.services.instalment_schedule);
- the grants continuing: a student whose latest grant is approved is projected to renew it each
  following school year at the grant standard in force then (benefits.grants.selectors
  .grant_standard_resolve), while the student is not older than the standard's highest age on
  the school year's first day.

Checking a past year, only the grants of school years that had begun by its first day are taken
as known; later ones are projected as renewals. An orphan turning 18 who starts studying is not
guessed: the young person appears once the grant is filed.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from benefits.grants.models import Grant
from benefits.grants.resolve import ResolvedGrant, grant_standard_on
from benefits.grants.schedule import instalment_schedule, school_year_first_day, school_year_of
from benefits.grants.services import age_on


def grant_projection(
    *, counties: dict[int, str], months: list[datetime.date], as_of: datetime.date
) -> dict[datetime.date, tuple[Decimal, int]]:
    """month → (amount, students paid an instalment) for the months of a year, over the grants
    paid by `counties` (id → path)."""
    if not counties:
        return {}
    first, last = months[0], months[-1]
    past = as_of >= first
    # The school years that touch the year: the one begun the September before, and the one
    # beginning in its September.
    wanted = {first.year - 1, first.year}
    rows = (
        Grant.objects.filter(county_id__in=list(counties), status__in=[Grant.Status.APPROVED, Grant.Status.ENDED])
        .values_list("child_id", "county_id", "school_year", "annual_amount", "instalments", "status", "end_month", "child__birth_date")
        .order_by("child_id", "school_year")
    )
    known: dict[tuple[int, int], tuple] = {}
    latest: dict[int, tuple] = {}
    for row in rows:
        year = int(row[2][:4])
        if past and school_year_first_day(row[2]) > as_of:
            continue  # not known yet on the first day of the year checked
        known[(row[0], year)] = row
        latest[row[0]] = row  # ordered by school year: the last one wins
    amounts: dict[datetime.date, Decimal] = defaultdict(Decimal)
    students: dict[datetime.date, set[int]] = defaultdict(set)

    def add(child_id: int, schedule, end_month: datetime.date | None) -> None:
        for _n, month, amount in schedule:
            if first <= month <= last and (end_month is None or month <= end_month):
                amounts[month] += amount
                students[month].add(child_id)

    for (child_id, year), (_c, _county, school_year, annual, instalments, status, end_month, _birth) in known.items():
        if year in wanted and annual is not None and instalments:
            ended = end_month if status == Grant.Status.ENDED else None
            add(child_id, instalment_schedule(school_year=school_year, annual_amount=annual, instalments=instalments), ended)

    standards: dict[tuple[int, int], ResolvedGrant] = {}
    for child_id, (_c, county_id, school_year, _a, _i, status, _e, birth) in latest.items():
        if status != Grant.Status.APPROVED:
            continue  # ended: the study is over
        for year in range(int(school_year[:4]) + 1, first.year + 1):
            if year not in wanted or (child_id, year) in known:
                continue
            key = (county_id, year)
            if key not in standards:
                standards[key] = grant_standard_on(path=counties[county_id], on=datetime.date(year, 9, 1))
            standard = standards[key]
            if age_on(birth, datetime.date(year, 9, 1)) > standard.max_age:
                break
            renewal = instalment_schedule(school_year=school_year_of(year), annual_amount=standard.annual_amount, instalments=standard.instalments)
            add(child_id, renewal, None)
    return {m: (amounts[m], len(students[m])) for m in months if m in amounts}
