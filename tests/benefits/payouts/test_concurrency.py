"""Two workers at once, and a worker killed mid-run, on the real PostgreSQL (committed rows)."""

import datetime
import threading

import psycopg
import pytest
from django.db import connection, connections

from benefits.payouts.models import Payout, PayoutRun
from benefits.payouts.services import payout_run_compute
from tests.benefits.helpers import compute_killed_mid_run, enrolled_child, std, two_computes_at_once
from tests.concurrency import database_url, waiting_on_lock

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real processes and row locks on PostgreSQL"),
]


@pytest.fixture
def month_to_run(regions):
    std(regions.city, "orphan_scattered", 1400)
    for _ in range(25):
        enrolled_child(regions.village, regions.county)
    return PayoutRun.objects.create(region=regions.county, month=datetime.date(2025, 5, 1))


def test_two_workers_at_the_same_time_produce_exactly_one_set_of_payouts(month_to_run):
    run = month_to_run
    # The first worker stops half-way and the second queues on the claim: the runs truly overlap.
    results = two_computes_at_once(run)
    done = [r for r in results if isinstance(r, PayoutRun)]
    assert len(done) == 1 and [r for r in results if r is None] == [None]
    assert Payout.objects.filter(run=run).count() == 25
    run.refresh_from_db()
    assert run.status == "draft" and run.payout_count == 25 and run.attempts == 1


def test_a_worker_killed_mid_run_leaves_nothing_and_the_next_attempt_completes(month_to_run):
    run = month_to_run
    # The worker has inserted its payouts inside its transaction: it is killed there.
    compute_killed_mid_run(run)
    assert Payout.objects.count() == 0
    run.refresh_from_db()
    assert run.status == "computing" and run.payout_count == 0
    # The re-delivered task completes the run.
    assert payout_run_compute(run_id=run.id) is not None
    run.refresh_from_db()
    assert run.status == "draft" and Payout.objects.filter(run=run).count() == 25


def test_two_starts_of_a_month_at_the_same_time_make_one_run_per_county(regions):
    """The beat firing twice, the second while the first has not committed: the second's set-wise
    insert waits on the unique (county, month) index, fails when the first commits, and falls back
    to one county at a time, answering the first's runs."""
    from benefits.payouts.services import payout_runs_start_all

    std(regions.city, "orphan_scattered", 1400)
    enrolled_child(regions.village, regions.county)
    enrolled_child(regions.other_village, regions.other_county)
    created, go, results = threading.Event(), threading.Event(), {}

    def first():
        try:
            from django.db import transaction

            with transaction.atomic():
                results["first"] = PayoutRun.objects.create(region=regions.county, month=datetime.date(2025, 5, 1)).pk
                created.set()
                go.wait(20)
        finally:
            connections.close_all()

    def second():
        try:
            results["second"] = [run.pk for run in payout_runs_start_all(month="2025-05", enqueue=False)]
        finally:
            connections.close_all()

    a = threading.Thread(target=first)
    a.start()
    assert created.wait(20)
    b = threading.Thread(target=second)
    b.start()
    watcher = psycopg.connect(database_url())
    try:
        waiting_on_lock(watcher, 1)
    finally:
        watcher.close()
        go.set()
    a.join(20)
    b.join(20)
    runs = PayoutRun.objects.order_by("region__code")
    assert [(r.region_id, r.month) for r in runs] == [
        (regions.county.id, datetime.date(2025, 5, 1)),
        (regions.other_county.id, datetime.date(2025, 5, 1)),
    ]
    assert results["second"] == [r.pk for r in runs] and results["first"] == runs[0].pk
