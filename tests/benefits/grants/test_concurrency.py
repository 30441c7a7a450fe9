"""Grant lines under two workers at once and a worker killed mid-run, on the real PostgreSQL
(the harness shared with tests/benefits/payouts/test_concurrency.py, in tests/benefits/helpers.py)."""

import datetime

import pytest
from django.db import connection

from benefits.grants.models import GrantPayout
from benefits.payouts.models import PayoutRun
from benefits.payouts.services import payout_run_compute
from tests.benefits.helpers import compute_killed_mid_run, two_computes_at_once

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real processes and row locks on PostgreSQL"),
]


@pytest.fixture
def run_with_grants(approved_grant, regions):
    return PayoutRun.objects.create(region=regions.county, month=datetime.date(2026, 10, 1))


def test_two_workers_at_the_same_time_pay_each_instalment_once(run_with_grants):
    run = run_with_grants
    results = two_computes_at_once(run)
    assert len([r for r in results if isinstance(r, PayoutRun)]) == 1
    assert GrantPayout.objects.filter(run=run).count() == 2
    run.refresh_from_db()
    assert (run.status, run.grant_count) == ("draft", 2)


def test_a_worker_killed_mid_run_leaves_no_grant_line_and_the_retry_pays_them(run_with_grants):
    run = run_with_grants
    compute_killed_mid_run(run)
    assert GrantPayout.objects.count() == 0
    assert payout_run_compute(run_id=run.id) is not None
    run.refresh_from_db()
    assert (run.status, run.grant_count, GrantPayout.objects.filter(run=run).count()) == ("draft", 2, 2)
