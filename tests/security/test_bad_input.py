"""Bad input gets a clear answer and changes nothing: crafted filter and ordering parameters on
every API list, oversized uploads, and sorting or filtering by sensitive fields."""

import pytest
from django.test import override_settings

from tests.factories import ChildFactory
from tests.security.urlwalk import all_endpoints

pytestmark = pytest.mark.django_db

LISTS = [
    e
    for e in all_endpoints()
    if e.is_api and not e.params and e.template not in ("/api/", "/api/auth/token/", "/api/schema/", "/api/docs/")
]

CRAFTED = [
    "ordering=password",
    "ordering=id_number",
    "ordering=-guardians__id_number",
    "ordering=created_by__password",
    "ordering=health_notes",
    "ordering=;DROP TABLE cases_child",
    "id_number=370402201503140021",
    "id_number__startswith=3704",
    "region__path__startswith=",
    "created_by__password__startswith=md5",
    "region=' OR 1=1 --",
    "region=99999999999999999999",
    "child=abc",
    "child=-1",
    "month=2024-13",
    "date=2024-02-30",
    "page=abc",
    "page=-1",
    "page=99999",
    "page_size=100000000",
    "category=<script>",
    "search=%00",
    "name=a%00b",
    "format=xml",
]


@pytest.fixture
def county_api(api_client_for, county_official):
    return api_client_for(county_official)


@pytest.mark.parametrize("endpoint", LISTS, ids=str)
def test_it_answers_crafted_parameters_without_an_error_or_a_leak(endpoint, county_api, regions, other_child):
    problems = []
    for query in CRAFTED:
        response = county_api.get(f"{endpoint.template}?{query}")
        if response.status_code >= 500:
            problems.append(f"{query} -> {response.status_code}")
        elif other_child.name in response.content.decode("utf-8", errors="replace"):
            problems.append(f"{query} shows the other county's child")
    assert not problems, "\n".join(problems)


def test_it_never_sorts_or_filters_children_by_identity_number(county_api, regions):
    if "/api/children/" not in [e.template for e in LISTS]:
        pytest.skip("no children API")
    for name in ("甲", "乙", "丙"):
        ChildFactory(region=regions.village, name=name, id_number=None)
    base = [r["id"] for r in county_api.get("/api/children/").json()["results"]]
    for query in ("ordering=id_number", "ordering=-id_number"):
        response = county_api.get(f"/api/children/?{query}")
        assert response.status_code in (200, 400)
        if response.status_code == 200:
            assert [r["id"] for r in response.json()["results"]] == base, query
    response = county_api.get("/api/children/?id_number__startswith=9999")
    assert response.status_code == 400 or response.json()["count"] == len(base)


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024, UPLOAD_MAX_BYTES=4096)
def test_it_refuses_bodies_over_the_limit_before_reading_them(county_api, client, county_official):
    response = county_api.post("/api/children/", {"name": "x" * 5000}, format="json")
    assert response.status_code == 413
    assert "detail" in response.json()
    client.force_login(county_official)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("roster.xlsx", b"0" * 100_000)
    response = client.post("/cases/import/", {"file": upload})
    assert response.status_code == 413
    small = client.post("/language/", {"language": "en"})
    assert small.status_code == 302
