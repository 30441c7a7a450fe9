"""Celery tasks of the benefits app (found by autodiscovery), defined in the sub-packages."""

from benefits.payouts.tasks import payout_run_compute_task, payout_runs_start_month_task

__all__ = ["payout_run_compute_task", "payout_runs_start_month_task"]
