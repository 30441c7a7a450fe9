"""Deny by default, proven: every URL of the project (pages, API, exports, admin), generated
from the URL resolver, is asked for the other county's records by a signed-in user of our
county and by an anonymous visitor. Each answer is 401, 403, 404, 405 or a redirect to a login
page — or, for URLs that name no record, an answer holding nothing of the other county — and
nothing of the other county is changed."""

import json
from urllib.parse import urlparse

import pytest
from django.apps import apps
from django.db.models import Q
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from cases.children.models import Child
from tests.factories import UserFactory
from tests.security.conftest import OTHER_PK
from tests.security.urlwalk import REGION_QUERY, all_endpoints
from welfare.models import AuditLog, Region, User
from welfare.roles import Role

pytestmark = pytest.mark.django_db

ENDPOINTS = all_endpoints()

# Open to anyone: signing in and out, the language switch, the API token exchange.
PUBLIC = {"/login/", "/logout/", "/language/", "/api/auth/token/", "/admin/login/", "/admin/logout/"}
# The offline web app's service worker and manifest: no data in them, fetched before any sign-in.
PUBLIC |= {"/sw.js", "/manifest.webmanifest"}
DENIED = {401, 403, 404, 405}
WRITE_METHODS = ("post", "put", "patch", "delete")
# Page actions that act on the caller's own record only, and answer with their usual redirect
# whatever the key: someone else's record is left untouched (the footprint check proves it).
LEAVES_OTHERS_UNTOUCHED: set[str] = set()  # none left: every page action answers 404 for others' records


def _is_login_redirect(response) -> bool:
    if response.status_code not in (301, 302, 303):
        return False
    return urlparse(response["Location"]).path in ("/login/", "/admin/login/")


def _payload(world, regions) -> dict:
    """A write that names the other county's records everywhere a write could name one."""
    pk = world.pk
    return {
        **{
            k: pk
            for k in (
                "child",
                "child_id",
                "guardian",
                "application",
                "run",
                "institution",
                "staff",
                "campaign",
                "enrollment",
                "standard",
                "placement",
                "grant",
                "finding",
                "inspection",
            )
        },
        "region": regions.other_village.code,
        "household_region": regions.other_village.code,
        "received_region": regions.other_township.code,
        "county": regions.other_county.code,
        "name": "越权测试",
        "relation": "grandparent",
        "sex": "M",
        "birth_date": "2015-03-14",
        "child_id_number": world.child.id_number,
        "category": "orphan_scattered",
        "categories": ["left_behind"],
        "month": "2024-06",
        "start_month": "2024-06",
        "end_month": "2024-07",
        "end_reason": "age",
        "checked_on": "2024-06-01",
        "kind": "routine",
        "risk_level": "low",
        "notes": "x",
        "reason": "x",
        "comment": "x",
        "effective_from": "2024-07-01",
        "percent": "10",
        "amount": "10.00",
        "monthly_amount": "100.00",
        "rounding": "yuan",
        "status": "approved",
        "school_year": "2026-2027",
        "school": "x",
        "study_level": "university",
        "enrolment_proof": "x",
    }


def _footprint(world, regions) -> dict:
    """Everything of the other county: its records' values and the number of rows (history
    included) that point into it."""
    other_path = regions.other_county.path
    out = {}
    for model, obj in world.objects.items():
        out[f"{model.__name__}#{obj.pk}"] = model.objects.filter(pk=obj.pk).values().first()
    for label in ("welfare", "cases", "benefits", "institutions"):
        for model in apps.get_app_config(label).get_models():
            if model in (AuditLog, Region):
                continue
            cond = Q()
            for f in model._meta.concrete_fields:
                if not f.is_relation or f.related_model is None:
                    continue
                if f.related_model is Region:
                    cond |= Q(**{f"{f.name}__path__startswith": other_path})
                elif f.related_model is Child:
                    cond |= Q(**{f"{f.name}__region__path__startswith": other_path})
                elif f.related_model is User:
                    cond |= Q(**{f.name: world.user.pk})
            if cond:
                out[f"rows:{model._meta.label}"] = model.objects.filter(cond).count()
    return out


def _leaks(response, secrets) -> list[str]:
    body = response.content.decode("utf-8", errors="replace")
    found = []
    for s in secrets:
        if s and (s in body or json.dumps(s)[1:-1] in body):
            found.append(s)
    return found


@pytest.fixture
def walkers(regions, county_official, village_director):
    """Signed-in users of our county, each with a page client and an API client (token)."""
    out = []
    for user in (county_official, village_director):
        page = Client()
        page.force_login(user)
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user)[1]}")
        out.append((user, page, api))
    return out


def _ask(client, method, url, *, api: bool, data):
    if method == "get":
        return client.get(url)
    if api:
        return getattr(client, method)(url, data, format="json")
    return getattr(client, method)(url, data)


def _methods(endpoint) -> tuple[str, ...]:
    if endpoint.is_api and endpoint.names_a_record:
        return ("get", *WRITE_METHODS)
    return ("get", "post")


