"""welfare.batch.read_together: several `.values()` querysets read in one statement, each answered
as `list(queryset)` would answer it (types included)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, DateField, IntegerField, Sum, Value
from django.db.models.functions import Left, TruncMonth

from benefits.payouts.models import PayoutRun
from cases.children.models import Child
from institutions.models import Institution, Training
from tests.factories import ChildFactory, InstitutionFactory, StaffFactory
from welfare.batch import read_together
from welfare.models import Region

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
