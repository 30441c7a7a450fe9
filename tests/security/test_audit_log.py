"""The access log is append-only — in the model and in the database — and records exports."""

import pytest
from django.db import DatabaseError, connection, transaction

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
def test_it_logs_every_export_with_who_how_many_and_from_where(endpoint, api_client_for, county_official, child):
    api_client = api_client_for(county_official)
    response = api_client.get(endpoint.template, REMOTE_ADDR="10.7.7.7")
    assert response.status_code == 200, response.content[:300]
    entry = AuditLog.objects.filter(actor=county_official).latest("at")
    assert entry.ip_address == "10.7.7.7"
    assert "export" in entry.action
    assert child.id_number not in response.content.decode("utf-8", errors="replace")


# --- Issue 19: TRUNCATE is refused too (PostgreSQL), except on the test suite's own connections ---


def _separate_connection(**options):
    """A connection of its own to the test database, with only the given `-c` options: the test
    settings turn welfare.allow_audit_truncate on for Django's connections, this one has it off."""
    import psycopg

    settings = connection.settings_dict
    flags = " ".join(f"-c {key}={value}" for key, value in options.items())
    return psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        options=f"-c lock_timeout=10s {flags}".strip(),
    )


postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the TRUNCATE trigger is PostgreSQL's")


@postgresql_only
def test_it_refuses_to_truncate_the_audit_log_on_a_connection_without_the_test_option():
    import psycopg

    with _separate_connection() as conn, conn.cursor() as cursor:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            cursor.execute("TRUNCATE welfare_auditlog")
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            cursor.execute("TRUNCATE welfare_auditlog CASCADE")
        conn.rollback()
        # Anyone can turn the option on for their session: in production the application's role
        # has no TRUNCATE privilege on the table at all (docs/SECURITY.md), the trigger is the second lock.
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'welfare_auditlog'::regclass AND NOT tgisinternal")
        assert {row[0] for row in cursor.fetchall()} >= {"welfare_auditlog_append_only", "welfare_auditlog_no_truncate"}


@postgresql_only
def test_it_lets_the_test_suites_connections_truncate_to_flush_tables():
    with _separate_connection(**{"welfare.allow_audit_truncate": "on"}) as conn, conn.cursor() as cursor:
        cursor.execute("TRUNCATE welfare_auditlog")
        conn.rollback()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('welfare.allow_audit_truncate', true)")
        assert cursor.fetchone()[0] == "on"
