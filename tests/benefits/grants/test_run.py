"""Grant instalments as lines of the county's monthly payout run: apart from allowances, never twice."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from benefits.grants.models import GrantPayout, grant_payout_id
from benefits.grants.schedule import instalment_schedule
from benefits.grants.services import grant_end
from benefits.payouts.models import Payout, PayoutRun
from benefits.payouts.services import payout_run_compute, payout_run_recompute
from tests.benefits.helpers import enrolled_child, std


def _run(regions, month):
    run = PayoutRun.objects.create(region=regions.county, month=month)
    payout_run_compute(run_id=run.id)
    run.refresh_from_db()
    return run


def test_the_run_pays_the_instalments_due_apart_from_allowances(approved_grant, regions):
    std(regions.city, "orphan_scattered", 1400)
    enrolled_child(regions.village, regions.county)
    run = _run(regions, datetime.date(2026, 10, 1))
    lines = list(GrantPayout.objects.filter(run=run).order_by("instalment").values_list("instalment", "month", "amount"))
    assert lines == [(1, datetime.date(2026, 9, 1), Decimal("833.33")), (2, datetime.date(2026, 10, 1), Decimal("833.33"))]
    assert (run.grant_count, run.grant_total) == (2, Decimal("1666.66"))
    # allowances unchanged: their totals and total_amount hold the allowance alone
    assert run.payout_count == 1 and run.totals_by_category == {"orphan_scattered": {"count": 1, "amount": "1400.00"}}
    assert run.total_amount == Decimal("1400.00")


def test_running_twice_and_recomputing_pays_nothing_twice(approved_grant, regions, county_official):
    run = _run(regions, datetime.date(2026, 10, 1))
    assert payout_run_compute(run_id=run.id) is None  # re-delivery: nothing to do
    payout_run_recompute(by=county_official, run=run)
    payout_run_compute(run_id=run.id)
    run.refresh_from_db()
    assert (run.grant_count, GrantPayout.objects.count()) == (2, 2)
    # next month's run pays only November's instalment
    november = _run(regions, datetime.date(2026, 11, 1))
    assert list(GrantPayout.objects.filter(run=november).values_list("instalment", flat=True)) == [3]
    assert GrantPayout.objects.count() == 3


def test_a_run_forced_back_to_computing_writes_and_counts_its_grant_lines_afresh(approved_grant, regions):
    # Bug found while making the run faster: without its DELETE, a computed run forced back to
    # `computing` (the admin, the benchmark's re-run) found its own lines already there and
    # counted no grant instalments.
    run = _run(regions, datetime.date(2026, 10, 1))
    PayoutRun.objects.filter(id=run.id).update(status=PayoutRun.Status.COMPUTING)
    payout_run_compute(run_id=run.id)
    run.refresh_from_db()
    assert (run.status, run.grant_count, run.grant_total) == (PayoutRun.Status.DRAFT, 2, Decimal("1666.66"))
    assert GrantPayout.objects.filter(run=run).count() == 2


def test_an_ended_grant_is_paid_up_to_its_end_month(approved_grant, regions, county_official):
    grant_end(by=county_official, grant_id=approved_grant.id, reason="退学", end_month="2026-09")
    run = _run(regions, datetime.date(2026, 10, 1))
    assert list(GrantPayout.objects.filter(run=run).values_list("month", flat=True)) == [datetime.date(2026, 9, 1)]


def test_the_database_refuses_a_second_payment_and_a_month_outside_the_school_year(approved_grant, regions):
    run = _run(regions, datetime.date(2026, 10, 1))
    line = GrantPayout.objects.filter(run=run).first()
    values = dict(run=run, grant=approved_grant, child=approved_grant.child, school_year="2026-2027", amount=Decimal("1"), standard=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        GrantPayout.objects.create(**values, instalment=line.instalment, month=line.month)
    with pytest.raises(IntegrityError), transaction.atomic():
        GrantPayout.objects.create(**values, instalment=12, month=datetime.date(2027, 9, 1))
    assert GrantPayout.objects.count() == 2


def test_a_line_is_keyed_by_its_student_school_year_and_instalment(approved_grant, regions):
    run = _run(regions, datetime.date(2026, 10, 1))
    keys = list(GrantPayout.objects.filter(run=run).order_by("instalment").values_list("id", flat=True))
    assert keys == [grant_payout_id(approved_grant.child_id, "2026-2027", n) for n in (1, 2)]
    # the grant's lines are found through those keys (no index on `grant`)
    assert [p.instalment for p in GrantPayout.objects.filter(GrantPayout.of_grant(approved_grant)).order_by("instalment")] == [1, 2]


def test_the_database_refuses_a_line_under_another_key(approved_grant, regions):
    """Whoever writes: a line whose key is not its student, school year and instalment (which
    would let the same instalment be paid twice under two keys) is refused by the CHECK."""
    run = _run(regions, datetime.date(2026, 10, 1))
    values = dict(run=run, grant=approved_grant, child=approved_grant.child, school_year="2026-2027", amount=Decimal("1"), standard=None)
    for wrong in (grant_payout_id(approved_grant.child_id, "2026-2027", 4), 12345):
        with pytest.raises(IntegrityError), transaction.atomic():
            GrantPayout.objects.create(id=wrong, **values, instalment=3, month=datetime.date(2026, 11, 1))
    assert GrantPayout.objects.count() == 2


def test_a_line_key_refuses_what_it_cannot_hold():
    for child_id, school_year, instalment in ((0, "2026-2027", 1), (1 << 34, "2026-2027", 1), (5, "1999-2000", 1), (5, "2026-2027", 13)):
        with pytest.raises(ValueError):
            grant_payout_id(child_id, school_year, instalment)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the run's SQL")
def test_the_runs_sql_pays_exactly_the_schedule_over_a_school_year(approved_grant, regions):
    month = datetime.date(2026, 9, 1)
    while month <= datetime.date(2027, 8, 1):
        with __import__("time_machine").travel(datetime.datetime(month.year, month.month, 20, tzinfo=datetime.UTC), tick=False):
            _run(regions, month)
        month = datetime.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    paid = list(GrantPayout.objects.order_by("instalment").values_list("instalment", "month", "amount"))
    assert paid == instalment_schedule(school_year="2026-2027", annual_amount=Decimal("10000.00"), instalments=12)
    assert sum(p[2] for p in paid) == Decimal("10000.00")


def test_a_county_paying_only_grants_gets_its_run(approved_grant, regions):
    from benefits.payouts.services import payout_runs_start_all

    runs = payout_runs_start_all(month="2026-10", enqueue=False)
    assert [r.region_id for r in runs] == [regions.county.id]
    assert Payout.objects.count() == 0
