"""Celery task of the daily check job: a thin wrapper around `checks_flag_overdue`."""

import datetime

from celery import shared_task
from django.db import OperationalError


@shared_task(name="cases.flag_overdue_checks", acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def checks_flag_overdue_task(today: str | None = None) -> dict:
    """The daily check job (Celery beat, see CELERY_BEAT_SCHEDULE). Idempotent: re-delivery or a
    second run the same day changes nothing and notifies nobody again."""
    from cases.checks.services import checks_flag_overdue

    day = datetime.date.fromisoformat(today) if today else None
    return checks_flag_overdue(today=day).as_dict()
