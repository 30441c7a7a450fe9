"""Token auth: issuing tokens, axes lockout, disabled users; one expiring token per device
(django-rest-knox), logging a device out, listing and revoking devices, and the changes to a
user that revoke every token."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.test import Client, override_settings
from django.urls import reverse

from tests.factories import InstitutionFactory, UserFactory
from welfare.models import AuditLog, User
from welfare.roles import Role

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


# --- One token per device, expiry, revocation (issue 19, item 2) ---------------------------------

PASSWORD = "Pass-word-123"  # tests/factories.py
DEVICES = "/api/auth/devices/"
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def login(client, username="director"):
    """Sign a device in: the client then carries its own token."""
    response = client.post(URL, {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return token


def works(client) -> bool:
    status = client.get("/api/regions/").status_code
    assert status in (200, 401), status
    return status == 200


def new_client():
    from rest_framework.test import APIClient

    return APIClient()


def test_the_token_endpoint_answers_only_a_token(api_client, village_director):
    response = api_client.post(URL, {"username": "director", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"token"}


def test_it_logs_the_device_out_on_delete_and_only_that_device(village_director):
    phone, laptop = new_client(), new_client()
    login(phone), login(laptop)
    assert phone.delete(URL).status_code == 204
    assert not works(phone)
    assert works(laptop)
    assert phone.delete(URL).status_code == 401  # already logged out


def test_it_refuses_a_logout_without_a_token(api_client, village_director):
    assert api_client.delete(URL).status_code == 401


def test_it_gives_each_login_its_own_token(village_director):
    phone, laptop = new_client(), new_client()
    assert login(phone) != login(laptop)
    assert works(phone) and works(laptop)


def test_it_revokes_every_token_when_the_password_changes(village_director):
    phone, laptop = new_client(), new_client()
    login(phone), login(laptop)
    village_director.set_password("Another-pass-456")
    village_director.save()
    assert not works(phone) and not works(laptop)


@pytest.mark.parametrize("change", ["deactivated", "role", "region", "institution", "superuser"])
def test_it_revokes_every_token_when_the_user_changes(change, regions, village_director):
    from knox.models import AuthToken

    user = village_director
    if change == "institution":
        user = UserFactory(
            username="carer", role=Role.INSTITUTION_STAFF, region=None, institution=InstitutionFactory(region=regions.county)
        )
    phone = new_client()
    login(phone, user.username)
    user = User.objects.get(pk=user.pk)
    if change == "deactivated":
        user.is_active = False
    elif change == "role":
        user.role, user.region = Role.TOWNSHIP_SUPERVISOR, regions.township
    elif change == "region":
        user.region = regions.village_b
    elif change == "institution":
        user.institution = InstitutionFactory(region=regions.county)
    else:
        user.is_superuser = True
    user.save()
    assert not AuthToken.objects.filter(user=user).exists()
    if change == "deactivated":
        User.objects.filter(pk=user.pk).update(is_active=True)  # enabled again: the old token stays dead
    assert not works(phone)


def test_it_keeps_the_tokens_when_something_else_of_the_user_changes(village_director):
    phone = new_client()
    login(phone)
    village_director.phone = "13800138000"
    village_director.first_name = "明"
    village_director.save()
    assert works(phone)


class FastPBKDF2Hasher(PBKDF2PasswordHasher):
    algorithm = "pbkdf2_fast"
    iterations = 1000


def test_a_password_hash_upgrade_at_login_is_not_a_password_change(village_director):
    """Logging in with a password stored by an older hasher stores it again with the new one
    (same password): the user's other devices stay signed in."""
    phone, laptop = new_client(), new_client()
    login(phone)
    hashers = [f"{__name__}.FastPBKDF2Hasher", "django.contrib.auth.hashers.MD5PasswordHasher"]
    with override_settings(PASSWORD_HASHERS=hashers):
        login(laptop)
    assert User.objects.get(pk=village_director.pk).password.startswith("pbkdf2_fast$")
    assert works(phone) and works(laptop)


def test_it_refuses_a_token_left_unused_for_the_idle_period(village_director):
    idle = datetime.timedelta(hours=settings.API_TOKEN_IDLE_HOURS)
    with time_machine.travel(START, tick=False) as traveller:
        phone = new_client()
        login(phone)
        traveller.shift(idle - datetime.timedelta(minutes=5))
        assert works(phone)  # in use: the idle period starts again
        traveller.shift(idle - datetime.timedelta(minutes=5))
        assert works(phone)
        traveller.shift(idle + datetime.timedelta(minutes=1))
        assert not works(phone)


