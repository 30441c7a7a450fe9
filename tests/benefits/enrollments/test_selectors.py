"""Reads of enrollments and transfers: a fixed number of queries whatever the number of rows."""

import datetime

import pytest
import time_machine

from benefits.enrollments.models import Transfer
from benefits.enrollments.selectors import enrollment_list
from tests.benefits.helpers import enrolled_child, queries
from tests.factories import UserFactory
from welfare.roles import Role

D = datetime.date


@pytest.fixture(autouse=True)
def july():
    with time_machine.travel(datetime.datetime(2025, 7, 2, 10, 0), tick=False):
        yield


def moving_children(regions, n: int) -> list:
    """`n` more enrolled children of our county, each with a transfer asked of the other county."""
    enrollments = []
    for _ in range(n):
        child, enrollment = enrolled_child(regions.village, regions.county, start="2025-01-01")
        Transfer.objects.create(
            enrollment=enrollment, child=child, from_county=regions.county, to_county=regions.other_county,
            requested_on=D(2025, 7, 1),
        )
        enrollments.append(enrollment)
    return enrollments


def test_the_enrollment_and_transfer_lists_read_as_many_queries_for_many_rows_as_for_one(
    regions, county_official, outsider, client, api_client, django_assert_num_queries
):
    """Ours (the sending county) and the receiving county's, whose page carries an accept form
    with the county's villages for every transfer: read once for the page, not once a row."""
    (first,) = moving_children(regions, 1)
    reads = {
        (county_official, "/benefits/enrollments/"): "page",
        (county_official, f"/benefits/enrollments/{first.id}/"): "page",
        (county_official, "/benefits/transfers/"): "page",
        (outsider, "/benefits/transfers/"): "page",
        (county_official, "/api/enrollments/"): "api",
        (county_official, "/api/transfers/"): "api",
        (outsider, "/api/transfers/"): "api",
    }

    def get(user, url, kind):
        if kind == "page":
            client.force_login(user)
            return client.get(url)
        api_client.force_authenticate(user)
        return api_client.get(url)

    counts = {}
    for (user, url), kind in reads.items():
        get(user, url, kind)  # log in first: the session is written once
        counts[user, url] = queries(lambda user=user, url=url, kind=kind: get(user, url, kind))
    moving_children(regions, 5)
    for (user, url), kind in reads.items():
        get(user, url, kind)
        with django_assert_num_queries(counts[user, url]):
            response = get(user, url, kind)
        assert response.status_code == 200, url
    html = get(outsider, "/benefits/transfers/", "page").content.decode()
    assert html.count('name="region"') == 6  # an accept form for each of the six transfers
    assert html.count(f'value="{regions.other_village.code}"') == 6
    assert get(outsider, "/api/transfers/", "api").json()["count"] == 6


def test_it_lists_the_enrollments_paid_by_the_users_county_or_of_children_living_in_it(
    regions, county_official, outsider, village_director, city_official
):
    _paid_here, ours = enrolled_child(regions.other_village, regions.county)  # lives over there, paid by us
    _lives_here, theirs = enrolled_child(regions.village_b, regions.other_county)  # lives here, paid by them
    _elsewhere, far = enrolled_child(regions.other_village, regions.other_county)
    staff = UserFactory(username="staff", role=Role.INSTITUTION_STAFF, region=None)
    seen = {user: set(enrollment_list(user=user)) for user in (county_official, outsider, village_director, city_official, staff)}
    assert seen[county_official] == {ours, theirs}
    assert seen[outsider] == {ours, theirs, far}
    assert seen[village_director] == set()  # village A: none of the three children lives there
    assert seen[city_official] == {ours, theirs, far}
    assert seen[staff] == set()
