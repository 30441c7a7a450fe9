"""Celery task of inspections: a thin wrapper around the daily job."""

import datetime

from celery import shared_task
from django.db import OperationalError


@shared_task(
    name="institutions.findings_flag_past_deadline",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def findings_flag_past_deadline_task(today: str | None = None) -> dict:
    """Beat, daily. Idempotent: a second run tells nobody anything new about the same finding."""
    from institutions.inspections.notifications import findings_flag_past_deadline

    day = datetime.date.fromisoformat(today) if today else None
    return findings_flag_past_deadline(today=day).as_dict()
