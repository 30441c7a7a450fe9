"""Small builders shared by the benefits tests."""

import datetime
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from benefits.enrollments.models import Enrollment
from benefits.payouts.models import PayoutRun
from benefits.payouts.services import payout_run_compute
from benefits.standards.models import WelfareStandard
from tests.concurrency import at_the_same_moment, killed_mid_run
from tests.factories import ChildFactory

# Where a payout run's computation is held half-way in the concurrency tests: its payouts and grant
# lines are inserted (not committed) before it writes the adjustments.
RUN_HALF_WAY = "benefits_adjustment"


def std(region, category, amount=None, *, on="2020-01-01", refers_to=None, minimum=False, document="") -> WelfareStandard:
    return WelfareStandard.objects.create(
        region=region,
        category=category,
        monthly_amount=Decimal(str(amount)) if amount is not None else None,
        refers_to=refers_to,
        effective_from=datetime.date.fromisoformat(on),
        is_minimum=minimum,
        document=document,
    )


def enrolled_child(region, county, category="orphan_scattered", *, start="2024-01-01", birth=datetime.date(2015, 3, 14), **child_kw):
    child = ChildFactory(region=region, birth_date=birth, **child_kw)
    enrollment = Enrollment.objects.create(
        child=child, category=category, county=county, start_month=datetime.date.fromisoformat(start),
        bank_account_holder="张三", bank_account="6222020000001234",
    )
    return child, enrollment


def queries(fn) -> int:
    """How many queries `fn()` runs (to compare a read of one row with a read of many)."""
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def two_computes_at_once(run: PayoutRun) -> list[object]:
    """Two workers compute `run` at the same moment (the second queues on the claim while the first
    is half-way): what each answered, or the exception it raised."""
    results = at_the_same_moment(
        {worker: lambda: payout_run_compute(run_id=run.id) for worker in ("a", "b")}, hold=RUN_HALF_WAY
    )
    return list(results.values())


def compute_killed_mid_run(run: PayoutRun) -> None:
    """A worker process computing `run`, killed half-way (its rows inserted, not committed)."""
    killed_mid_run(
        f"from benefits.payouts.services import payout_run_compute; payout_run_compute(run_id={run.id})",
        hold=RUN_HALF_WAY,
    )
