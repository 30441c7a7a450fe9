"""Institution staff see their institution and nothing else (issue 19, item 1).

Their scope is the institution, not its region: the children placed there (open placements,
and placements closed less than a year ago, read-only), its staff, placements, trainings and
inspections. The URL walk is repeated for a staff member of one institution against a complete
set of records of the same county that belong to another institution or to no institution at
all: nothing of it is shown, and nothing of it changes.
"""

import datetime
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from cases.children.models import Child, Guardian
from institutions.models import CareRecord, Finding, Inspection, Placement, SafetyMeeting, Staff, Training
from tests.factories import ChildFactory, GuardianFactory, InstitutionFactory, UserFactory
from tests.security.test_url_walk import ENDPOINTS, _changes, _footprint, _walk_one
from tests.security.world import build_world
from welfare.roles import Role

pytestmark = pytest.mark.django_db

WORLD_PK = 900003


@pytest.fixture
def home(regions):
    """A children's home in village C, where our staff member works: the walk's records live in
    the same village, so only the institution, not the region, can keep them apart."""
    return InstitutionFactory(name="南村儿童之家", region=regions.village_c)


@pytest.fixture
def staff_user(regions, home):
    return UserFactory(username="carer", role=Role.INSTITUTION_STAFF, region=None, institution=home)


@pytest.fixture
def outsider_staff(regions):
    """A carer of another institution of the same county."""
    shelter = InstitutionFactory(name="市中区未成年人救助保护中心", region=regions.county)
    return UserFactory(username="other_carer", role=Role.INSTITUTION_STAFF, region=None, institution=shelter)


@pytest.fixture
def placed(regions, home):
    """Children of our county: one in care, one discharged half a year ago, one discharged two
    years ago, one never placed."""
    today = timezone.localdate()
    in_care = ChildFactory(region=regions.village, name="王在院")
    recent = ChildFactory(region=regions.village, name="赵半年")
    long_ago = ChildFactory(region=regions.village, name="钱两年")
    never = ChildFactory(region=regions.village, name="孙未安置")
    Placement.objects.create(child=in_care, institution=home, placed_on=today - datetime.timedelta(days=400))
    Placement.objects.create(
        child=recent,
        institution=home,
        placed_on=today - datetime.timedelta(days=900),
        left_on=today - datetime.timedelta(days=180),
    )
    Placement.objects.create(
        child=long_ago,
        institution=home,
        placed_on=today - datetime.timedelta(days=1500),
        left_on=today - datetime.timedelta(days=730),
    )
    for c in (in_care, recent, long_ago, never):
        GuardianFactory(child=c, name=f"{c.name}的奶奶")
    return SimpleNamespace(in_care=in_care, recent=recent, long_ago=long_ago, never=never)


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content[:300]
    return {row["id"] for row in response.json()["results"]}


# --- what they see --------------------------------------------------------------------------


def test_it_shows_institution_staff_the_children_in_their_care_and_those_discharged_within_a_year(
    staff_user, placed
):
    assert _ids(_api(staff_user).get("/api/children/")) == {placed.in_care.id, placed.recent.id}


def test_it_shows_institution_staff_only_the_guardians_of_those_children(staff_user, placed):
    seen = {Guardian.objects.get(id=i).child_id for i in _ids(_api(staff_user).get("/api/guardians/"))}
    assert seen == {placed.in_care.id, placed.recent.id}


def test_it_shows_institution_staff_their_own_institution_staff_and_placements_only(
    staff_user, outsider_staff, home, placed
):
    Staff.objects.create(name="刘护理", position=Staff.Position.CARER, region=home.region, institution=home, phone="13800000000")
    other = Staff.objects.create(
        name="陈社工",
        position=Staff.Position.CARER,
        region=home.region,
        institution=outsider_staff.institution,
        phone="13900000000",
    )
    Placement.objects.create(child=placed.never, institution=outsider_staff.institution, placed_on=datetime.date(2024, 1, 1))
    api = _api(staff_user)
    assert _ids(api.get("/api/institutions/")) == {home.id}
    staff_ids = _ids(api.get("/api/staff/"))
    assert other.id not in staff_ids and staff_ids
    assert {p.institution_id for p in Placement.objects.filter(id__in=_ids(api.get("/api/placements/")))} == {home.id}


@pytest.mark.parametrize(
    "url",
    ["/api/enrollments/", "/api/applications/", "/api/payout-runs/", "/api/payouts/", "/api/checks/", "/api/regions/", "/api/grants/"],
)
def test_it_shows_institution_staff_no_money_and_no_region_records(staff_user, placed, regions, url):
    """Nothing of the city: no enrollments, applications or runs; checks only of children in care."""
    response = _api(staff_user).get(url)
    if url == "/api/regions/":
        assert response.status_code == 200
        assert [r["code"] for r in response.json()["results"]] == [regions.village_c.code]
        return
    assert response.status_code == 200
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    if url == "/api/checks/":
        assert {r["child"] for r in rows} <= {placed.in_care.id, placed.recent.id}
    else:
        assert rows == []


def test_it_refuses_institution_staff_a_dashboard_of_any_region(staff_user, regions):
    api = _api(staff_user)
    for code in (regions.county.code, regions.other_county.code, regions.city.code):
        assert api.get(f"/api/dashboard/summary/?region={code}").status_code in (403, 404)


