"""welfare.batch: several `.values()` querysets read in one statement, each answered as
`list(queryset)` would answer it (types included) (read_together); several writes, the ORM's own
statements, sent in one round trip (execute_batch); statements composed once and run again with
other values (insert_statement, update_row_statement, CompiledQuery) answering what the ORM would."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, DateField, IntegerField, Q, Sum, Value
from django.db.models.functions import Left, TruncMonth
from django.test.utils import CaptureQueriesContext

from benefits.payouts.models import PayoutRun
from cases.children.models import Child
from institutions.models import Institution, Training
from tests.factories import ChildFactory, InstitutionFactory, StaffFactory
from welfare.batch import (
    CompiledQuery,
    execute_batch,
    insert_statement,
    read_together,
    update_row_statement,
    update_row_with_history_statements,
    update_statement,
)
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


# Statements composed once per process, run again with other values.


def test_a_statement_composed_once_writes_what_a_fresh_one_would():
    county = Region.objects.create(code="990103", name="戊县", level=Region.Level.COUNTY)
    rows = [
        AuditLog(action="test.cached", target_type="welfare.region", target_id=str(county.id), record_count=n, detail={"n": n})
        for n in (1, 2)
    ]
    first, second = insert_statement(rows[0]), insert_statement(rows[1])  # the second from the composed text
    assert first[0] == second[0]
    with transaction.atomic():
        execute_batch([first, second])
    assert sorted(AuditLog.objects.filter(action="test.cached").values_list("record_count", "detail")) == [(1, {"n": 1}), (2, {"n": 2})]
    # An UPDATE by primary key, a value set to NULL changing the text, every value as update() writes it.
    run = PayoutRun.objects.create(region=county, month=datetime.date(2026, 3, 1), error="x")
    for values in (
        {"payout_count": 3, "total_amount": Decimal("10.50"), "totals_by_category": {"a": 1}, "computed_at": None},
        {"payout_count": 4, "total_amount": Decimal("11.50"), "totals_by_category": {"b": 2}, "computed_at": datetime.datetime(2026, 3, 2, tzinfo=datetime.UTC)},
        {"payout_count": 5, "total_amount": Decimal("12.50"), "totals_by_category": [], "computed_at": None},
    ):
        with transaction.atomic():
            execute_batch([update_row_statement(PayoutRun, run.id, **values)])
        run.refresh_from_db()
        assert {k: getattr(run, k) for k in values} == values


def test_a_compiled_query_answers_what_the_queryset_would(regions):
    ChildFactory(region=regions.village)
    ChildFactory(region=regions.other_village)
    codes_of = CompiledQuery(
        lambda codes, below, level: Region.objects.filter(Q(code__in=codes) | Q(path__startswith=below), level=level)
        .select_related("parent")
        .order_by("code")
    )
    children = CompiledQuery(lambda name, born: Child.objects.filter(region__path__startswith=name, birth_date__gte=born).order_by("id"))
    for args in (
        ([regions.county.code, regions.other_county.code], regions.county.path, "village"),
        ([regions.other_county.code], regions.other_county.path, "county"),
        ([regions.village.code], "none/", "village"),
        ([], regions.county.path, "township"),  # an empty `__in`: its own shape
        (["x%_"], "50%_/", "village"),  # LIKE's own characters are escaped, as Django escapes them
    ):
        expected = list(codes_of.build(*args))
        got = codes_of.rows(*args)
        assert [(r.pk, r.code, r.parent.code if r.parent else None) for r in got] == [
            (r.pk, r.code, r.parent.code if r.parent else None) for r in expected
        ]
    for args in ((regions.county.path, datetime.date(1900, 1, 1)), (regions.other_county.path, datetime.date(1900, 1, 1)), (regions.county.path, datetime.date(2100, 1, 1))):
        assert [(c.pk, c.name, c.birth_date) for c in children.rows(*args)] == [(c.pk, c.name, c.birth_date) for c in children.build(*args)]
    assert len(children.rows(regions.county.path, datetime.date(1900, 1, 1))) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="elsewhere a compiled query is the queryset itself")
def test_a_compiled_query_refuses_what_it_cannot_place():
    with pytest.raises(TypeError):  # a timestamp: Django adapts it (time zones), the statement could not
        CompiledQuery(lambda when: AuditLog.objects.filter(at__gte=when)).rows(datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    with pytest.raises(ValueError):  # an argument the query does not use
        CompiledQuery(lambda code: Region.objects.filter(code="990101")).rows("990101")


def test_one_statement_updates_the_row_writes_its_history_copy_and_one_more_row():
    county = Region.objects.create(code="990104", name="己县", level=Region.Level.COUNTY)
    run = PayoutRun.objects.create(region=county, month=datetime.date(2026, 3, 1))
    when = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)
    audit = insert_statement(AuditLog(action="test.with_history", target_type="benefits.payoutrun", target_id=str(run.id)))
    with transaction.atomic():
        execute_batch(update_row_with_history_statements(PayoutRun, run.id, when=when, also=audit, status="draft", payout_count=7, total_amount=Decimal("70.00")))
        execute_batch(update_row_with_history_statements(PayoutRun, run.id, when=when, status="approved"))
    run.refresh_from_db()
    assert (run.status, run.payout_count, run.total_amount) == ("approved", 7, Decimal("70.00"))
    rows = list(run.history.filter(history_date=when).order_by("history_id").values_list("status", "payout_count", "total_amount", "history_type", "history_user"))
    # Copies of the row as each UPDATE left it, by no user (a job).
    assert rows == [("draft", 7, Decimal("70.00"), "~", None), ("approved", 7, Decimal("70.00"), "~", None)]
    assert AuditLog.objects.filter(action="test.with_history", target_id=str(run.id)).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements of PostgreSQL")
def test_its_statements_are_prepared_once_per_connection_and_djangos_own_never(regions):
    """execute_batch's statements are prepared on the connection (the payout run sends the same
    ones for every county): Django turns psycopg's prepared statements off unless the settings ask
    (welfare.settings.base.prepared_statements); Django's own queries, and a page's reads
    (read_together: sent once per connection, where preparing would cost a round trip), are not."""
    sql = "SELECT count(*) FROM welfare_region WHERE level = %s"
    for level in ("county", "village"):
        assert execute_batch([(sql, [level])])[0][1][0][0] >= 1
    Region.objects.filter(level="county").count()
    read_together({"villages": Region.objects.filter(level="village").values("code")})  # a page's reads: not prepared
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert prepared.count("SELECT count(*) FROM welfare_region WHERE level = $1") == 1
    assert not any('"welfare_region"' in text for text in prepared)
