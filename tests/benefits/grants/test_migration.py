"""The migration that keys grant lines by student, school year and instalment keeps the lines
written before, under their new keys."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from benefits.grants.models import GrantPayout, grant_payout_id

BEFORE = [("benefits", "0007_grant_lines_without_triggers")]
AFTER = [("benefits", "0008_grant_lines_keyed_by_student_year_instalment")]


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_lines_written_before_get_their_keys(approved_grant, regions):
    from benefits.payouts.models import PayoutRun

    run = PayoutRun.objects.create(region=regions.county, month=datetime.date(2026, 10, 1))
    try:
        old = _migrate(BEFORE).get_model("benefits", "GrantPayout")
        for n, month in ((1, datetime.date(2026, 9, 1)), (2, datetime.date(2026, 10, 1))):
            old.objects.create(
                run_id=run.id, grant_id=approved_grant.id, child_id=approved_grant.child_id, school_year="2026-2027",
                instalment=n, month=month, amount=Decimal("833.33"),
            )
        assert sorted(old.objects.values_list("id", flat=True)) == [1, 2]  # numbered by the sequence
    finally:
        _migrate(AFTER)
    keys = sorted(GrantPayout.objects.values_list("id", "instalment"))
    assert keys == [(grant_payout_id(approved_grant.child_id, "2026-2027", n), n) for n in (1, 2)]
    # and the key now refuses the second payment of a line written before
    with pytest.raises(IntegrityError), transaction.atomic():
        GrantPayout.objects.create(
            run=run, grant=approved_grant, child=approved_grant.child, school_year="2026-2027", instalment=2,
            month=datetime.date(2026, 10, 1), amount=Decimal("1"),
        )
