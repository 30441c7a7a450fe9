"""Property-based contract test: schemathesis generates requests from the OpenAPI schema of
/api/schema/ and sends them to the app (in-process WSGI) as an authenticated administrator. No
answer may be a 500 and every documented answer must match the schema. Bounded: a few examples
per operation (the whole file runs in well under two minutes)."""

import json

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.factories import ChildFactory, GuardianFactory, MembershipFactory
from welfare.wsgi import application


def generated_schema() -> dict:
    """The document /api/schema/ serves (checked against the served one below)."""
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


# The fuzzing phase only (a few examples per operation): the coverage phase alone would send
# hundreds of requests per operation and take many minutes.
CONFIG = schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}}})
schema = schemathesis.openapi.from_dict(generated_schema(), config=CONFIG)
schema.app = application


@pytest.fixture
def in_process_requests():
    """Requests run inside the test's transaction: keep Django from closing the connection at
    the start and end of each one (as Django's own test client does)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(db, regions, admin_user, in_process_requests):
    child = ChildFactory(region=regions.village)
    GuardianFactory(child=child)
    MembershipFactory(child=child)
    return AuthToken.objects.create(admin_user)[1]


def test_the_served_schema_is_the_one_under_test(api_client, admin_user):
    api_client.force_authenticate(admin_user)
    served = api_client.get("/api/schema/?format=json")
    assert served.status_code == 200
    assert json.loads(served.content)["paths"].keys() == generated_schema()["paths"].keys()


@schema.parametrize()
@settings(max_examples=5, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_the_api_answers_generated_requests_without_a_server_error_and_as_documented(case, token):
    case.call_and_validate(
        headers={"Authorization": f"Token {token}", "Accept-Language": "en"},
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )
