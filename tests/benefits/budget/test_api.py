"""GET /api/budget/projection/: who may ask, for which region, and bad input answered clearly."""

import datetime

import pytest
import time_machine

from tests.benefits.helpers import enrolled_child, std
from tests.factories import UserFactory
from welfare.roles import Role

pytestmark = pytest.mark.django_db

URL = "/api/budget/projection/"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 3, 15, 10, 0), tick=False):
        yield


@pytest.fixture
def caseload(regions):
    std(regions.province, "orphan_scattered", 950, minimum=True)
    std(regions.county, "orphan_scattered", 1000)
    enrolled_child(regions.village, regions.county, birth=datetime.date(2015, 3, 14), start="2024-01-01")
    enrolled_child(regions.village, regions.county, birth=datetime.date(2009, 5, 20), start="2024-01-01")


def test_it_answers_months_by_category_and_the_total_as_decimal_strings(api_client, county_official, regions, caseload):
    api_client.force_authenticate(county_official)
    response = api_client.get(URL, {"region": regions.county.code, "year": 2027})
    assert response.status_code == 200, response.content
    body = response.json()
    assert [m["month"] for m in body["months"]] == [f"2027-{n:02d}" for n in range(1, 13)]
    january = body["months"][0]
    assert january["by_category"]["orphan_scattered"] == {"children": 2, "amount": "2000.00", "new_children": 0}
    assert january["grants"] == "0.00" and january["total"] == "2000.00"
    assert body["months"][5]["total"] == "1000.00"  # the second child turned 18 in May
    assert body["total"] == "17000.00"
    assert body["as_of"] == "2026-03"


def test_it_takes_a_what_if_raise(api_client, county_official, regions, caseload):
    api_client.force_authenticate(county_official)
    response = api_client.get(URL, {"region": regions.county.code, "year": 2027, "raise_percent": "10", "raise_from": "2027-07-01"})
    assert response.status_code == 200, response.content
    months = response.json()["months"]
    assert months[5]["total"] == "1000.00" and months[6]["total"] == "1100.00"
    assert response.json()["raise_percent"] == "10.00"


def test_it_defaults_to_the_callers_region_and_next_year(api_client, city_official, regions, caseload):
    api_client.force_authenticate(city_official)
    body = api_client.get(URL).json()
    assert body["region"] == regions.city.code and body["year"] == 2027


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"year": "2032"}, "year"),  # more than five years ahead
        ({"year": "twenty"}, "year"),
        ({"year": "1999"}, "year"),
        ({"year": "2027", "raise_percent": "-10"}, "raise_percent"),  # below the provincial minimum
        ({"year": "2027", "raise_percent": "abc"}, "raise_percent"),
        ({"year": "2027", "raise_percent": "500"}, "raise_percent"),
        ({"year": "2027", "raise_percent": "5", "raise_from": "2027-13-01"}, "raise_from"),
        ({"year": "2027", "raise_percent": "5", "raise_from": "2028-01-01"}, "raise_from"),
        ({"year": "2027", "raise_from": "2027-07-01"}, "raise_percent"),
        ({"year": "2027", "raise_percent": "5", "rounding": "fen"}, "rounding"),
    ],
)
def test_it_refuses_bad_input_with_a_message_on_the_field(api_client, county_official, regions, caseload, params, field):
    api_client.force_authenticate(county_official)
    response = api_client.get(URL, {"region": regions.county.code, **params})
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_it_explains_a_refusal_in_chinese_by_default(county_official, regions, caseload):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(county_official)
    response = client.get(URL, {"region": regions.county.code, "year": "2032"})
    assert response.status_code == 400
    assert "五年" in response.json()["year"][0]
    response = client.get(URL, {"region": regions.county.code, "year": "2027", "raise_percent": "-10"})
    assert "最低" in response.json()["raise_percent"][0]


def test_it_does_not_find_a_region_outside_the_callers_scope(api_client, outsider, regions, caseload):
    api_client.force_authenticate(outsider)
    assert api_client.get(URL, {"region": regions.county.code, "year": 2027}).status_code == 404
    assert api_client.get(URL, {"region": regions.city.code, "year": 2027}).status_code == 404


def test_it_does_not_find_another_province(api_client, regions, caseload):
    from tests.factories import RegionFactory
    from welfare.models import Region

    other = RegionFactory(code="340000", name="安徽省", level=Region.Level.PROVINCE)
    official = UserFactory(username="anhui", role=Role.PROVINCE_OFFICIAL, region=other)
    api_client.force_authenticate(official)
    assert api_client.get(URL, {"region": regions.province.code, "year": 2027}).status_code == 404
    assert api_client.get(URL, {"region": other.code, "year": 2027}).json()["total"] == "0.00"


def test_it_refuses_a_township_or_village(api_client, county_official, regions):
    api_client.force_authenticate(county_official)
    response = api_client.get(URL, {"region": regions.township.code, "year": 2027})
    assert response.status_code == 400
    assert "region" in response.json()


@pytest.mark.parametrize("role_fixture", ["village_director", "township_supervisor"])
def test_it_refuses_directors_and_supervisors(api_client, request, regions, role_fixture):
    api_client.force_authenticate(request.getfixturevalue(role_fixture))
    assert api_client.get(URL, {"region": regions.county.code}).status_code == 403


def test_it_refuses_institution_staff_and_anonymous_callers(api_client, regions):
    from tests.factories import InstitutionFactory

    staff = UserFactory(username="carer", role=Role.INSTITUTION_STAFF, region=None, institution=InstitutionFactory(region=regions.village))
    assert api_client.get(URL).status_code in (401, 403)
    api_client.force_authenticate(staff)
    assert api_client.get(URL, {"region": regions.county.code}).status_code == 403


def test_it_is_read_only(api_client, county_official, regions):
    api_client.force_authenticate(county_official)
    assert api_client.post(URL, {"region": regions.county.code}, format="json").status_code == 405
