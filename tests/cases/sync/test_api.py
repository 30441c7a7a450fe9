"""Edits sent with the version they were made from: applied as they are when nothing changed,
merged when other fields changed, never applied over someone else's change of the same field
(409, kept for the township supervisor). And the copy of the village a director's phone keeps."""

import datetime

import pytest
from rest_framework.test import APIClient

from cases.children.models import Child, Guardian
from cases.children.services import child_update, guardian_update
from cases.sync.models import EditConflict
from tests.factories import CheckFactory, ChildFactory, GuardianFactory, UserFactory, id_number_for
from welfare.models import AuditLog
from welfare.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def guardian(regions):
    child = ChildFactory(region=regions.village, name="王小明", health_notes="哮喘")
    return GuardianFactory(child=child, name="王奶奶", relation="grandparent", phone="13800000001")


def _client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_every_change_through_the_services_raises_the_version(guardian, village_director):
    assert guardian.version == 1 and guardian.child.version == 1
    guardian_update(by=village_director, guardian=guardian, phone="13900000002")
    child_update(by=village_director, child=guardian.child, school="中心小学")
    guardian.refresh_from_db()
    assert guardian.version == 2
    assert Child.objects.get(id=guardian.child_id).version == 2


def test_it_applies_an_edit_made_from_the_current_version(guardian, village_director):
    response = _client(village_director).patch(f"/api/guardians/{guardian.id}/", {"phone": "13900000002", "version": 1}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    assert Guardian.objects.get(id=guardian.id).phone == "13900000002"


def test_it_merges_a_stale_edit_of_another_field(guardian, village_director, township_supervisor):
    guardian_update(by=township_supervisor, guardian=guardian, is_migrant_worker=True, work_place="广州")  # version 2, meanwhile
    response = _client(village_director).patch(f"/api/guardians/{guardian.id}/", {"phone": "13900000002", "version": 1}, format="json")
    assert response.status_code == 200, response.content
    guardian.refresh_from_db()
    assert (guardian.phone, guardian.work_place, guardian.version) == ("13900000002", "广州", 3)
    assert not EditConflict.objects.exists()


def test_a_stale_edit_of_the_same_field_answers_409_and_waits_for_the_supervisor(guardian, village_director, township_supervisor):
    guardian_update(by=township_supervisor, guardian=guardian, phone="13700000003")
    response = _client(village_director).patch(
        f"/api/guardians/{guardian.id}/", {"phone": "13900000002", "name": "王外婆", "version": 1}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["conflicts"]["phone"]["yours"] == "13900000002"
    assert body["conflicts"]["phone"]["current"] == "13700000003"
    assert body["applied"] == ["name"]
    assert body["status_label"] == "待督导员处理"
    guardian.refresh_from_db()
    assert guardian.phone == "13700000003"  # the supervisor's change is kept
    assert guardian.name == "王外婆"  # the other field merged
    conflict = EditConflict.objects.get()
    assert (conflict.field, conflict.base_value, conflict.current_value, conflict.proposed_value) == (
        "phone",
        "13800000001",
        "13700000003",
        "13900000002",
    )
    assert conflict.status == EditConflict.Status.OPEN and conflict.proposed_by == village_director


def test_the_same_change_made_twice_is_no_conflict(guardian, village_director, township_supervisor):
    guardian_update(by=township_supervisor, guardian=guardian, phone="13900000002")
    response = _client(village_director).patch(f"/api/guardians/{guardian.id}/", {"phone": "13900000002", "version": 1}, format="json")
    assert response.status_code == 200
    assert not EditConflict.objects.exists()


def test_a_stale_edit_of_a_childs_name_is_kept_for_the_supervisor(guardian, village_director, township_supervisor):
    child = guardian.child
    child_update(by=township_supervisor, child=child, name="王晓明")
    response = _client(village_director).patch(f"/api/children/{child.id}/", {"name": "王小鸣", "school": "村小", "version": 1}, format="json")
    assert response.status_code == 409, response.content
    child.refresh_from_db()
    assert (child.name, child.school) == ("王晓明", "村小")
    assert EditConflict.objects.get().record_type == "child"


def test_a_version_that_never_existed_is_refused_and_changes_nothing(guardian, village_director):
    response = _client(village_director).patch(f"/api/guardians/{guardian.id}/", {"phone": "13900000002", "version": 7}, format="json")
    assert response.status_code == 400
    assert "version" in response.json()
    assert Guardian.objects.get(id=guardian.id).phone == "13800000001"


def test_an_outsider_cannot_edit_a_guardian_with_or_without_a_version(guardian, outsider_director):
    client = _client(outsider_director)
    for body in ({"phone": "13900000002"}, {"phone": "13900000002", "version": 1}):
        assert client.patch(f"/api/guardians/{guardian.id}/", body, format="json").status_code == 404
    assert Guardian.objects.get(id=guardian.id).phone == "13800000001"
    assert not EditConflict.objects.exists()


def test_it_registers_a_child_with_guardians_in_one_post(village_director, regions):
    number = id_number_for(regions.village, datetime.date(2016, 5, 1), "F")
    response = _client(village_director).post(
        "/api/children/",
        {
            "name": "李小红",
            "id_number": number,
            "region": regions.village.code,
            "categories": ["left_behind"],
            "guardians": [{"name": "李奶奶", "relation": "grandparent", "phone": "13800000009"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    child = Child.objects.with_id_number(number).get()
    assert [g.name for g in child.guardians.all()] == ["李奶奶"]


def test_a_bad_guardian_refuses_the_whole_registration(village_director, regions):
    response = _client(village_director).post(
        "/api/children/",
        {"name": "李小红", "sex": "F", "birth_date": "2016-05-01", "region": regions.village.code, "guardians": [{"name": "李奶奶", "relation": "cousin"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "guardians-0-relation" in response.json()
    assert not Child.objects.filter(name="李小红").exists()


# --- The copy of the village the phone keeps ---------------------------------------------------


def test_the_phone_gets_its_own_village_masked_and_without_notes(village_director, regions, guardian):
    ChildFactory(region=regions.village_b, name="西村的孩子")
    CheckFactory(child=guardian.child, notes="家访记录：不应离开服务器")
    response = _client(village_director).get("/api/offline/village/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    text = response.content.decode()
    assert body["village"]["code"] == regions.village.code
    assert [c["name"] for c in body["children"]] == ["王小明"]
    assert guardian.child.id_number not in text and "*" in body["children"][0]["id_number"]
    assert "哮喘" not in text and "家访记录" not in text and "西村的孩子" not in text
    assert body["children"][0]["guardians"][0]["version"] == 1
    assert body["max_age_days"] == 7


def test_the_village_copy_is_for_village_directors_only(township_supervisor, county_official, outsider_director, guardian):
    assert _client(township_supervisor).get("/api/offline/village/").status_code == 403
    assert _client(county_official).get("/api/offline/village/").status_code == 403
    other = _client(outsider_director).get("/api/offline/village/")
    assert other.status_code == 200 and "王小明" not in other.content.decode()


def test_the_village_copy_shows_the_directors_edits_awaiting_the_supervisor(guardian, village_director, township_supervisor):
    guardian_update(by=township_supervisor, guardian=guardian, phone="13700000003")
    _client(village_director).patch(f"/api/guardians/{guardian.id}/", {"phone": "13900000002", "version": 1}, format="json")
    colleague = UserFactory(username="director2", role=Role.VILLAGE_DIRECTOR, region=guardian.child.region)
    mine = _client(village_director).get("/api/offline/village/").json()["conflicts"]
    assert [(c["field"], c["status_label"]) for c in mine] == [("phone", "待督导员处理")]
    assert _client(colleague).get("/api/offline/village/").json()["conflicts"] == []
    assert AuditLog.objects.filter(action="edit_conflict.recorded").count() == 1
