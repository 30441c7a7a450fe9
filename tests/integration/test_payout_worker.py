"""A real Celery worker process against the real Redis and PostgreSQL runs a month end to end."""

import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection

from benefits.payouts.models import Payout, PayoutRun
from tests.benefits.helpers import enrolled_child, std

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("PAYOUT_TEST_BROKER_URL", "redis://127.0.0.1:6379/5")


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def producer():
    """A Celery client of the same broker (the test process itself stays eager)."""
    app = Celery("payout-test", broker=BROKER)
    with app.connection_for_write() as conn:
        conn.default_channel.client.flushdb()  # only our own database number
    yield app
    app.close()


@pytest.fixture
def worker(producer, transactional_db):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "welfare.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": BROKER,
        "CONN_MAX_AGE": "0",
    }
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "celery", "-A", "welfare", "worker", "--pool=solo", "--loglevel=WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT,
        env=env,
    )
    yield proc
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def _wait_for(predicate, timeout: float = 45.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the worker")


def test_a_real_worker_computes_every_county_of_the_month(regions, worker, producer):
    std(regions.city, "orphan_scattered", 1400)
    std(regions.city, "orphan_institution", 1760)
    for _ in range(5):
        enrolled_child(regions.village, regions.county, "orphan_scattered")
    for _ in range(3):
        enrolled_child(regions.other_village, regions.other_county, "orphan_institution")

    # What beat sends on the 1st; sent twice, as beat sometimes does.
    producer.send_task("benefits.tasks.payout_runs_start_month_task", kwargs={"month": "2025-05"})
    producer.send_task("benefits.tasks.payout_runs_start_month_task", kwargs={"month": "2025-05"})

    def all_draft():
        runs = list(PayoutRun.objects.filter(month=datetime.date(2025, 5, 1)).values_list("region__code", "status"))
        return len(runs) == 2 and all(s == "draft" for _c, s in runs)

    _wait_for(all_draft)
    assert worker.poll() is None
    county = PayoutRun.objects.get(region=regions.county, month=datetime.date(2025, 5, 1))
    assert county.payout_count == 5 and str(county.total_amount) == "7000.00"
    other = PayoutRun.objects.get(region=regions.other_county, month=datetime.date(2025, 5, 1))
    assert other.payout_count == 3 and str(other.total_amount) == "5280.00"
    assert Payout.objects.count() == 8
    assert PayoutRun.objects.count() == 2
