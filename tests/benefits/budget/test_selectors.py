"""The budget projection on data whose answer is known: birthdays, scheduled standards, a what-if
raise, new enrollments, and a past year projected from its first day against what its runs paid."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from benefits.budget import selectors
from benefits.budget.selectors import WhatIf, budget_check, budget_projection
from benefits.enrollments.models import Enrollment
from benefits.payouts.services import payout_run_compute, payout_run_start
from tests.benefits.helpers import enrolled_child, std
from welfare.errors import ApplicationError

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = datetime.datetime(2026, 3, 15, 10, 0)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


def amounts(projection, category="orphan_scattered") -> list[Decimal]:
    return [m.by_category[category].amount for m in projection.months]


def children(projection, category="orphan_scattered") -> list[int]:
    return [m.by_category[category].children for m in projection.months]


@pytest.fixture
def caseload(regions):
    """Orphans of our county paid 1000 a month, 1100 from July 2027 (already scheduled)."""
    std(regions.province, "orphan_scattered", 950, minimum=True, document="省最低标准")
    std(regions.county, "orphan_scattered", 1000)
    std(regions.county, "orphan_scattered", 1100, on="2027-07-01")
    std(regions.other_county, "orphan_scattered", 1200)
    enrolled_child(regions.village, regions.county, birth=D(2015, 3, 14), start="2024-01-01")  # all year
    enrolled_child(regions.village, regions.county, birth=D(2009, 5, 20), start="2024-01-01")  # 18 in May 2027
    _c, adopted = enrolled_child(regions.village, regions.county, birth=D(2016, 1, 1), start="2024-01-01")
    adopted.end_month, adopted.end_reason, adopted.status = D(2026, 2, 1), "adoption", "ended"
    adopted.save()
    enrolled_child(regions.village, regions.county, birth=D(2014, 8, 8), start="2027-03-01")  # recorded ahead
    enrolled_child(regions.other_village, regions.other_county, birth=D(2015, 1, 1), start="2024-01-01")


def test_it_pays_each_child_up_to_the_month_of_the_18th_birthday_at_the_scheduled_standards(regions, caseload):
    p = budget_projection(region=regions.county, year=2027)
    assert p.as_of == D(2026, 3, 1)
    assert children(p) == [2, 2, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2]
    assert amounts(p) == [Decimal(x) for x in (2000, 2000, 3000, 3000, 3000, 2000, 2200, 2200, 2200, 2200, 2200, 2200)]
    assert p.total == Decimal("28200.00")
    assert [m.total for m in p.months] == amounts(p)


def test_it_adds_up_the_counties_of_a_city(regions, caseload):
    p = budget_projection(region=regions.city, year=2027)
    assert amounts(p)[0] == Decimal("3200.00")  # 2 × 1000 in our county, 1 × 1200 in the other
    assert p.total == Decimal("28200.00") + 12 * Decimal("1200.00")


def test_it_raises_the_standards_in_force_on_the_date_and_keeps_those_scheduled_later(regions, caseload):
    p = budget_projection(region=regions.county, year=2027, what_if=WhatIf(percent=Decimal("5"), start=D(2027, 4, 1)))
    # 1000 + 5 % = 1050 from April; the version of July (1100) stands as scheduled.
    assert amounts(p) == [Decimal(x) for x in (2000, 2000, 3000, 3150, 3150, 2100, 2200, 2200, 2200, 2200, 2200, 2200)]


def test_it_rounds_a_raise_like_the_raise_service(regions, caseload):
    p = budget_projection(region=regions.county, year=2027, what_if=WhatIf(percent=Decimal("3.33"), start=D(2027, 1, 1), rounding="jiao"))
    assert amounts(p)[0] == 2 * Decimal("1033.30")
    p = budget_projection(region=regions.county, year=2027, what_if=WhatIf(percent=Decimal("3.33"), start=D(2027, 1, 1)))
    assert amounts(p)[0] == 2 * Decimal("1033.00")


def test_it_refuses_a_cut_below_the_provincial_minimum(regions, caseload):
    with pytest.raises(ApplicationError) as exc:
        budget_projection(region=regions.county, year=2027, what_if=WhatIf(percent=Decimal("-10"), start=D(2027, 1, 1)))
    assert "raise_percent" in exc.value.field_errors
    assert "950" in str(exc.value.message) and "2027-01" in str(exc.value.message)
    p = budget_projection(region=regions.county, year=2027, what_if=WhatIf(percent=Decimal("-4"), start=D(2027, 1, 1)))
    assert amounts(p)[0] == 2 * Decimal("960.00")


def test_it_adds_new_enrollments_at_the_rate_of_the_last_twelve_months(regions):
    std(regions.county, "key_difficulty", 500)
    std(regions.county, "orphan_scattered", 1000)
    for month in range(12):  # one a month from March 2025 to February 2026
        start = D(2025 + (2 + month) // 12, (2 + month) % 12 + 1, 1)
        enrolled_child(regions.village, regions.county, "key_difficulty", birth=D(2015, 1, 1), start=start.isoformat())
    # A change of category is a continuation, not a new child.
    child, old = enrolled_child(regions.village, regions.county, "orphan_scattered", birth=D(2015, 1, 1), start="2024-01-01")
    old.end_month, old.end_reason, old.status = D(2025, 5, 1), "category_change", "ended"
    old.save()
    Enrollment.objects.create(child=child, category="key_difficulty", county=regions.county, start_month=D(2025, 6, 1))
    p = budget_projection(region=regions.county, year=2027)
    counties = {regions.county.id: regions.county.path}
    assert selectors._new_enrollments(counties=counties, as_of=D(2026, 3, 1)) == {(regions.county.id, "key_difficulty"): 12}
    assert selectors._new_enrollments_portable(counties=counties, as_of=D(2026, 3, 1)) == {(regions.county.id, "key_difficulty"): 12}
    new = [m.by_category["key_difficulty"].new_children for m in p.months]
    assert new == list(range(10, 22))  # March 2026 + 10 months = January 2027
    assert children(p, "key_difficulty") == [13 + n for n in new]
    assert amounts(p, "key_difficulty")[0] == Decimal(23 * 500)
    assert p.new_rates["key_difficulty"].per_month == Decimal("1.0")
    assert p.new_rates["key_difficulty"].average_amount == Decimal("500.00")


def test_it_lists_children_without_a_standard_and_pays_them_nothing_like_the_run(regions):
    std(regions.county, "orphan_scattered", 1000)
    enrolled_child(regions.village, regions.county, "key_difficulty", birth=D(2015, 1, 1), start="2024-01-01")
    p = budget_projection(region=regions.county, year=2027)
    assert p.total == 0
    assert p.problems and p.problems[0]["category"] == "key_difficulty" and p.problems[0]["child_months"] == 12


def test_it_computes_the_same_caseload_in_sql_and_in_the_portable_rule(regions, caseload):
    counties = {regions.county.id: regions.county.path, regions.other_county.id: regions.other_county.path}
    for past, known_start in ((False, D(2027, 12, 1)), (True, D(2027, 1, 1))):
        kw = dict(counties=counties, first=D(2027, 1, 1), last=D(2027, 12, 1), known_start=known_start, past=past, by_child_region=False)
        sql = sorted(selectors._caseload(as_of=D(2026, 3, 1), **kw))
        portable = sorted(selectors._caseload_portable(**kw))
        assert sql == portable and sql


# --- a past year against its runs -------------------------------------------------------------


def run_month(county, month: datetime.date) -> None:
    run, _created = payout_run_start(by=None, region=county, month=month, enqueue=False)
    payout_run_compute(run_id=run.id)


@pytest.fixture
def past_year(regions):
    """2025 in our county: a raise scheduled from July, an 18th birthday in June, an enrollment
    ended before the year, one new child a month in 2024 and again from February 2025; the runs of
    every month of 2025 computed."""
    std(regions.county, "orphan_scattered", 1000)
    std(regions.county, "orphan_scattered", 1100, on="2025-07-01")
    std(regions.county, "key_difficulty", 500)
    enrolled_child(regions.village, regions.county, birth=D(2012, 2, 2), start="2023-05-01")
    enrolled_child(regions.village, regions.county, birth=D(2007, 6, 10), start="2023-05-01")  # 18 in June 2025
    _c, before = enrolled_child(regions.village, regions.county, birth=D(2013, 1, 1), start="2023-05-01")
    before.end_month, before.end_reason, before.status = D(2024, 11, 1), "ineligible", "ended"
    before.save()
    for month in range(1, 13):
        enrolled_child(regions.village, regions.county, "key_difficulty", birth=D(2014, 1, 1), start=D(2024, month, 1).isoformat())
    for month in range(2, 13):
        enrolled_child(regions.village_c, regions.county, "key_difficulty", birth=D(2014, 1, 1), start=D(2025, month, 1).isoformat())
    for month in range(1, 13):
        run_month(regions.county, D(2025, month, 1))


def test_it_projects_a_past_year_from_its_first_day_to_exactly_what_its_runs_paid(regions, past_year):
    check = budget_check(region=regions.county, year=2025)
    assert check.has_runs
    assert [m.projected for m in check.months] == [m.paid for m in check.months]
    assert [m.projected_children for m in check.months] == [m.paid_children for m in check.months]
    assert check.months[0].paid == 2 * 1000 + 12 * 500
    assert check.months[6].paid == 1100 + 18 * 500  # July: one orphan left, the raise, six new children
    assert check.difference == 0


def test_it_does_not_know_on_the_first_day_of_the_year_of_an_adoption_later_in_it(regions, past_year, county_official):
    """No hindsight: an end recorded for another reason than the 18th birthday was not known on
    the first day, so the check shows the months the runs did not pay."""
    from benefits.payouts.models import PayoutRun
    from benefits.payouts.services import payout_run_recompute

    enrollment = Enrollment.objects.get(category="orphan_scattered", status="active", child__birth_date=D(2012, 2, 2))
    enrollment.end_month, enrollment.end_reason, enrollment.status = D(2025, 9, 1), "adoption", "ended"
    enrollment.save()
    for month in (10, 11, 12):
        run = PayoutRun.objects.get(region=regions.county, month=D(2025, month, 1))
        payout_run_recompute(by=county_official, run=run)
        payout_run_compute(run_id=run.id)
    check = budget_check(region=regions.county, year=2025)
    assert [m.difference for m in check.months] == [0] * 9 + [Decimal("1100.00")] * 3
    assert check.difference == Decimal("3300.00")
