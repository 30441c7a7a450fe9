"""One definition of "a membership open on a date" (CategoryMembership.objects.open_on)."""

import datetime

import pytest

from cases.children.models import CategoryMembership
from tests.factories import ChildFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_a_membership_is_open_from_its_start_to_its_end_date_both_included(regions):
    child = ChildFactory(region=regions.village)
    ended = MembershipFactory(child=child, category="left_behind", start_date=datetime.date(2024, 1, 10), end_date=datetime.date(2024, 6, 30))
    running = MembershipFactory(child=child, category="migrant", start_date=datetime.date(2024, 3, 1))

    def open_on(day):
        return set(CategoryMembership.objects.open_on(day))

    assert open_on(datetime.date(2024, 1, 9)) == set()
    assert open_on(datetime.date(2024, 1, 10)) == {ended}
    assert open_on(datetime.date(2024, 6, 30)) == {ended, running}
    assert open_on(datetime.date(2024, 7, 1)) == {running}
    assert set(child.memberships.open_on(datetime.date(2030, 1, 1))) == {running}


def test_a_membership_is_open_during_a_period_when_it_overlaps_it(regions):
    child = ChildFactory(region=regions.village)
    ended = MembershipFactory(child=child, category="left_behind", start_date=datetime.date(2024, 1, 10), end_date=datetime.date(2024, 6, 30))
    later = MembershipFactory(child=child, category="migrant", start_date=datetime.date(2025, 3, 1))
    during = CategoryMembership.objects.open_during
    assert set(during(datetime.date(2024, 6, 30), datetime.date(2025, 2, 28))) == {ended}
    assert set(during(datetime.date(2024, 7, 1), datetime.date(2025, 3, 1))) == {later}
    assert set(during(datetime.date(2024, 7, 1))) == {later}  # no end: not ended before the first day
