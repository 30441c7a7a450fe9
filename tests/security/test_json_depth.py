"""Issue 19: a JSON body nested deeper than API_JSON_MAX_DEPTH is refused with 400 before it is
parsed (it used to reach Python's recursion limit and answer 500), on every endpoint, the
unauthenticated token endpoint too; ordinary bodies are parsed as before."""

import json

import pytest
from django.test import override_settings

from cases.children.models import Child

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_it_refuses_json_nested_100000_deep_at_the_unauthenticated_token_endpoint(api_client):
    response = api_client.post("/api/auth/token/", DEEP, content_type="application/json")
    assert response.status_code == 400
    assert "嵌套" in response.json()["detail"]


def test_it_refuses_json_nested_100000_deep_at_a_write_endpoint_and_saves_nothing(api_client, county_official, regions):
    api_client.force_authenticate(county_official)
    body = '{"name": "张三", "region": "370402001001", "categories": ' + DEEP + "}"
    response = api_client.post("/api/children/", body, content_type="application/json")
    assert response.status_code == 400
    assert not Child.objects.exists()


def test_it_refuses_objects_nested_past_the_limit_in_english_when_asked(api_client, county_official):
    api_client.force_authenticate(county_official)
    body = '{"a": ' * 33 + "1" + "}" * 33
    response = api_client.post("/api/checks/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]
    assert "32" in response.json()["detail"]


def test_it_parses_a_body_at_the_limit(api_client, county_official):
    api_client.force_authenticate(county_official)
    response = api_client.post("/api/checks/", '{"notes": ' + nested(31) + "}", content_type="application/json")
    assert response.status_code == 400  # a field error about the data, not about the nesting
    assert "detail" not in response.json() or "嵌套" not in response.json()["detail"]


def test_it_counts_no_brackets_inside_strings(api_client, county_official):
    api_client.force_authenticate(county_official)
    body = json.dumps({"child": "x", "notes": "[" * 1000 + '{"' * 1000})
    response = api_client.post("/api/checks/", body, content_type="application/json")
    assert response.status_code == 400
    assert "child" in response.json()


@override_settings(API_JSON_MAX_DEPTH=3)
def test_it_reads_the_limit_from_the_settings(api_client, county_official):
    api_client.force_authenticate(county_official)
    response = api_client.post("/api/checks/", nested(4), content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "3" in response.json()["detail"]
