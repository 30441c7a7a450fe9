"""Celery tasks of the roster import: thin wrappers around services."""

from celery import shared_task
from django.db import OperationalError


@shared_task(name="cases.roster_uploads_delete_expired", acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def roster_uploads_delete_expired_task() -> int:
    """Delete the roster uploads nobody imported in time (Celery beat, see CELERY_BEAT_SCHEDULE).
    Idempotent: a second run finds nothing more to delete."""
    from cases.roster.services import roster_uploads_delete_expired

    return roster_uploads_delete_expired()
