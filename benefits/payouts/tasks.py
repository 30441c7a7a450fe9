"""Thin Celery tasks: they parse their arguments and call one service. The database is the
source of truth (a run is unique per county and month, a payout per child, month and category),
so a task delivered twice, or re-delivered after a worker died, does no harm. The task names are
the ones they had when they lived in benefits/tasks.py: beat entries and queued messages keep them."""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone


@shared_task(
    name="benefits.tasks.payout_run_compute_task", acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5
)
def payout_run_compute_task(*, run_id: int) -> None:
    from benefits.payouts.services import payout_run_compute

    payout_run_compute(run_id=run_id)  # idempotent: a claimed or finished run is left alone


@shared_task(
    name="benefits.tasks.payout_runs_start_month_task", acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5
)
def payout_runs_start_month_task(*, month: str | None = None) -> int:
    """Beat, on the 1st: start every county's run of the month (each is computed by its own task)."""
    from benefits.payouts.services import payout_runs_start_all

    return len(payout_runs_start_all(month=month or timezone.localdate().strftime("%Y-%m")))
