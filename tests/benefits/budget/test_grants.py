"""The education grants of a budget projection: approved grants' instalments, renewals at the
standard then in force, the highest age, ended grants, and what a past year knew."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from benefits.budget.selectors import budget_projection
from benefits.grants.models import Grant, GrantStandard
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 10, 15, 10, 0), tick=False):
        yield


def grant(regions, *, born, school_year="2026-2027", annual="10000.00", instalments=12, status="approved", end_month=None):
    child = ChildFactory(region=regions.village, birth_date=born)
    return Grant.objects.create(
        child=child,
        school="山东大学",
        study_level="university",
        school_year=school_year,
        enrolment_proof="学籍证明",
        received_region=regions.township,
        county=regions.county,
        status=status,
        annual_amount=Decimal(annual),
        instalments=instalments,
        submitted_on=D(2026, 8, 1),
        end_month=end_month,
    )


def grants_by_month(projection) -> list[Decimal]:
    return [m.grants for m in projection.months]


@pytest.fixture
def standard(regions):
    """From the school year 2027-2028 the province pays 12,000 a year, quarterly."""
    return GrantStandard.objects.create(
        region=regions.province, annual_amount=Decimal("12000.00"), frequency="quarterly", effective_from=D(2027, 6, 1)
    )


def test_it_pays_the_instalments_of_an_approved_grant_and_renews_it_at_the_next_standard(regions, standard):
    grant(regions, born=D(2007, 1, 1))
    p = budget_projection(region=regions.county, year=2027)
    monthly = Decimal("833.33")
    assert grants_by_month(p) == [monthly] * 7 + [Decimal("833.37")] + [Decimal("3000.00"), 0, 0, Decimal("3000.00")]
    assert p.grants_total == Decimal("6666.68") + Decimal("6000.00")
    assert [m.grant_students for m in p.months] == [1] * 9 + [0, 0, 1]
    assert p.months[0].total == monthly  # grants are part of the month's total


def test_it_stops_renewing_past_the_highest_age(regions, standard):
    grant(regions, born=D(2001, 6, 1))  # 26 on 1 September 2027 (the highest age is 25)
    p = budget_projection(region=regions.county, year=2027)
    assert grants_by_month(p)[8:] == [0, 0, 0, 0]
    assert p.grants_total == Decimal("6666.68")  # January to August of 2026-2027


def test_it_pays_an_ended_grant_up_to_its_last_month_and_does_not_renew_it(regions, standard):
    grant(regions, born=D(2007, 1, 1), status="ended", end_month=D(2027, 2, 1))
    p = budget_projection(region=regions.county, year=2027)
    assert grants_by_month(p) == [Decimal("833.33")] * 2 + [0] * 10


def test_it_leaves_out_rejected_grants_and_grants_of_another_county(regions, standard):
    grant(regions, born=D(2007, 1, 1), status="rejected")
    other = grant(regions, born=D(2007, 1, 1))
    other.county = regions.other_county
    other.save()
    assert budget_projection(region=regions.county, year=2027).grants_total == 0
    assert budget_projection(region=regions.city, year=2027).grants_total == Decimal("12666.68")


def test_it_knows_in_a_past_year_only_the_grants_of_school_years_begun_by_its_first_day(regions):
    grant(regions, born=D(2005, 1, 1), school_year="2025-2026")
    grant(regions, born=D(2005, 1, 1), school_year="2026-2027", annual="6000.00", instalments=4)
    # 2026 projected from 1 January 2026: the grant of 2025-2026 is known, its renewal for
    # 2026-2027 is projected at the national standard (10,000 a year, monthly).
    p = budget_projection(region=regions.county, year=2026)
    assert p.grants_total == Decimal("6666.68") + Decimal("833.33") * 4
