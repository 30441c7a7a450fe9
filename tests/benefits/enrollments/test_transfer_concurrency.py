"""Two acceptances of one transfer at the same time, on the real PostgreSQL (committed rows)."""

import threading
import time

import psycopg
import pytest
from django.db import connection, connections
from django.utils import timezone

from benefits.enrollments.models import Enrollment, Transfer
from benefits.enrollments.services import transfer_accept, transfer_request
from tests.benefits.helpers import enrolled_child, std
from tests.factories import UserFactory
from welfare.errors import ApplicationError
from welfare.months import add_months, month_start
from welfare.roles import Role

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks on PostgreSQL"),
]


def _url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _waiting_on_lock(locker, min_count: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with locker.cursor() as cur:
            cur.execute("SELECT pg_stat_clear_snapshot()")
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
                "AND pid <> pg_backend_pid()"
            )
            if cur.fetchone()[0] >= min_count:
                return
        time.sleep(0.05)
    raise AssertionError("the acceptances never reached the lock")


def test_two_acceptances_at_the_same_time_open_one_enrollment(regions, county_official):
    std(regions.city, "orphan_scattered", 1400)
    child, enrollment = enrolled_child(regions.village, regions.county)
    receiving = UserFactory(username="receiving", role=Role.COUNTY_OFFICIAL, region=regions.other_county)
    transfer = transfer_request(by=county_official, enrollment=enrollment, to_county=regions.other_county, reason="迁居")
    results: dict[str, object] = {}

    def accept(name):
        try:
            results[name] = transfer_accept(by=receiving, transfer_id=transfer.id, region=regions.other_village)
        except ApplicationError as exc:
            results[name] = exc
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            results[name] = exc
        finally:
            connections.close_all()

    # The enrollments table is held: the first acceptance stops half-way (the transfer locked, the
    # enrollment not yet ended), the second queues on the transfer: they truly overlap.
    locker = psycopg.connect(_url())
    locker.execute("LOCK TABLE benefits_enrollment IN EXCLUSIVE MODE")
    try:
        a = threading.Thread(target=accept, args=("a",))
        a.start()
        _waiting_on_lock(locker, 1)
        b = threading.Thread(target=accept, args=("b",))
        b.start()
        _waiting_on_lock(locker, 2)
    finally:
        locker.commit()
        locker.close()
    a.join(30)
    b.join(30)
    accepted = [r for r in results.values() if isinstance(r, Transfer)]
    refused = [r for r in results.values() if isinstance(r, ApplicationError)]
    assert len(accepted) == 1 and len(refused) == 1, results
    assert Enrollment.objects.filter(child=child).count() == 2
    new = Enrollment.objects.get(child=child, status="active")
    assert (new.county_id, new.start_month) == (regions.other_county.id, add_months(month_start(timezone.localdate()), 1))
    assert Transfer.objects.get(id=transfer.id).new_enrollment_id == new.id
