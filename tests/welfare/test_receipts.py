"""Exactly once (welfare/receipts.py): a write labelled with a client_uuid is done once per user,
whether it is sent again (a retry, a double tap, a sync cut off after the server committed) or
twice at the same moment; another user's label is only a new label for whoever sends it."""

import datetime
import uuid

import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from cases.checks.models import Check
from cases.children.models import Child
from tests.factories import ChildFactory, UserFactory, id_number_for
from welfare.models import ClientReceipt
from welfare.receipts import client_receipts_delete_expired
from welfare.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def child(regions):
    return ChildFactory(region=regions.village, birth_date=datetime.date(2015, 3, 14))


def _session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _register(client, regions, label, **extra):
    body = {
        "name": "王一次",
        "id_number": extra.pop("id_number", None) or id_number_for(regions.village, datetime.date(2016, 5, 1), "F"),
        "region": regions.village.code,
        "client_uuid": str(label),
        **extra,
    }
    return client.post("/api/children/", body, format="json")


def test_it_answers_a_repeated_registration_with_the_first_result_and_creates_nothing(village_director, regions):
    client, label = _session(village_director), uuid.uuid4()
    first = _register(client, regions, label)
    again = _register(client, regions, label)
    assert first.status_code == 201, first.content
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Client-UUID-Replayed"] == "true"
    assert Child.objects.filter(name="王一次").count() == 1
    assert ClientReceipt.objects.get(user=village_director, client_uuid=label).status_code == 201


def test_it_answers_a_repeated_check_long_after_the_repeat_window_and_records_one(village_director, child):
    client, label = _session(village_director), str(uuid.uuid4())
    body = {"child": child.id, "checked_on": "2025-05-02", "kind": "routine", "risk_level": "low", "client_uuid": label}
    with time_machine.travel(datetime.datetime(2025, 5, 2, 10, 0, tzinfo=datetime.UTC)):
        first = client.post("/api/checks/", body, format="json")
    with time_machine.travel(datetime.datetime(2025, 5, 9, 10, 0, tzinfo=datetime.UTC)):
        client.force_login(village_director)  # the session of a week later
        again = client.post("/api/checks/", body, format="json")
    assert first.status_code == 201, first.content
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert Check.objects.filter(child=child).count() == 1


def test_it_takes_the_label_from_a_header_and_with_a_token(api_client, village_director, child):
    token = api_client.post("/api/auth/token/", {"username": "director", "password": "Pass-word-123"}, format="json").json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_CLIENT_UUID=str(uuid.uuid4()))
    body = {"child": child.id, "checked_on": "2025-05-02", "kind": "safety"}
    first = api_client.post("/api/checks/", body, format="json")
    again = api_client.post("/api/checks/", body, format="json")
    assert first.status_code == 201, first.content
    assert again.status_code == 201 and again["Client-UUID-Replayed"] == "true"
    assert Check.objects.filter(child=child).count() == 1


def test_it_gives_the_label_back_when_the_write_is_refused(village_director, child):
    """A refused item (a check dated before birth) is corrected and sent again with its label."""
    client, label = _session(village_director), str(uuid.uuid4())
    refused = client.post("/api/checks/", {"child": child.id, "checked_on": "2010-01-01", "client_uuid": label}, format="json")
    assert refused.status_code == 400
    assert "出生" in refused.content.decode()  # the server's Chinese message, shown on the phone
    assert not ClientReceipt.objects.exists()
    corrected = client.post("/api/checks/", {"child": child.id, "checked_on": "2025-01-02", "client_uuid": label}, format="json")
    assert corrected.status_code == 201
    assert Check.objects.filter(child=child).count() == 1


def test_it_answers_409_for_a_label_used_for_another_request(village_director, child, regions):
    client, label = _session(village_director), uuid.uuid4()
    assert _register(client, regions, label).status_code == 201
    other = client.post("/api/checks/", {"child": child.id, "checked_on": "2025-01-02", "client_uuid": str(label)}, format="json")
    assert other.status_code == 409
    assert not Check.objects.exists()


