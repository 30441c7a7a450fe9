"""The township supervisor's queue of edit conflicts: both values shown, one picked (logged);
the director, other townships and other counties can neither see nor decide."""

import pytest
from django.test import Client

from cases.children.models import Guardian
from cases.children.services import guardian_update
from cases.sync.models import EditConflict
from cases.sync.services import guardian_update_versioned
from tests.factories import ChildFactory, GuardianFactory, UserFactory
from welfare.models import AuditLog
from welfare.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def conflict(regions, village_director, township_supervisor):
    child = ChildFactory(region=regions.village, name="王小明")
    guardian = GuardianFactory(child=child, name="王奶奶", relation="grandparent", phone="13800000001")
    guardian_update(by=township_supervisor, guardian=guardian, phone="13700000003")
    outcome = guardian_update_versioned(by=village_director, guardian=guardian, version=1, phone="13900000002")
    return outcome.conflicts[0]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_queue_shows_both_values(conflict, township_supervisor):
    response = _client(township_supervisor).get("/cases/sync/conflicts/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "王小明" in text and "13700000003" in text and "13900000002" in text


def test_the_supervisor_takes_the_phones_value_and_it_is_logged(conflict, township_supervisor):
    response = _client(township_supervisor).post(f"/cases/sync/conflicts/{conflict.id}/resolve/", {"choice": "proposed"})
    assert response.status_code == 302
    conflict.refresh_from_db()
    assert (conflict.status, conflict.choice, conflict.resolved_by) == ("resolved", "proposed", township_supervisor)
    assert Guardian.objects.get(id=conflict.guardian_id).phone == "13900000002"
    assert AuditLog.objects.filter(action="edit_conflict.resolved", actor=township_supervisor).exists()


def test_keeping_the_servers_value_changes_nothing_and_a_second_decision_is_refused(conflict, township_supervisor):
    client = _client(township_supervisor)
    client.post(f"/cases/sync/conflicts/{conflict.id}/resolve/", {"choice": "current"})
    client.post(f"/cases/sync/conflicts/{conflict.id}/resolve/", {"choice": "proposed"})
    conflict.refresh_from_db()
    assert conflict.choice == "current"
    assert Guardian.objects.get(id=conflict.guardian_id).phone == "13700000003"


def test_a_director_has_no_queue(conflict, village_director):
    client = _client(village_director)
    assert client.get("/cases/sync/conflicts/").status_code == 403
    assert client.post(f"/cases/sync/conflicts/{conflict.id}/resolve/", {"choice": "proposed"}).status_code == 403
    assert EditConflict.objects.get().status == "open"


def test_outsiders_see_nothing_and_decide_nothing(conflict, regions):
    other_township = UserFactory(username="sup2", role=Role.TOWNSHIP_SUPERVISOR, region=regions.township_2)
    other_county = UserFactory(username="sup3", role=Role.TOWNSHIP_SUPERVISOR, region=regions.other_township)
    for user in (other_township, other_county):
        client = _client(user)
        assert "王小明" not in client.get("/cases/sync/conflicts/").content.decode()
        assert client.post(f"/cases/sync/conflicts/{conflict.id}/resolve/", {"choice": "proposed"}).status_code == 404
    assert EditConflict.objects.get().status == "open"


def test_the_directors_worklist_says_awaiting_supervisor_and_the_supervisors_links_the_queue(conflict, village_director, township_supervisor):
    mine = _client(village_director).get("/cases/worklist/").content.decode()
    assert "待督导员处理" in mine and "王小明" in mine
    theirs = _client(township_supervisor).get("/cases/worklist/").content.decode()
    assert "/cases/sync/conflicts/" in theirs


def test_the_offline_app_page_holds_no_personal_data(conflict, village_director):
    response = _client(village_director).get("/cases/sync/app/")
    assert response.status_code == 200
    assert "王小明" not in response.content.decode() and "director" not in response.content.decode()


def test_the_service_worker_and_manifest_are_served_from_the_root_without_a_cdn(client):
    sw = client.get("/sw.js")
    body = sw.content.decode()
    assert sw.status_code == 200 and sw["Content-Type"].startswith("text/javascript")
    assert "/static/vendor/workbox/workbox-sw.js" in body and 'modulePathPrefix: "/static/vendor/workbox/"' in body
    assert "storage.googleapis.com" not in body and "/cases/sync/app/" in body
    manifest = client.get("/manifest.webmanifest").json()
    assert manifest["start_url"] == "/cases/sync/app/" and manifest["name"].startswith("儿童福利")
