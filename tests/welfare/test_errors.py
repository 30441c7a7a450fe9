"""Error messages: Simplified Chinese by default, English with Accept-Language: en; never a 500."""

import datetime

import pytest

from welfare.idnumber import make_id_number

pytestmark = pytest.mark.django_db


def test_it_answers_drf_field_errors_in_chinese_by_default(api_client, village_director):
    api_client.force_authenticate(village_director)
    response = api_client.post("/api/children/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["name"] == ["该字段是必填项。"]
    assert response["Content-Language"] == "zh-hans"


def test_it_answers_in_english_when_asked(api_client, village_director):
    api_client.force_authenticate(village_director)
    response = api_client.post("/api/children/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["name"] == ["This field is required."]


def test_it_answers_service_errors_in_the_requested_language(api_client, village_director, regions):
    api_client.force_authenticate(village_director)
    future = make_id_number("370402", datetime.date(2016, 1, 1), 1, "M")
    payload = {"name": "赵", "id_number": future, "sex": "F", "region": regions.village.code}
    english = api_client.post("/api/children/", payload, format="json", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["sex"] == ["The sex does not match the identity number (it says male)."]
    chinese = api_client.post("/api/children/", payload, format="json").json()
    assert set(chinese) == {"sex"}  # the zh-hans text comes with the integrator's translations


def test_it_answers_404_and_403_with_a_detail(api_client, village_director, outsider_director, child):
    api_client.force_authenticate(outsider_director)
    assert api_client.get(f"/api/children/{child.id}/").status_code == 404
    assert "detail" in api_client.get("/api/children/999999/").json()
    api_client.force_authenticate(village_director)
    response = api_client.get("/api/children/export/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403 and response.json()["detail"] == "Your role is not allowed to do this."


def test_it_never_answers_500_to_garbage(api_client, admin_user):
    api_client.force_authenticate(admin_user)
    for body in ([], "x", {"name": "a" * 500, "region": ["x"]}, {"name": "\x00", "region": "\x00", "birth_date": "99999-1-1"}):
        assert api_client.post("/api/children/", body, format="json").status_code == 400
    assert api_client.get("/api/children/?region=%00&q=%00").status_code in (200, 400)
    assert api_client.get("/api/children/abc/").status_code == 404
