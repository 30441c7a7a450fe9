"""Celery task of protection casework: a thin wrapper around the daily job."""

import datetime

from celery import shared_task
from django.db import OperationalError


@shared_task(name="cases.casework_flag_overdue", acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def casework_flag_overdue_task(today: str | None = None) -> dict:
    """Beat, daily. Idempotent: a second run flags nothing new for the same state."""
    from cases.protection.notifications import casework_flag_overdue

    day = datetime.date.fromisoformat(today) if today else None
    return casework_flag_overdue(today=day).as_dict()
