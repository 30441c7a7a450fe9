"""Several writes in one round trip: the ORM's own INSERT and UPDATE, sent together."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from welfare.models import AuditLog, Region
from welfare.sqlbatch import execute_batch, insert_statement, update_statement

pytestmark = pytest.mark.django_db


def test_the_statements_write_what_save_and_update_would_in_one_round_trip():
    county = Region.objects.create(code="990101", name="甲县", level=Region.Level.COUNTY)
    row = AuditLog(action="test.batched", target_type="welfare.region", target_id=str(county.id), record_count=3, detail={"k": "值"})
    with CaptureQueriesContext(connection) as queries:
        answers = execute_batch(
            [
                insert_statement(row),
                update_statement(Region.objects.filter(id=county.id), name="乙县"),
                ("SELECT code FROM welfare_region WHERE id = %s", [county.id]),
            ]
        )
    assert len(queries) == (1 if connection.vendor == "postgresql" else 3)
    assert [a[0] for a in answers[:2]] == [1, 1] and answers[2][1] == [("990101",)]
    saved = AuditLog.objects.get(action="test.batched")
    assert (saved.target_id, saved.record_count, saved.detail, saved.at is not None) == (str(county.id), 3, {"k": "值"}, True)
    assert row.pk is None  # the instance is not the saved row
    county.refresh_from_db()
    assert county.name == "乙县"


def test_an_error_in_one_statement_stops_the_batch_and_the_transaction_keeps_nothing():
    county = Region.objects.create(code="990102", name="丙县", level=Region.Level.COUNTY)
    with pytest.raises(IntegrityError), transaction.atomic():
        execute_batch(
            [
                update_statement(Region.objects.filter(id=county.id), name="丁县"),
                insert_statement(Region(code="990102", name="重复", level=Region.Level.COUNTY, path="/990102/")),  # the code is unique
            ]
        )
    county.refresh_from_db()
    assert county.name == "丙县"
