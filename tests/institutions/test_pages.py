"""The page of institutions (/institutions/): what each role sees there, and the links that lead
to it (the dashboard's institution counts, the home tile of institution staff)."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from institutions.models import Institution, Placement
from tests.factories import ChildFactory, InstitutionFactory, StaffFactory, UserFactory
from welfare.roles import Role

pytestmark = pytest.mark.django_db

URL = "/institutions/"


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def homes(regions):
    """A children's home in village C with one child in care (and one discharged) and two staff
    in post (and one who left); a rescue centre of the county; a home in the other county."""
    home = InstitutionFactory(
        name="南村儿童之家", kind=Institution.Kind.CHILDRENS_HOME, region=regions.village_c, capacity=30
    )
    Placement.objects.create(
        child=ChildFactory(region=regions.village_c), institution=home, placed_on=datetime.date(2024, 2, 1)
    )
    Placement.objects.create(
        child=ChildFactory(region=regions.village_c),
        institution=home,
        placed_on=datetime.date(2023, 2, 1),
        left_on=datetime.date(2024, 1, 1),
    )
    StaffFactory(name="刘护理", region=regions.village_c, institution=home)
    StaffFactory(name="陈社工", region=regions.village_c, institution=home)
    StaffFactory(name="王离职", region=regions.village_c, institution=home, left_on=datetime.date(2024, 1, 1))
    rescue = InstitutionFactory(name="市中区救助站", kind=Institution.Kind.RESCUE, region=regions.county, capacity=12)
    other = InstitutionFactory(name="薛城区福利院", region=regions.other_county)
    return type("Homes", (), {"home": home, "rescue": rescue, "other": other})


def test_it_lists_the_institutions_of_the_county_with_their_children_in_care_and_staff(county_official, homes):
    page = _signed_in(county_official).get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "南村儿童之家" in html and "市中区救助站" in html
    assert "薛城区福利院" not in html  # another county's
    assert "儿童之家" in html and "南村社区" in html  # kind and region
    assert "在院儿童 1 名（床位 30 张）· 工作人员 2 名" in html
    assert "在院儿童 0 名（床位 12 张）· 工作人员 0 名" in html


def test_it_shows_institution_staff_their_own_institution_only(regions, homes):
    carer = UserFactory(username="carer", role=Role.INSTITUTION_STAFF, region=None, institution=homes.home)
    html = _signed_in(carer).get(URL).content.decode()
    assert "南村儿童之家" in html
    assert "市中区救助站" not in html and "薛城区福利院" not in html


def test_it_shows_the_city_the_province_and_an_administrator_every_institution_beneath_them(
    city_official, province_official, admin_user, homes
):
    for user in (city_official, province_official, admin_user):
        html = _signed_in(user).get(URL).content.decode()
        assert "南村儿童之家" in html and "薛城区福利院" in html


def test_it_refuses_village_directors_and_township_supervisors(village_director, township_supervisor, homes):
    for user in (village_director, township_supervisor):
        assert _signed_in(user).get(URL).status_code == 403


def test_it_sends_a_visitor_who_is_not_signed_in_to_the_login_page(regions):
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_it_narrows_the_list_to_a_region_and_a_kind(county_official, regions, homes):
    client = _signed_in(county_official)
    html = client.get(URL, {"region": regions.township_2.code}).content.decode()
    assert "南村儿童之家" in html and "市中区救助站" not in html
    html = client.get(URL, {"region": regions.county.code, "kind": "rescue"}).content.decode()
    assert "市中区救助站" in html and "南村儿童之家" not in html
    html = client.get(URL, {"region": regions.other_county.code}).content.decode()
    assert "薛城区福利院" not in html  # a region outside the scope narrows to nothing
    assert client.get(URL, {"kind": "no-such-kind"}).status_code == 200


def test_it_pages_the_list_in_a_constant_number_of_queries(county_official, regions, django_assert_num_queries):
    client = _signed_in(county_official)
    InstitutionFactory(name="机构", region=regions.village)
    with CaptureQueriesContext(connection) as one_row:
        client.get(URL)
    for n in range(55):
        InstitutionFactory(name=f"机构{n:02d}", region=regions.village)
    with django_assert_num_queries(len(one_row)):  # the count and one page, whatever the rows
        first = client.get(URL)
    assert first.content.decode().count('<span class="title">') == 50
    second = client.get(URL, {"page": 2}).content.decode()
    assert second.count('<span class="title">') == 6


def test_it_links_the_home_tile_of_institution_staff_to_their_institution(regions, homes):
    carer = UserFactory(username="carer", role=Role.INSTITUTION_STAFF, region=None, institution=homes.home)
    html = _signed_in(carer).get("/").content.decode()
    assert f'href="{reverse("institutions:mine")}" data-key="my_institution"' in html
    assert '<span class="count">1</span>我的机构' in html  # the children in care


def test_it_links_the_home_tiles_of_county_and_city_officials_to_the_institutions(county_official, city_official, homes):
    for user in (county_official, city_official):
        html = _signed_in(user).get("/").content.decode()
        assert f'href="{reverse("institutions:institution_list")}" data-key="institutions"' in html
        assert f'href="{reverse("institutions:findings_overdue")}" data-key="findings_overdue"' in html


def test_it_links_the_dashboard_institution_counts_to_the_page_for_those_who_may_open_it(
    county_official, township_supervisor, regions, homes
):
    html = _signed_in(county_official).get("/cases/dashboard/").content.decode()
    assert f'href="/institutions/?region={regions.county.code}&amp;kind=rescue"' in html
    html = _signed_in(township_supervisor).get("/cases/dashboard/").content.decode()
    assert 'href="/institutions/' not in html
