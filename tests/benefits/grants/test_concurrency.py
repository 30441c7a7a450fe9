"""Grant lines under two workers at once and a worker killed mid-run, on the real PostgreSQL
(modelled on tests/benefits/payouts/test_concurrency.py)."""

import datetime
import os
import signal
import subprocess
import sys
import threading

import pytest
from django.db import connection, connections

from benefits.grants.models import GrantPayout
from benefits.payouts.models import PayoutRun
from benefits.payouts.services import payout_run_compute
from tests.benefits.payouts.test_concurrency import ROOT, _locker, _url, _waiting_on_lock

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real processes and row locks on PostgreSQL"),
]


@pytest.fixture
def run_with_grants(approved_grant, regions):
    return PayoutRun.objects.create(region=regions.county, month=datetime.date(2026, 10, 1))


def test_two_workers_at_the_same_time_pay_each_instalment_once(run_with_grants):
    run = run_with_grants
    results: dict[str, object] = {}

    def worker(name):
        try:
            results[name] = payout_run_compute(run_id=run.id)
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            results[name] = exc
        finally:
            connections.close_all()

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
    assert len([r for r in results.values() if isinstance(r, PayoutRun)]) == 1
    assert GrantPayout.objects.filter(run=run).count() == 2
    run.refresh_from_db()
    assert (run.status, run.grant_count) == ("draft", 2)


def test_a_worker_killed_mid_run_leaves_no_grant_line_and_the_retry_pays_them(run_with_grants):
    run = run_with_grants
    env = {**os.environ, "DATABASE_URL": _url(), "DJANGO_SETTINGS_MODULE": "welfare.settings.test"}
    code = (
        "import django; django.setup(); from benefits.payouts.services import payout_run_compute; "
        f"payout_run_compute(run_id={run.id})"
    )
    locker = _locker()
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)  # noqa: S603
    try:
        [pid] = _waiting_on_lock(locker, 1, timeout=40)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        locker.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        if proc.poll() is None:
            proc.kill()
        locker.commit()
        locker.close()
    assert GrantPayout.objects.count() == 0
    assert payout_run_compute(run_id=run.id) is not None
    run.refresh_from_db()
    assert (run.status, run.grant_count, GrantPayout.objects.filter(run=run).count()) == ("draft", 2, 2)
