"""Guardians (added through guardian_add), institutions, staff and placements: scope and masking."""

import datetime

import pytest

from cases.children.models import Guardian
from institutions.models import Placement
from tests.factories import GuardianFactory, InstitutionFactory, StaffFactory
from welfare.idnumber import make_id_number, mask_id_number

pytestmark = pytest.mark.django_db


def test_it_lists_guardians_in_scope_with_masked_numbers(api_client, village_director, child, other_child):
    number = make_id_number("370402", datetime.date(1960, 1, 1), 3, "F")
    GuardianFactory(child=child, id_number=number)
    GuardianFactory(child=other_child)
    api_client.force_authenticate(village_director)
    body = api_client.get("/api/guardians/").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert set(row) >= {"id", "child", "name", "relation", "id_number", "phone", "is_migrant_worker", "work_place", "can_act_as_guardian"}
    assert row["id_number"] == mask_id_number(number) and row["child"] == child.id


def test_it_adds_a_guardian_through_the_service(api_client, village_director, child):
    api_client.force_authenticate(village_director)
    response = api_client.post(
        "/api/guardians/",
        {"child": child.id, "name": "张父", "relation": "father", "is_migrant_worker": True, "work_place": "广州"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    guardian = Guardian.objects.get()
    assert (guardian.child, guardian.work_place, guardian.is_migrant_worker) == (child, "广州", True)


def test_it_refuses_adding_a_guardian_to_a_child_outside_scope_with_403(api_client, outsider_director, child):
    api_client.force_authenticate(outsider_director)
    response = api_client.post("/api/guardians/", {"child": child.id, "name": "x", "relation": "father"}, format="json")
    assert response.status_code == 403
    assert not Guardian.objects.exists()


def test_it_refuses_a_bad_guardian_number_and_an_unknown_child_with_400(api_client, village_director, child):
    api_client.force_authenticate(village_director)
    bad = api_client.post("/api/guardians/", {"child": child.id, "name": "x", "relation": "father", "id_number": "123"}, format="json")
    assert bad.status_code == 400 and "id_number" in bad.json()
    unknown = api_client.post("/api/guardians/", {"child": 999999, "name": "x", "relation": "father"}, format="json")
    assert unknown.status_code == 400 and "child" in unknown.json()
    assert not Guardian.objects.exists()


def test_it_scopes_institutions_staff_and_placements(api_client, county_official, outsider, regions, child):
    ours = InstitutionFactory(region=regions.county, name="市中区儿童福利院")
    theirs = InstitutionFactory(region=regions.other_county, name="薛城区儿童福利院")
    StaffFactory(region=regions.village, name="东村儿童主任")
    StaffFactory(region=regions.other_village, name="北村儿童主任")
    Placement.objects.create(child=child, institution=ours, placed_on=datetime.date(2024, 1, 1))
    api_client.force_authenticate(county_official)
    assert [r["name"] for r in api_client.get("/api/institutions/").json()["results"]] == ["市中区儿童福利院"]
    assert [r["name"] for r in api_client.get("/api/staff/").json()["results"]] == ["东村儿童主任"]
    assert api_client.get("/api/placements/").json()["count"] == 1
    assert api_client.get(f"/api/institutions/{theirs.id}/").status_code == 404
    api_client.force_authenticate(outsider)
    assert api_client.get("/api/placements/").json()["count"] == 0
    assert api_client.get(f"/api/institutions/{ours.id}/").status_code == 404


def test_it_exports_staff_as_csv(api_client, county_official, regions):
    StaffFactory(region=regions.village, name="东村儿童主任")
    api_client.force_authenticate(county_official)
    response = api_client.get("/api/staff/export/?format=csv")
    assert response.status_code == 200 and "东村儿童主任" in response.content.decode("utf-8-sig")
