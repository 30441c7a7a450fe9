"""The access log is append-only — in the model and in the database — and records exports."""

import pytest
from django.db import DatabaseError, connection, transaction
from rest_framework.authtoken.models import Token

from tests.security.urlwalk import all_endpoints
from welfare.audit import audit_record
from welfare.models import AuditLog
from welfare.security import install_audit_log_guard

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(county_official):
    return audit_record(actor=county_official, action="export", record_count=3, ip_address="10.0.0.1")


def test_it_refuses_to_change_an_entry_through_the_model(entry):
    entry.action = "nothing"
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()


def test_it_refuses_to_update_or_delete_entries_in_the_database(entry):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditLog.objects.filter(pk=entry.pk).update(action="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditLog.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM welfare_auditlog")
    assert AuditLog.objects.get(pk=entry.pk).action == "export"


def test_it_installs_the_guard_again_without_harm(entry):
    install_audit_log_guard(using="default")
    install_audit_log_guard(using="default")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditLog.objects.filter(pk=entry.pk).update(action="forged")


def test_it_still_appends_entries(entry, county_official):
    audit_record(actor=county_official, action="export", record_count=1)
    assert AuditLog.objects.count() == 2


EXPORTS = [e for e in all_endpoints() if "export" in e.template and not e.params and not e.is_admin]


@pytest.mark.parametrize("endpoint", EXPORTS, ids=str)
def test_it_logs_every_export_with_who_how_many_and_from_where(endpoint, api_client, county_official, child):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=county_official).key}")
    response = api_client.get(endpoint.template, REMOTE_ADDR="10.7.7.7")
    assert response.status_code == 200, response.content[:300]
    entry = AuditLog.objects.filter(actor=county_official).latest("at")
    assert entry.ip_address == "10.7.7.7"
    assert "export" in entry.action
    assert child.id_number not in response.content.decode("utf-8", errors="replace")