def test_it_refuses_institution_staff_the_budget_of_any_region(staff_user, regions):
    api = _api(staff_user)
    page = Client()
    page.force_login(staff_user)
    for code in (regions.county.code, regions.city.code, regions.other_county.code):
        assert api.get(f"/api/budget/projection/?region={code}").status_code in (403, 404)
        assert page.get(f"/benefits/budget/?region={code}").status_code in (403, 404)
        assert page.get(f"/benefits/budget/export/projection.xlsx?region={code}").status_code in (403, 404)
    assert api.get("/api/budget/projection/").status_code in (403, 404)


def test_it_lets_a_carer_of_another_institution_see_none_of_our_children(outsider_staff, placed):
    api = _api(outsider_staff)
    assert _ids(api.get("/api/children/")) == set()
    assert api.get(f"/api/children/{placed.in_care.id}/").status_code == 404


# --- what they may change -------------------------------------------------------------------


def test_it_lets_institution_staff_edit_a_child_in_their_care(staff_user, placed):
    response = _api(staff_user).patch(f"/api/children/{placed.in_care.id}/", {"school": "福利院附属学校"}, format="json")
    assert response.status_code == 200, response.content
    placed.in_care.refresh_from_db()
    assert placed.in_care.school == "福利院附属学校"


def test_it_keeps_a_discharged_child_read_only_for_institution_staff(staff_user, placed):
    api = _api(staff_user)
    assert api.get(f"/api/children/{placed.recent.id}/").status_code == 200
    response = api.patch(f"/api/children/{placed.recent.id}/", {"school": "改了"}, format="json")
    assert response.status_code == 403
    placed.recent.refresh_from_db()
    assert placed.recent.school != "改了"


def test_it_refuses_institution_staff_a_child_registered_in_any_village_and_saves_nothing(staff_user, regions):
    before = Child.objects.count()
    for village in (regions.village, regions.other_village):
        response = _api(staff_user).post(
            "/api/children/",
            {"name": "越权儿童", "sex": "M", "birth_date": "2015-03-14", "region": village.code, "household_region": village.code},
            format="json",
        )
        assert response.status_code == 403, response.content
    assert Child.objects.count() == before


def test_it_refuses_institution_staff_pages_of_enrollments_applications_and_runs(staff_user, placed):
    page = Client()
    page.force_login(staff_user)
    for url in ("/benefits/enrollments/", "/cases/applications/", "/benefits/grants/"):
        response = page.get(url)
        assert response.status_code in (200, 403, 404)
        body = response.content.decode()
        for child in (placed.in_care, placed.recent, placed.long_ago, placed.never):
            assert child.name not in body, (url, child.name)


# --- the walk -------------------------------------------------------------------------------


@pytest.fixture
def unplaced_world(regions):
    """One record of every model in our own county, the institution's county, none of it placed
    with the staff member's institution (its institution, staff, placement are another's)."""
    return build_world(
        regions={"county": regions.county, "township": regions.township_2, "village": regions.village_c},
        pk=WORLD_PK,
        marker="NOTOURINSTITUTION",
        child_name="周不在院",
        username="unplaced_world",
    )


@pytest.fixture
def staff_walkers(staff_user):
    page = Client()
    page.force_login(staff_user)
    return [(staff_user, page, _api(staff_user))]


def _as_other(regions) -> SimpleNamespace:
    """The walk's names for "the other records' regions": here our own county."""
    return SimpleNamespace(other_county=regions.county, other_township=regions.township_2, other_village=regions.village_c)


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if not e.is_admin], ids=str)
def test_it_shows_institution_staff_nothing_outside_their_institution(endpoint, regions, unplaced_world, staff_walkers):
    where = _as_other(regions)
    before = _footprint(unplaced_world, where)
    problems = _walk_one(endpoint, regions=where, world=unplaced_world, walkers=staff_walkers, anonymous=())
    problems += _changes(before, _footprint(unplaced_world, where))
    assert not problems, "\n".join(problems)


def test_it_walks_every_model_for_institution_staff(unplaced_world):
    """The world has a record of the institution models the staff must not see."""
    for model in (Staff, Placement, Training, Inspection, CareRecord, Finding, SafetyMeeting):
        assert model in unplaced_world.objects, unplaced_world.skipped.get(model)


def test_it_gives_institution_staff_no_offline_village_and_no_conflict_queue(staff_user, placed, village_director, township_supervisor):
    """Offline entry (cases/sync) is the village director's: a carer gets no copy of a village,
    sees no edit conflict about a child in their care and decides none."""
    from cases.children.services import guardian_update
    from cases.sync.services import guardian_update_versioned

    guardian = placed.in_care.guardians.get()
    guardian_update(by=township_supervisor, guardian=guardian, phone="13700000003")
    conflict = guardian_update_versioned(by=village_director, guardian=guardian, version=1, phone="13900000002").conflicts[0]
    assert _api(staff_user).get("/api/offline/village/").status_code == 403
    page = Client()
    page.force_login(staff_user)
    assert page.get("/cases/sync/conflicts/").status_code == 403
    assert page.post(f"/cases/sync/conflicts/{conflict.id}/resolve/", {"choice": "proposed"}).status_code == 404
    guardian.refresh_from_db()
    assert guardian.phone == "13700000003"
