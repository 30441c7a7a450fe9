"""The payout run's insert: a plain INSERT in the usual case, ON CONFLICT DO NOTHING whenever a
conflict is possible or happens, and totals that always match the rows the run holds."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum

from benefits.enrollments.models import Enrollment
from benefits.payouts.models import Payout, PayoutRun
from benefits.payouts.services import payout_run_compute, payout_run_start
from tests.benefits.helpers import enrolled_child, std

D = datetime.date


def run_month(county, month: str) -> PayoutRun:
    run, _created = payout_run_start(by=None, region=county, month=month, enqueue=False)
    payout_run_compute(run_id=run.id)
    run.refresh_from_db()
    return run


def table_totals(run: PayoutRun) -> dict[str, dict]:
    rows = Payout.objects.filter(run=run).values("category").annotate(n=Count("id"), s=Sum("amount"))
    return {r["category"]: {"count": r["n"], "amount": str(r["s"].quantize(Decimal("0.01")))} for r in rows}


@pytest.fixture
def standards(regions):
    std(regions.city, "orphan_institution", 1760, on="2020-01-01")
    std(regions.city, "orphan_scattered", 1400, on="2020-01-01")
    std(regions.city, "de_facto_unsupported", refers_to="orphan_scattered", on="2020-01-01")
    std(regions.city, "key_difficulty", 980, on="2020-01-01")
    return regions


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2025, 6, 15, 10, 0), tick=False):
        yield


def test_its_totals_by_category_are_those_of_the_rows_written(standards, regions):
    r = regions
    enrolled_child(r.village, r.county, "orphan_scattered")
    enrolled_child(r.village, r.county, "orphan_scattered")
    enrolled_child(r.village_b, r.county, "orphan_institution")
    enrolled_child(r.village_c, r.county, "de_facto_unsupported")
    enrolled_child(r.village_c, r.county, "key_difficulty")
    run = run_month(r.county, "2025-05")
    assert run.totals_by_category == table_totals(run)
    assert run.totals_by_category["orphan_scattered"] == {"count": 2, "amount": "2800.00"}
    assert run.payout_count == 5
    assert run.total_amount == Decimal("1400") * 3 + Decimal("1760") + Decimal("980")


def test_a_child_already_paid_that_month_by_another_county_is_not_paid_twice(standards, regions):
    """Overlapping enrollments in two counties (bad data the services refuse, typed in directly):
    the plain INSERT of the second county hits the unique index, and the run falls back to
    ON CONFLICT DO NOTHING: everyone else is paid, the child only once, the totals are right."""
    r = regions
    child, first = enrolled_child(r.village, r.county)
    Enrollment.objects.create(
        child=child,
        category=first.category,
        county=r.other_county,
        start_month=D(2025, 1, 1),
        status="ended",
        end_month=D(2025, 12, 1),
    )
    other, _e = enrolled_child(r.other_village, r.other_county)
    here = run_month(r.county, "2025-05")
    there = run_month(r.other_county, "2025-05")
    assert there.status == PayoutRun.Status.DRAFT
    assert Payout.objects.filter(child=child, month=D(2025, 5, 1)).count() == 1
    assert Payout.objects.get(child=child, month=D(2025, 5, 1)).run_id == here.id
    assert set(Payout.objects.filter(run=there).values_list("child_id", flat=True)) == {other.id}
    assert there.payout_count == 1
    assert there.totals_by_category == table_totals(there) == {"orphan_scattered": {"count": 1, "amount": "1400.00"}}


def test_forcing_a_computation_again_keeps_the_rows_and_totals_of_the_run(standards, regions):
    """A run whose computation is forced again already has rows: ON CONFLICT straight away, and
    the totals are read back from the table (they count every row the run holds)."""
    r = regions
    a, _ea = enrolled_child(r.village, r.county)
    b, eb = enrolled_child(r.village, r.county, "orphan_institution")
    run = run_month(r.county, "2025-05")
    # b's enrollment ends before the month: the earlier computation's row for b stays.
    eb.end_month, eb.end_reason, eb.status = D(2025, 4, 1), "ineligible", "ended"
    eb.save()
    c, _ec = enrolled_child(r.village_b, r.county, "key_difficulty")
    PayoutRun.objects.filter(id=run.id).update(status="computing")
    payout_run_compute(run_id=run.id)
    run.refresh_from_db()
    assert set(Payout.objects.filter(run=run).values_list("child_id", flat=True)) == {a.id, b.id, c.id}
    assert run.payout_count == 3
    assert run.totals_by_category == table_totals(run)


def test_a_failed_insert_rolls_back_and_the_run_is_computed_again_with_on_conflict(standards, regions):
    """A plain INSERT that hits the key rolls the run's transaction back; the run is computed again
    skipping the children already paid (no savepoint in every county's run for this rare case)."""
    r = regions
    child, first = enrolled_child(r.village, r.county)
    Enrollment.objects.create(
        child=child,
        category=first.category,
        county=r.county,
        start_month=D(2024, 1, 1),
        status="ended",
        end_month=D(2025, 12, 1),
    )
    run = run_month(r.county, "2025-05")  # the same child twice in one county: one payout
    assert run.status == PayoutRun.Status.DRAFT
    assert Payout.objects.filter(child=child).count() == 1
    assert run.payout_count == 1
    assert run.attempts == 1  # the rolled-back attempt left no trace
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'benefits_payout'")
            defs = " ".join(row[0] for row in cur.fetchall())
        # The indexes the payout ledger pays for on every insert (see the model): the key
        # (child and month, bound to the columns by a CHECK constraint), nothing else: a run's rows
        # are found through it (Payout.of_run).
        assert "benefits_payout_pkey" in defs
        assert defs.count("CREATE") == 1, defs


def test_it_finds_a_run_s_rows_through_the_key_and_refuses_moving_an_enrollment(standards, regions):
    """Payout.of_run reads a run's rows from the keys of its county's enrollments: exactly the run's
    rows, ended enrollments included; the database refuses changing an enrollment's county or child."""
    r = regions
    a, ea = enrolled_child(r.village, r.county)
    b, _eb = enrolled_child(r.village, r.county, "key_difficulty")
    april = run_month(r.county, "2025-04")
    ea.end_month, ea.end_reason, ea.status = D(2025, 4, 1), "ineligible", "ended"
    ea.save()
    may = run_month(r.county, "2025-05")
    assert set(Payout.objects.filter(Payout.of_run(april)).values_list("child_id", flat=True)) == {a.id, b.id}
    assert set(Payout.objects.filter(Payout.of_run(may)).values_list("child_id", flat=True)) == {b.id}
    assert Payout.objects.filter(Payout.of_run(may)).count() == Payout.objects.filter(run=may).count()
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError), transaction.atomic():
            Enrollment.objects.filter(id=ea.id).update(county=r.other_county)
        with pytest.raises(IntegrityError), transaction.atomic():
            Enrollment.objects.filter(id=ea.id).update(child=b)
