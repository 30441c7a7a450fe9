"""The client's address behind a simulated TLS proxy (issue 19, item 3): the access log stores
the client the trusted proxy saw and never a forged X-Forwarded-For; the login lockout locks a
(user name, address) pair, so wrong passwords from one client never lock the user out for
another client behind the same proxy; an address that fails for many user names is refused;
API throttles tell anonymous callers apart by the same address."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.test import Client, override_settings

from tests.factories import UserFactory
from tests.security.urlwalk import all_endpoints
from welfare.models import AuditLog

pytestmark = pytest.mark.django_db

PASSWORD = "Pass-word-123"  # tests/factories.py
PROXY = "10.0.0.2"  # the TLS proxy, as the application sees the connection
CLIENT_A = "203.0.113.7"
CLIENT_B = "198.51.100.9"
FORGED = "6.6.6.6"

behind_one_proxy = override_settings(TRUSTED_PROXY_COUNT=1)


def via_proxy(client_address: str, forged: str | None = None) -> dict:
    """What the application receives when the TLS proxy forwards a request of `client_address`
    that carried `X-Forwarded-For: <forged>`: the proxy appends the address it saw."""
    chain = f"{forged}, {client_address}" if forged else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": chain}


# --- the access log -------------------------------------------------------------------------

ADDRESS_CASES = [
    # (trusted proxies, what the application receives, the address the access log must show)
    pytest.param(0, {"REMOTE_ADDR": "10.2.3.4", "HTTP_X_FORWARDED_FOR": FORGED}, "10.2.3.4", id="no-proxy-header-ignored"),
    pytest.param(1, via_proxy(CLIENT_A, forged=FORGED), CLIENT_A, id="one-proxy-forged-left-most-ignored"),
    pytest.param(1, via_proxy(CLIENT_A), CLIENT_A, id="one-proxy"),
    pytest.param(
        2,
        {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"{FORGED}, {CLIENT_A}, 10.0.0.1"},
        CLIENT_A,
        id="two-proxies-second-from-the-right",
    ),
    pytest.param(
        1,
        {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f'{FORGED}, ", {CLIENT_A}'},
        CLIENT_A,
        id="forged-quote-cannot-swallow-the-proxys-entry",
    ),
    pytest.param(1, via_proxy("[2001:db8::7]:443", forged=FORGED), "2001:db8::7", id="ipv6-with-port"),
    pytest.param(1, {"REMOTE_ADDR": PROXY}, PROXY, id="no-header-the-connection"),
    pytest.param(
        1, {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"{CLIENT_A}, not-an-address"}, PROXY, id="broken-proxy-entry"
    ),
]


@pytest.mark.parametrize(("proxies", "received", "stored"), ADDRESS_CASES)
def test_it_logs_a_reveal_with_the_address_the_trusted_proxies_saw(
    proxies, received, stored, api_client, village_director, child
):
    api_client.force_authenticate(user=village_director)
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        response = api_client.post(f"/api/children/{child.id}/reveal/", **received)
    assert response.status_code == 200
    assert AuditLog.objects.get(action="id_number.revealed").ip_address == stored


def test_it_trusts_no_proxy_unless_told():
    assert settings.TRUSTED_PROXY_COUNT == 0


# --- the login lockout: a (user name, address) pair ---------------------------------------


def _page_login(address: str, username: str, password: str, **extra):
    return Client().post("/login/", {"username": username, "password": password}, **via_proxy(address), **extra)


def _api_login(api_client, address: str, username: str, password: str, **extra):
    return api_client.post(
        "/api/auth/token/", {"username": username, "password": password}, format="json", **via_proxy(address), **extra
    )


@behind_one_proxy
def test_it_locks_the_page_login_for_one_client_only(village_director):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert _page_login(CLIENT_A, "director", "wrong-password").status_code in (200, 429)

    other = Client()
    response = other.post("/login/", {"username": "director", "password": PASSWORD}, **via_proxy(CLIENT_B))
    assert response.status_code == 302
    assert other.session["_auth_user_id"] == str(village_director.pk)
    assert _page_login(CLIENT_A, "director", PASSWORD).status_code == 429


@behind_one_proxy
def test_it_locks_the_token_endpoint_for_one_client_only(api_client, village_director):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert _api_login(api_client, CLIENT_A, "director", "wrong-password").status_code in (400, 429)

    response = _api_login(api_client, CLIENT_B, "director", PASSWORD)
    assert response.status_code == 200
    assert response.json()["token"]
    locked = _api_login(api_client, CLIENT_A, "director", PASSWORD)
    assert locked.status_code == 429
    assert "token" not in locked.json()


@behind_one_proxy
def test_it_cannot_be_dodged_by_forging_the_left_most_address(village_director):
    for n in range(settings.AXES_FAILURE_LIMIT):
        forged = via_proxy(CLIENT_A, forged=f"6.6.6.{n}")
        Client().post("/login/", {"username": "director", "password": "wrong-password"}, **forged)
    assert _page_login(CLIENT_A, "director", PASSWORD).status_code == 429


def test_it_cannot_be_dodged_by_forging_the_header_without_a_proxy(village_director):
    for n in range(settings.AXES_FAILURE_LIMIT):
        Client().post(
            "/login/", {"username": "director", "password": "wrong-password"}, HTTP_X_FORWARDED_FOR=f"6.6.6.{n}"
        )
    response = Client().post("/login/", {"username": "director", "password": PASSWORD})
    assert response.status_code == 429


# --- an address that tries many user names ------------------------------------------------


def _spray(address: str, names: int) -> None:
    """One wrong password each for `names` different user names (most of them unknown)."""
    for n in range(names):
        response = _page_login(address, f"guess{n}", "wrong-password")
        assert response.status_code in (200, 429)


@behind_one_proxy
def test_it_refuses_an_address_that_tried_many_user_names(api_client, village_director):
    _spray(CLIENT_A, settings.LOGIN_ADDRESS_USERNAME_LIMIT)

    page = _page_login(CLIENT_A, "director", PASSWORD)  # even the right password of another user
    assert page.status_code == 429
    assert "登录失败次数过多" in page.content.decode()
    assert "网络地址" in page.content.decode()
    api = _api_login(api_client, CLIENT_A, "director", PASSWORD, HTTP_ACCEPT_LANGUAGE="en")
    assert api.status_code == 429
    assert "address" in api.json()["detail"]
    assert "token" not in api.json()

    assert _page_login(CLIENT_B, "director", PASSWORD).status_code == 302  # other addresses are not affected


@behind_one_proxy
def test_it_does_not_refuse_an_address_below_the_limit(village_director):
    _spray(CLIENT_A, settings.LOGIN_ADDRESS_USERNAME_LIMIT - 1)
    assert _page_login(CLIENT_A, "director", PASSWORD).status_code == 302


@behind_one_proxy
@override_settings(LOGIN_ADDRESS_USERNAME_LIMIT=3)
def test_it_forgets_a_mistyped_name_once_that_user_signs_in():
    """Colleagues behind one office address who mistype and then sign in are not an attack."""
    colleagues = [UserFactory(username=f"colleague{n}") for n in range(4)]
    for user in colleagues:
        assert _page_login(CLIENT_A, user.username, "wrong-password").status_code == 200
        assert _page_login(CLIENT_A, user.username, PASSWORD).status_code == 302


@behind_one_proxy
def test_it_lets_the_address_in_again_after_the_cool_off(village_director):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False) as traveller:
        _spray(CLIENT_A, settings.LOGIN_ADDRESS_USERNAME_LIMIT)
        assert _page_login(CLIENT_A, "director", PASSWORD).status_code == 429
        traveller.shift(datetime.timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1))
        assert _page_login(CLIENT_A, "director", PASSWORD).status_code == 302


# --- API throttling -----------------------------------------------------------------------


def _project_throttles() -> set[type]:
    from rest_framework.settings import api_settings

    found = set(api_settings.DEFAULT_THROTTLE_CLASSES)
    for endpoint in all_endpoints():
        view = getattr(endpoint.callback, "cls", None)
        found.update(getattr(view, "throttle_classes", None) or ())
        found.update((getattr(endpoint.callback, "initkwargs", None) or {}).get("throttle_classes") or ())
    return found


def test_every_api_throttle_tells_callers_apart_by_the_client_address():
    from welfare.clientip import ClientIpThrottleMixin

    for throttle in _project_throttles():
        assert issubclass(throttle, ClientIpThrottleMixin), f"{throttle} must use welfare.clientip (ClientIpThrottleMixin)"


@pytest.mark.parametrize(("proxies", "received", "stored"), ADDRESS_CASES)
def test_a_throttle_sees_the_same_address_as_the_access_log(proxies, received, stored, rf):
    from rest_framework.request import Request
    from rest_framework.throttling import AnonRateThrottle

    from welfare.clientip import ClientIpThrottleMixin

    class Throttle(ClientIpThrottleMixin, AnonRateThrottle):
        rate = "5/min"

    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        assert Throttle().get_ident(Request(rf.post("/api/anything/", **received))) == stored


def test_drf_reads_the_forwarded_header_only_as_far_as_the_proxies_are_trusted():
    """A throttle written without the mixin falls back on DRF's NUM_PROXIES: the same count."""
    from rest_framework.settings import api_settings

    assert api_settings.NUM_PROXIES == settings.TRUSTED_PROXY_COUNT