def test_it_refuses_a_label_that_is_not_a_uuid(village_director, regions):
    response = _register(_session(village_director), regions, "not-a-uuid")
    assert response.status_code == 400
    assert "client_uuid" in response.json()
    assert not Child.objects.filter(name="王一次").exists()


def test_another_users_label_is_a_new_label_and_reveals_nothing(village_director, regions, outsider_director):
    label = uuid.uuid4()
    first = _register(_session(village_director), regions, label)
    assert first.status_code == 201
    # The outsider (another county) sends the director's label for a write in the director's village.
    forged = _register(_session(outsider_director), regions, label, id_number=id_number_for(regions.village, datetime.date(2016, 6, 1), "M"))
    assert forged.status_code == 403
    assert "王一次" not in forged.content.decode()
    assert "Client-UUID-Replayed" not in forged
    assert Child.objects.filter(name="王一次").count() == 1
    assert not ClientReceipt.objects.filter(user=outsider_director).exists()


def test_a_colleagues_label_never_answers_the_colleagues_result(village_director, regions, child):
    colleague = UserFactory(username="director2", role=Role.VILLAGE_DIRECTOR, region=regions.village)
    label = str(uuid.uuid4())
    mine = _session(village_director).post(
        "/api/checks/", {"child": child.id, "checked_on": "2025-01-02", "notes": "我的记录", "client_uuid": label}, format="json"
    )
    theirs = _session(colleague).post(
        "/api/checks/", {"child": child.id, "checked_on": "2025-01-03", "notes": "同事的记录", "client_uuid": label}, format="json"
    )
    assert mine.status_code == 201 and theirs.status_code == 201
    assert theirs.json()["id"] != mine.json()["id"]
    assert "我的记录" not in theirs.content.decode()
    assert ClientReceipt.objects.filter(client_uuid=label).count() == 2


def test_a_page_form_sent_twice_with_a_label_records_one_check(village_director, child):
    client = Client()
    client.force_login(village_director)
    body = {"checked_on": "2025-01-02", "kind": "routine", "risk_level": "low", "client_uuid": str(uuid.uuid4())}
    first = client.post(f"/cases/checks/child/{child.id}/new/", body)
    with time_machine.travel(datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(hours=2)):
        client.force_login(village_director)
        again = client.post(f"/cases/checks/child/{child.id}/new/", body)
    assert first.status_code == 302
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert Check.objects.filter(child=child).count() == 1


def test_it_keeps_receipts_for_the_set_number_of_days(village_director, regions, settings):
    settings.CLIENT_RECEIPT_DAYS = 30
    _register(_session(village_director), regions, uuid.uuid4())
    assert client_receipts_delete_expired(now=datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=29)) == 0
    assert client_receipts_delete_expired(now=datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=31)) == 1


def test_it_works_for_the_phones_session_with_its_csrf_token_and_not_without(village_director, child):
    """The offline app sends with the session cookie and the CSRF header, as a browser does."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(village_director)
    client.get("/")  # a page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    label = str(uuid.uuid4())
    body = {"child": child.id, "checked_on": "2025-01-02"}
    forged = client.post("/api/checks/", body, format="json", HTTP_X_CLIENT_UUID=label)
    assert forged.status_code == 403  # no CSRF token: refused, and the label is not taken
    assert not ClientReceipt.objects.exists()
    first = client.post("/api/checks/", body, format="json", HTTP_X_CLIENT_UUID=label, HTTP_X_CSRFTOKEN=token)
    again = client.post("/api/checks/", body, format="json", HTTP_X_CLIENT_UUID=label, HTTP_X_CSRFTOKEN=token)
    assert first.status_code == 201 and again["Client-UUID-Replayed"] == "true"
    assert ClientReceipt.objects.filter(user=village_director).count() == 1
