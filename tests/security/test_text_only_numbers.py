"""Issue 19: identity numbers and phone numbers are text. Sent as a JSON number they are refused
with a clear 400 (18 digits are past what a JavaScript client keeps exactly, a number cannot
carry the check character X, a phone number's leading 0 is lost); as text they are accepted."""

import datetime

import pytest

from cases.applications.models import Application
from cases.children.models import Child, Guardian
from tests.factories import id_number_for

pytestmark = pytest.mark.django_db


def post(api_client, user, url, language="zh-hans", **data):
    api_client.force_authenticate(user)
    return api_client.post(url, data, format="json", HTTP_ACCEPT_LANGUAGE=language)


def test_it_refuses_a_child_identity_number_sent_as_a_json_number(api_client, village_director, regions):
    number = id_number_for(regions.village, datetime.date(2012, 1, 1))
    payload = {"name": "张三", "region": regions.village.code}
    refused = post(api_client, village_director, "/api/children/", id_number=int(number[:17] + "1"), **payload)
    assert refused.status_code == 400
    assert "文本" in refused.json()["id_number"][0]
    english = post(api_client, village_director, "/api/children/", language="en", id_number=520324201201010011, **payload)
    assert "not as a number" in english.json()["id_number"][0]
    assert not Child.objects.exists()
    assert post(api_client, village_director, "/api/children/", id_number=number, **payload).status_code == 201


def test_it_refuses_a_guardian_identity_number_or_phone_sent_as_a_json_number(api_client, village_director, child):
    payload = {"child": child.id, "name": "张父", "relation": "father"}
    number = id_number_for(child.region, datetime.date(1980, 1, 1))
    by_number = post(api_client, village_director, "/api/guardians/", id_number=int(number[:17] + "1"), **payload)  # a number (never X-ended: JSON has no X)
    assert by_number.status_code == 400 and "id_number" in by_number.json()
    by_phone = post(api_client, village_director, "/api/guardians/", language="en", phone=13800000000, **payload)
    assert by_phone.status_code == 400 and "not as a number" in by_phone.json()["phone"][0]
    assert not Guardian.objects.exists()
    assert post(api_client, village_director, "/api/guardians/", phone="13800000000", id_number=number, **payload).status_code == 201


def test_it_refuses_an_applications_child_identity_number_sent_as_a_json_number(api_client, village_director, child):
    response = post(
        api_client, village_director, "/api/applications/", language="en",
        category="orphan_scattered", received_region="370402001", child_id_number=int(child.id_number[:17] + "1"),  # a JSON number: the check character cannot be X
    )  # fmt: skip
    assert response.status_code == 400
    assert "not as a number" in response.json()["child_id_number"][0]
    assert not Application.objects.exists()
