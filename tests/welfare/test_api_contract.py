"""DESIGN.md's public interface: the paths and the field names clients rely on are in the OpenAPI
schema and in the answers. Other resources may add fields; none may be missing."""

import functools
import json
import re

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from tests.factories import ChildFactory, GuardianFactory, MembershipFactory

pytestmark = pytest.mark.django_db

# Resource path -> the fields DESIGN.md promises (read representation).
DESIGN_FIELDS = {
    "/api/regions/": {"code", "name", "level", "parent"},
    "/api/children/": {"id", "name", "id_number", "sex", "birth_date", "region", "household_region", "categories", "check_state", "next_check_due"},
    "/api/guardians/": {"id", "child", "name", "relation", "id_number", "phone", "is_migrant_worker", "work_place", "can_act_as_guardian"},
    "/api/applications/": {"id", "child", "category", "received_region", "status", "reason", "submitted_on", "due_on", "decided_on"},
    "/api/standards/": {"id", "region", "category", "monthly_amount", "refers_to", "effective_from", "document"},
    "/api/enrollments/": {"id", "child", "category", "start_month", "end_month", "end_reason", "status"},
    "/api/payout-runs/": {"id", "region", "month", "status", "payout_count", "total_amount", "totals_by_category"},
    "/api/grants/": {"id", "child", "kind", "school", "study_level", "school_year", "annual_amount", "instalments", "status"},
    "/api/payouts/": {"id", "run", "child", "category", "month", "amount", "standard"},
    "/api/checks/": {"id", "child", "checked_on", "kind", "risk_level", "notes"},
}
# Paths (and actions) DESIGN.md names.
DESIGN_PATHS = [
    ("/api/auth/token/", "post"),
    ("/api/regions/", "get"),
    ("/api/children/", "get"),
    ("/api/children/", "post"),
    ("/api/guardians/", "get"),
    ("/api/applications/", "post"),
    ("/api/applications/{id}/review/", "post"),
    ("/api/applications/{id}/approve/", "post"),
    ("/api/applications/{id}/reject/", "post"),
    ("/api/standards/", "get"),
    ("/api/standards/raise/", "post"),
    ("/api/enrollments/", "post"),
    ("/api/payout-runs/", "post"),
    ("/api/payout-runs/{id}/approve/", "post"),
    ("/api/payout-runs/{id}/export/", "get"),
    ("/api/payouts/", "get"),
    ("/api/checks/", "post"),
    ("/api/institutions/", "get"),
    ("/api/staff/", "get"),
    ("/api/placements/", "get"),
    ("/api/reports/", "get"),
    ("/api/dashboard/summary/", "get"),
    ("/api/grants/", "post"),
    ("/api/grants/{id}/approve/", "post"),
    ("/api/grants/{id}/reject/", "post"),
    ("/api/grants/{id}/end/", "post"),
]


@functools.cache
def generated_schema() -> dict:
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


@pytest.fixture
def schema():
    return generated_schema()


def test_the_schema_is_served_to_an_authenticated_caller_only(api_client, admin_user):
    assert api_client.get("/api/schema/?format=json").status_code in (401, 403)
    api_client.force_authenticate(admin_user)
    response = api_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert response.json()["paths"].keys() == generated_schema()["paths"].keys()


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    for key in ("allOf", "oneOf", "anyOf"):
        if key in node:
            merged: dict = {"properties": {}}
            for part in node[key]:
                merged["properties"].update(resolve(schema, part).get("properties", {}))
            return merged
    return node


def list_item_properties(schema: dict, path: str) -> set[str]:
    response = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    body = resolve(schema, response)
    if body.get("type") == "array":
        item = body["items"]
    else:
        item = body["properties"]["results"]["items"]
    return set(resolve(schema, item).get("properties", {}))


@pytest.mark.parametrize(("path", "method"), DESIGN_PATHS, ids=[f"{m} {p}" for p, m in DESIGN_PATHS])
def test_the_schema_has_every_path_design_names(schema, path, method):
    assert path in schema["paths"], f"{path} is missing from the schema"
    assert method in schema["paths"][path], f"{method.upper()} {path} is missing"


@pytest.mark.parametrize("path", list(DESIGN_FIELDS))
def test_the_schema_has_every_field_design_names(schema, path):
    assert path in schema["paths"], f"{path} is missing from the schema"
    missing = DESIGN_FIELDS[path] - list_item_properties(schema, path)
    assert not missing, f"{path} lacks {sorted(missing)}"


def test_the_dashboard_summary_documents_its_keys(schema):
    operation = schema["paths"]["/api/dashboard/summary/"]["get"]
    body = resolve(schema, operation["responses"]["200"]["content"]["application/json"]["schema"])
    assert {"region", "date", "children_by_category", "overdue_checks", "pending_applications"} <= set(body.get("properties", {}))


def test_the_answers_carry_the_design_fields_and_page_keys(api_client, admin_user, regions):
    child = ChildFactory(region=regions.village)
    GuardianFactory(child=child)
    MembershipFactory(child=child)
    api_client.force_authenticate(admin_user)
    for path in ("/api/regions/", "/api/children/", "/api/guardians/"):
        body = api_client.get(path).json()
        assert set(body) == {"count", "next", "previous", "results"}, path
        assert body["results"], path
        assert DESIGN_FIELDS[path] <= set(body["results"][0]), path


def test_the_token_endpoint_takes_username_and_password_and_answers_token(schema):
    operation = schema["paths"]["/api/auth/token/"]["post"]
    request = resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])
    answer = resolve(schema, operation["responses"]["200"]["content"]["application/json"]["schema"])
    assert set(request["properties"]) == {"username", "password"}
    assert set(answer["properties"]) == {"token"}


def test_the_docs_page_loads_nothing_from_the_internet(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "https://" not in html and "http://" not in html.replace('http://testserver', '')
    assert "/static/drf_spectacular_sidecar/" in html
    sources = re.findall(r'src="(/static/drf_spectacular_sidecar/[^"]+)"', html)
    assert sources
    for src in sources:
        assert client.get(src).status_code == 200, src


def test_the_schema_is_valid_openapi_and_generates_without_warnings(tmp_path):
    from django.core.management import call_command
    from drf_spectacular.drainage import GENERATOR_STATS

    GENERATOR_STATS.reset()
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3")
