"""Token auth: issuing tokens, axes lockout, disabled users."""

import pytest
from django.test import override_settings

from welfare.models import User

pytestmark = pytest.mark.django_db

URL = "/api/auth/token/"


def test_it_answers_a_token_that_then_authenticates(api_client, village_director):
    response = api_client.post(URL, {"username": "director", "password": "Pass-word-123"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/children/").status_code == 200


def test_it_refuses_a_wrong_password_with_a_message(api_client, village_director):
    response = api_client.post(URL, {"username": "director", "password": "wrong"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["non_field_errors"] == ["The username or password is wrong."]


def test_it_requires_both_fields(api_client):
    response = api_client.post(URL, {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


@override_settings(AXES_FAILURE_LIMIT=3)
def test_it_locks_the_account_after_repeated_failures_even_with_the_right_password(api_client, village_director):
    for _ in range(3):
        api_client.post(URL, {"username": "director", "password": "wrong"}, format="json")
    response = api_client.post(URL, {"username": "director", "password": "Pass-word-123"}, format="json")
    assert response.status_code in (403, 429)
    assert "token" not in response.content.decode()


def test_it_gives_no_token_to_a_disabled_user(api_client, village_director):
    village_director.is_active = False
    village_director.save()
    response = api_client.post(URL, {"username": "director", "password": "Pass-word-123"}, format="json")
    assert response.status_code == 400


def test_it_stops_accepting_a_token_as_soon_as_the_user_is_disabled(api_client, village_director):
    token = api_client.post(URL, {"username": "director", "password": "Pass-word-123"}, format="json").json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/children/").status_code == 200
    User.objects.filter(pk=village_director.pk).update(is_active=False)
    assert api_client.get("/api/children/").status_code == 401


def test_it_refuses_anonymous_callers(api_client, regions):
    assert api_client.get("/api/children/").status_code in (401, 403)
