"""Login protection: lockout after repeated failures (pages and API), password rules, idle
session expiry, CSRF on every form, and disabled users shut out at once."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from knox.models import AuthToken

from tests.security.urlwalk import all_endpoints

pytestmark = pytest.mark.django_db

PASSWORD = "Pass-word-123"  # tests/factories.py


def _fail(client, url, username, times, *, api=False):
    for _ in range(times):
        if api:
            response = client.post(url, {"username": username, "password": "wrong-password"}, format="json")
        else:
            response = client.post(url, {"username": username, "password": "wrong-password"})
        assert response.status_code in (200, 400, 429), response.status_code


def test_it_locks_the_login_page_after_repeated_failures(village_director):
    client = Client()
    _fail(client, "/login/", "director", settings.AXES_FAILURE_LIMIT)
    response = client.post("/login/", {"username": "director", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302  # still signed out


def test_it_does_not_lock_before_the_limit(village_director):
    client = Client()
    _fail(client, "/login/", "director", settings.AXES_FAILURE_LIMIT - 1)
    response = client.post("/login/", {"username": "director", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(village_director.pk)


def test_it_locks_the_api_token_endpoint_after_repeated_failures(api_client, village_director):
    _fail(api_client, "/api/auth/token/", "director", settings.AXES_FAILURE_LIMIT, api=True)
    response = api_client.post("/api/auth/token/", {"username": "director", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert "token" not in response.json()
    assert not AuthToken.objects.filter(user=village_director).exists()


def test_it_counts_failures_of_the_page_and_the_api_together(api_client, village_director):
    _fail(Client(), "/login/", "director", settings.AXES_FAILURE_LIMIT, api=False)
    response = api_client.post("/api/auth/token/", {"username": "director", "password": PASSWORD}, format="json")
    assert response.status_code == 429


def test_it_unlocks_after_the_cool_off(village_director):
    client = Client()
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False) as traveller:
        _fail(client, "/login/", "director", settings.AXES_FAILURE_LIMIT)
        assert client.post("/login/", {"username": "director", "password": PASSWORD}).status_code == 429
        traveller.shift(datetime.timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1))
        assert client.post("/login/", {"username": "director", "password": PASSWORD}).status_code == 302


def test_it_applies_the_password_rules(village_director):
    for weak in ("12345678", "password", "abc", "director1"):
        with pytest.raises(ValidationError):
            validate_password(weak, user=village_director)
    validate_password("Zaozhuang-2026-ertong", user=village_director)


def test_it_signs_out_after_30_idle_minutes_but_not_while_in_use(client, village_director):
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_SAVE_EVERY_REQUEST
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        client.force_login(village_director)
        assert client.get("/").status_code == 200
        for _ in range(3):  # in use: every request renews the half hour
            traveller.shift(datetime.timedelta(minutes=25))
            assert client.get("/").status_code == 200
        traveller.shift(datetime.timedelta(minutes=31))
        response = client.get("/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_it_shuts_out_a_disabled_user_at_once(client, api_client, village_director):
    _instance, token = AuthToken.objects.create(village_director)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    client.force_login(village_director)
    assert api_client.get("/api/regions/").status_code == 200
    assert client.get("/").status_code == 200
    village_director.is_active = False
    village_director.save(update_fields=["is_active"])
    assert api_client.get("/api/regions/").status_code == 401
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# The token exchange takes a username and password and acts on no session: nothing to forge.
CSRF_FREE = {"/api/auth/token/"}
PAGES_AND_API = [e for e in all_endpoints() if e.template not in CSRF_FREE]


@pytest.mark.parametrize("endpoint", PAGES_AND_API, ids=str)
def test_it_refuses_a_form_post_without_a_csrf_token(endpoint, regions, county_official, child):
    """A signed-in browser session (cookie) cannot be made to post from another site."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(county_official)
    url = endpoint.url(pk=child.pk, region_code=regions.county.code)
    response = client.post(url, {"name": "x"})
    assert response.status_code == 403, f"{url} -> {response.status_code}"