def _walk_one(endpoint, *, regions, world, walkers, anonymous=("get", "post")) -> list[str]:
    url = endpoint.url(pk=OTHER_PK, region_code=regions.other_county.code)
    secrets = world.secrets()
    data = _payload(world, regions)
    # A form shown again with what was typed into it echoes the typed number: not a leak.
    typed = {str(v) for v in data.values()}
    write_secrets = [x for x in secrets if x not in typed]
    problems = []

    # Anonymous.
    for method in anonymous:
        client = APIClient() if endpoint.is_api else Client()
        response = _ask(client, method, url, api=endpoint.is_api, data=data)
        ok = (
            response.status_code < 500
            if endpoint.template in PUBLIC
            else (response.status_code in DENIED or _is_login_redirect(response))
        )
        if not ok:
            problems.append(f"anonymous {method.upper()} {url} -> {response.status_code}")
        if leaked := _leaks(response, secrets if method == "get" else write_secrets):
            problems.append(f"anonymous {method.upper()} {url} shows {leaked}")

    # Signed-in users of our county.
    for user, page, api in walkers:
        for method in _methods(endpoint):
            if endpoint.is_api:
                client = api
            else:
                page.force_login(user)  # again: a POST to /logout/ signs out
                client = page
            response = _ask(client, method, url, api=endpoint.is_api, data=data)
            status = response.status_code
            if status >= 500:
                ok = False
            elif endpoint.template in PUBLIC or not endpoint.names_a_record:
                ok = True
            else:
                allowed = DENIED | ({400} if method != "get" else set())
                ok = status in allowed or _is_login_redirect(response)
                if method != "get" and endpoint.name in LEAVES_OTHERS_UNTOUCHED and status in (302, 303):
                    ok = True
            if not ok:
                problems.append(f"{user.role} {method.upper()} {url} -> {status}")
            if leaked := _leaks(response, secrets if method == "get" else write_secrets):
                problems.append(f"{user.role} {method.upper()} {url} shows {leaked}")
    return problems


def _changes(before, after) -> list[str]:
    changed = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
    return [f"the other county's records changed: {changed}"] if changed else []


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if not e.is_admin], ids=str)
def test_it_shows_and_changes_nothing_of_another_county(endpoint, regions, other_world, walkers):
    before = _footprint(other_world, regions)
    problems = _walk_one(endpoint, regions=regions, world=other_world, walkers=walkers)
    problems += _changes(before, _footprint(other_world, regions))
    assert not problems, "\n".join(problems)


def test_it_sends_everyone_but_staff_from_every_admin_url_to_the_admin_login(regions, other_world, walkers):
    """The admin site (about 150 URLs, one per model and action) in one walk."""
    before = _footprint(other_world, regions)
    problems = []
    for endpoint in ENDPOINTS:
        if endpoint.is_admin:
            problems += _walk_one(endpoint, regions=regions, world=other_world, walkers=walkers[:1], anonymous=("get",))
    problems += _changes(before, _footprint(other_world, regions))
    assert not problems, "\n".join(problems)


def test_it_walks_pages_api_and_admin():
    templates = [e.template for e in ENDPOINTS]
    assert any(t.startswith("/api/") for t in templates)
    assert any(t.startswith("/admin/") for t in templates)
    assert any(t.startswith("/cases/") for t in templates)
    assert "/cases/reveal/children/%(child_id)s/" in templates
    assert "/benefits/grants/%(pk)s/" in templates and "/api/grants/%(pk)s/approve/" in templates


def test_the_world_holds_a_grant_and_its_instalment(other_world):
    from benefits.grants.models import Grant, GrantPayout, GrantStandard

    for model in (Grant, GrantPayout, GrantStandard):
        assert model in other_world.objects, other_world.skipped.get(model)


def test_it_asks_the_region_reports_for_the_other_countys_code_in_the_query(regions, other_world):
    """The budget (benefits/budget) takes its region in the query string: walked with the other
    county's, whose projected figures (its standard's marker amount) must never show."""
    walked = {e.template: e.url(pk=OTHER_PK, region_code=regions.other_county.code) for e in ENDPOINTS if e.template in REGION_QUERY}
    assert set(walked) == set(REGION_QUERY)
    assert all(f"region={regions.other_county.code}" in url for url in walked.values())
    assert all(e.names_a_record for e in ENDPOINTS if e.template in REGION_QUERY)
    assert other_world.money, "the other county's standard carries the marker amount"


def test_it_never_puts_an_identity_number_or_health_detail_in_a_url_pattern():
    sensitive = ("id_number", "idnumber", "identity", "health", "disability")
    bad = [e.template for e in ENDPOINTS if any(s in p.lower() for p in e.params for s in sensitive)]
    assert bad == []


def test_it_lets_a_staff_user_without_the_admin_role_do_nothing_in_the_admin(regions, other_world, client):
    """Staff status alone (no model permissions) opens no record in the admin."""
    staff = UserFactory(username="staff_county", role=Role.COUNTY_OFFICIAL, region=regions.county, is_staff=True)
    client.force_login(staff)
    for endpoint in ENDPOINTS:
        if not endpoint.is_admin or not endpoint.names_a_record:
            continue
        response = client.get(endpoint.url(pk=OTHER_PK, region_code=regions.other_county.code))
        assert response.status_code in (302, 403, 404), endpoint
        assert not _leaks(response, other_world.secrets()), endpoint