def test_it_refuses_a_token_past_its_lifetime_even_when_used_regularly(village_director):
    idle = datetime.timedelta(hours=settings.API_TOKEN_IDLE_HOURS)
    lifetime = datetime.timedelta(hours=settings.API_TOKEN_MAX_AGE_HOURS)
    assert idle < lifetime
    with time_machine.travel(START, tick=False) as traveller:
        phone = new_client()
        login(phone)
        used = datetime.timedelta(0)
        step = idle / 2
        while used + step < lifetime:
            traveller.shift(step)
            used += step
            assert works(phone), used
        traveller.shift(lifetime - used + datetime.timedelta(minutes=1))
        assert not works(phone)
        login(phone)  # signing in again gives a new lifetime
        assert works(phone)


def test_it_lists_the_users_devices_without_their_tokens(village_director, county_official):
    phone, laptop = new_client(), new_client()
    phone_token, laptop_token = login(phone), login(laptop)
    login(new_client(), "county")  # someone else's device
    response = phone.get(DEVICES)
    assert response.status_code == 200
    body = response.content.decode()
    assert phone_token not in body and laptop_token not in body
    assert phone_token[:8] not in body and laptop_token[:8] not in body
    devices = response.json()["results"]
    assert len(devices) == 2
    assert [d["current"] for d in devices].count(True) == 1
    assert {"id", "created", "expiry", "expires_at_the_latest", "current"} <= set(devices[0])


def test_a_user_revokes_another_device_of_theirs_and_keeps_this_one(village_director):
    phone, laptop = new_client(), new_client()
    login(phone), login(laptop)
    other = next(d for d in phone.get(DEVICES).json()["results"] if not d["current"])
    assert phone.delete(f"{DEVICES}{other['id']}/").status_code == 204
    assert AuditLog.objects.filter(action="api_token.revoked", detail__device=other["id"]).exists()
    assert not works(laptop)
    assert works(phone)
    assert [d["current"] for d in phone.get(DEVICES).json()["results"]] == [True]


def test_a_user_cannot_revoke_or_see_another_users_device(village_director, county_official):
    mine, theirs = new_client(), new_client()
    login(mine), login(theirs, "county")
    their_id = theirs.get(DEVICES).json()["results"][0]["id"]
    assert their_id not in mine.get(DEVICES).content.decode()
    assert mine.delete(f"{DEVICES}{their_id}/").status_code == 404
    assert mine.delete(f"{DEVICES}nonsense/").json() == {"detail": "没有这个设备。"}
    assert mine.delete(f"{DEVICES}nonsense/", HTTP_ACCEPT_LANGUAGE="en").json() == {"detail": "No such device."}
    assert works(theirs)


def test_it_refuses_a_token_that_is_not_text(api_client, village_director):
    response = api_client.get("/api/regions/", HTTP_AUTHORIZATION="Token \xff\xfe")
    assert response.status_code == 401


def test_an_administrator_revokes_anyones_device_in_the_admin(admin_user, village_director):
    from knox.models import AuthToken

    phone = new_client()
    login(phone)
    token = AuthToken.objects.get(user=village_director)
    admin = Client()
    admin.force_login(admin_user)
    changelist = admin.get(reverse("admin:knox_authtoken_changelist"))
    assert changelist.status_code == 200 and "director" in changelist.content.decode()
    response = admin.post(reverse("admin:knox_authtoken_delete", args=[token.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert AuditLog.objects.filter(action="api_token.revoked", actor=admin_user, target_id=str(village_director.pk)).exists()
    assert not works(phone)


def test_only_administrators_see_tokens_in_the_admin(county_official, village_director):
    from knox.models import AuthToken

    login(new_client())
    token = AuthToken.objects.get(user=village_director)
    county_official.is_staff = True
    county_official.save(update_fields=["is_staff"])
    admin = Client()
    admin.force_login(county_official)
    assert admin.get(reverse("admin:knox_authtoken_changelist")).status_code == 403
    assert admin.post(reverse("admin:knox_authtoken_delete", args=[token.pk]), {"post": "yes"}).status_code in (302, 403)
    assert AuthToken.objects.filter(pk=token.pk).exists()
