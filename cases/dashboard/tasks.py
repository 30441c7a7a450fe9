"""Nightly refresh of the county dashboard snapshots that city and province dashboards add up.

Celery's autodiscovery imports `cases.tasks` only: cases/tasks.py imports this module."""

from celery import shared_task
from django.db import OperationalError


@shared_task(
    name="cases.dashboard_snapshots_refresh",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def dashboard_snapshots_refresh_task(on: str | None = None) -> int:
    """Every county's figures for today and the last eleven month ends (idempotent: upserts)."""
    import datetime

    from cases.dashboard.services import dashboard_snapshots_refresh

    return dashboard_snapshots_refresh(on=datetime.date.fromisoformat(on) if on else None)
