"""welfare.batch: several `.values()` querysets read in one statement, each answered as
`list(queryset)` would answer it (types included) (read_together); several writes, the ORM's own
statements, sent in one round trip (execute_batch)."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, DateField, IntegerField, Sum, Value
from django.db.models.functions import Left, TruncMonth
from django.test.utils import CaptureQueriesContext

from benefits.payouts.models import PayoutRun
from cases.children.models import Child
from institutions.models import Institution, Training
from tests.factories import ChildFactory, InstitutionFactory, StaffFactory
from welfare.batch import execute_batch, insert_statement, read_together, update_statement
from welfare.models import AuditLog, Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(regions):
    for village in (regions.village, regions.village, regions.village_c, regions.other_village):
        ChildFactory(region=village)
    InstitutionFactory(region=regions.county, kind=Institution.Kind.WELFARE, capacity=80)
    InstitutionFactory(region=regions.township, kind=Institution.Kind.WORKSTATION, capacity=0)
    staff = StaffFactory(region=regions.village)
    Training.objects.create(staff=staff, title="培训", held_on=datetime.date(2026, 3, 1), hours=Decimal("7.5"))
    PayoutRun.objects.create(region=regions.county, month=datetime.date(2026, 3, 1), status="approved", total_amount=Decimal("1600.00"))
    PayoutRun.objects.create(region=regions.county, month=datetime.date(2026, 4, 1), status="draft", total_amount=Decimal("1666.66"))
    return regions


def _readings(regions) -> dict:
    county = regions.county.path
    return {
        # Grouped counts under a computed key.
        "by_township": Child.objects.filter(region__path__startswith=county)
        .annotate(k=Left("region__path", len(regions.township.path)))
        .values("k")
        .annotate(n=Count("id"))
        .order_by(),
        # Dates, timestamps, a month of a timestamp as a date, text and a foreign key's column.
        "children": Child.objects.filter(region__path__startswith=county)
        .annotate(m=TruncMonth("created_at", output_field=DateField()))
        .values("id", "name", "birth_date", "created_at", "m", "region__code")
        .order_by("id"),
        # Decimals (never through a float), sums of them, booleans.
        "runs": PayoutRun.objects.values("month", "status", "total_amount").order_by("month"),
        "paid": PayoutRun.objects.values("region_id").annotate(s=Sum("total_amount")).order_by(),
        "hours": Training.objects.values("hours", "staff__left_on"),
        "kinds": Institution.objects.values("kind").annotate(n=Count("id"), beds=Sum("capacity")).order_by(),
        # An aggregate over no rows (one row, as .aggregate() counts), and nothing at all.
        "none_counted": Institution.objects.filter(region__path__startswith="999999/")
        .values(_all=Value(1, output_field=IntegerField()))
        .annotate(n=Count("id"), beds=Sum("capacity"))
        .values("n", "beds"),
        "nothing": Region.objects.none().values("code"),
        "empty_in": Region.objects.filter(id__in=[]).values("code"),
    }


def _sortable(rows: list[dict]) -> list:
    return sorted(sorted((k, repr(v)) for k, v in row.items()) for row in rows)


def test_it_answers_what_each_queryset_gives_one_by_one(records):
    readings = _readings(records)
    together = read_together(readings)
    assert list(together) == list(readings)
    for name, qs in readings.items():
        assert _sortable(together[name]) == _sortable(list(qs)), name  # repr: the types too
    assert together["none_counted"] == [{"n": 0, "beds": None}]
    assert together["nothing"] == together["empty_in"] == []
    assert {r["total_amount"] for r in together["runs"]} == {Decimal("1600.00"), Decimal("1666.66")}
    assert {r["k"].rstrip("/").rsplit("/", 1)[-1]: r["n"] for r in together["by_township"]} == {
        records.township.code: 2,
        records.township_2.code: 1,
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one statement on PostgreSQL; one by one elsewhere")
def test_it_reads_them_in_one_statement(records, django_assert_num_queries):
    readings = _readings(records)
    with django_assert_num_queries(1):
        read_together(readings)


def test_it_reads_values_only(records):
    with pytest.raises(TypeError):
        read_together({"children": Child.objects.all()})


# Writes: the ORM's own INSERT and UPDATE, sent together (execute_batch).

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
