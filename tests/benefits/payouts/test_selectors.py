"""Reads of payout runs and payouts: a fixed number of queries whatever the number of rows."""

import datetime

import pytest
import time_machine

from benefits.enrollments.models import Enrollment
from benefits.payouts.selectors import payout_run_changes
from benefits.payouts.services import payout_run_compute, payout_run_recompute, payout_run_start
from tests.benefits.helpers import enrolled_child, queries, std
from tests.factories import ChildFactory

D = datetime.date


@pytest.fixture(autouse=True)
def july():
    with time_machine.travel(datetime.datetime(2025, 7, 2, 10, 0), tick=False):
        yield


def run_month(county, month: str, *, by):
    """Compute the county's month, again if it was computed before (a draft)."""
    run, created = payout_run_start(by=None, region=county, month=month, enqueue=False)
    if not created:
        payout_run_recompute(by=by, run=run)
    payout_run_compute(run_id=run.id)
    run.refresh_from_db()
    return run


@pytest.fixture
def standards(regions):
    std(regions.city, "orphan_scattered", 1400, on="2020-01-01")
    std(regions.city, "orphan_scattered", 1500, on="2025-06-01")  # a raise: June pays more


def changes_of_every_kind(regions, by, n: int):
    """`n` more children of each kind of change between May and June in our county: stopped,
    enrolled in June, moved in from the other county, and paid more; then May and June computed."""
    for _ in range(n):
        _child, ended = enrolled_child(regions.village, regions.county, start="2025-01-01")
        ended.end_month, ended.end_reason, ended.status = D(2025, 5, 1), "ineligible", "ended"
        ended.save()
        enrolled_child(regions.village, regions.county, start="2025-06-01")
        enrolled_child(regions.village, regions.county, start="2025-01-01")
        mover = ChildFactory(region=regions.village)
        Enrollment.objects.create(
            child=mover, category="orphan_scattered", county=regions.other_county, start_month=D(2025, 1, 1),
            end_month=D(2025, 5, 1), end_reason="moved", status="ended",
        )
        Enrollment.objects.create(child=mover, category="orphan_scattered", county=regions.county, start_month=D(2025, 6, 1))
    run_month(regions.county, "2025-05", by=by)
    return run_month(regions.county, "2025-06", by=by)


@pytest.mark.parametrize("n", [1, 4])
def test_the_change_from_last_month_reads_five_queries_whatever_the_number_of_children(
    regions, standards, county_official, n, django_assert_num_queries
):
    june = changes_of_every_kind(regions, county_official, n)
    with django_assert_num_queries(5):  # the differences; their children, enrollments, standards; the moves
        changes = payout_run_changes(run=june)
    assert changes["counts"] == {"new": 2 * n, "stopped": n, "changed": n}
    reasons = sorted(row["reason"] for kind in ("new", "stopped", "changed") for row in changes[kind])
    assert reasons == sorted(
        ["Enrolled from this month"] * n + ["Moved in from another county"] * n + ["No longer eligible"] * n
        + ["Standard changed: 1400.00 (2020-01-01) → 1500.00 (2025-06-01)"] * n
    )


def test_the_run_pages_and_apis_read_as_many_queries_for_many_payouts_as_for_one(
    regions, standards, county_official, client, api_client, django_assert_num_queries
):
    june = changes_of_every_kind(regions, county_official, 1)
    client.force_login(county_official)
    api_client.force_authenticate(county_official)
    reads = {
        "/benefits/runs/": client.get,
        f"/benefits/runs/{june.id}/": client.get,
        "/api/payout-runs/": api_client.get,
        "/api/payouts/": api_client.get,
        f"/api/payout-runs/{june.id}/changes/": api_client.get,
    }
    counts = {url: queries(lambda url=url, get=get: get(url)) for url, get in reads.items()}
    changes_of_every_kind(regions, county_official, 5)
    for url, get in reads.items():
        with django_assert_num_queries(counts[url]):
            assert get(url).status_code == 200, url
    # May paid the stopped and the continuing child of each set; June the continuing, new and moved-in one.
    assert api_client.get("/api/payouts/").json()["count"] == (2 + 3) * 6
