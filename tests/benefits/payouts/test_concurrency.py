"""Two workers at once, and a worker killed mid-run, on the real PostgreSQL (committed rows)."""

import datetime
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection, connections

from benefits.payouts.models import Payout, PayoutRun
from benefits.payouts.services import payout_run_compute
from tests.benefits.helpers import enrolled_child, std

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real processes and row locks on PostgreSQL"),
]
ROOT = Path(__file__).resolve().parents[3]


def _locker():
    """A separate connection that holds the adjustments table: the run stops half-way there
    (payouts inserted, not committed)."""
    conn = psycopg.connect(_url())
    conn.execute("LOCK TABLE benefits_adjustment IN EXCLUSIVE MODE")
    return conn


def _waiting_on_lock(locker, min_count: int, timeout: float = 20.0) -> list[int]:
    """Backends of this database waiting on a lock (bounded poll)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with locker.cursor() as cur:
            cur.execute("SELECT pg_stat_clear_snapshot()")  # the view is a snapshot per transaction
            cur.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
                "AND pid <> pg_backend_pid()"
            )
            pids = [r[0] for r in cur.fetchall()]
        if len(pids) >= min_count:
            return pids
        time.sleep(0.05)
    raise AssertionError("the workers never reached the lock")


@pytest.fixture
def month_to_run(regions):
    std(regions.city, "orphan_scattered", 1400)
    for _ in range(25):
        enrolled_child(regions.village, regions.county)
    return PayoutRun.objects.create(region=regions.county, month=datetime.date(2025, 5, 1))


def test_two_workers_at_the_same_time_produce_exactly_one_set_of_payouts(month_to_run):
    run = month_to_run
    results: dict[str, object] = {}

    def worker(name):
        try:
            results[name] = payout_run_compute(run_id=run.id)
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            results[name] = exc
        finally:
            connections.close_all()

    # The first worker stops half-way and the second queues on the claim: the runs truly overlap.
    locker = _locker()
    try:
        a = threading.Thread(target=worker, args=("a",))
        a.start()
        _waiting_on_lock(locker, 1)
        b = threading.Thread(target=worker, args=("b",))
        b.start()
        _waiting_on_lock(locker, 2)
    finally:
        locker.commit()
        locker.close()
    a.join(30)
    b.join(30)
    done = [r for r in results.values() if isinstance(r, PayoutRun)]
    assert len(done) == 1 and [r for r in results.values() if r is None] == [None]
    assert Payout.objects.filter(run=run).count() == 25
    run.refresh_from_db()
    assert run.status == "draft" and run.payout_count == 25 and run.attempts == 1


def test_a_worker_killed_mid_run_leaves_nothing_and_the_next_attempt_completes(month_to_run):
    run = month_to_run
    env = {**os.environ, "DATABASE_URL": _url(), "DJANGO_SETTINGS_MODULE": "welfare.settings.test"}
    code = (
        "import django; django.setup(); from benefits.payouts.services import payout_run_compute; "
        f"payout_run_compute(run_id={run.id})"
    )
    locker = _locker()
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)  # noqa: S603
    try:
        [pid] = _waiting_on_lock(locker, 1, timeout=40)
        # The worker has inserted its payouts inside its transaction: kill it there (and its
        # database session, as when the machine goes away).
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        locker.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        if proc.poll() is None:
            proc.kill()
        locker.commit()
        locker.close()
    assert Payout.objects.count() == 0
    run.refresh_from_db()
    assert run.status == "computing" and run.payout_count == 0
    # The re-delivered task completes the run.
    assert payout_run_compute(run_id=run.id) is not None
    run.refresh_from_db()
    assert run.status == "draft" and Payout.objects.filter(run=run).count() == 25


def _url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


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
    locker = psycopg.connect(_url())
    try:
        _waiting_on_lock(locker, 1)
    finally:
        locker.close()
        go.set()
    a.join(20)
    b.join(20)
    runs = PayoutRun.objects.order_by("region__code")
    assert [(r.region_id, r.month) for r in runs] == [
        (regions.county.id, datetime.date(2025, 5, 1)),
        (regions.other_county.id, datetime.date(2025, 5, 1)),
    ]
    assert results["second"] == [r.pk for r in runs] and results["first"] == runs[0].pk
