"""Thin Celery tasks of the kernel."""

from celery import shared_task


@shared_task(name="welfare.client_receipts_delete_expired", acks_late=True)
def client_receipts_delete_expired_task() -> int:
    from welfare.receipts import client_receipts_delete_expired

    return client_receipts_delete_expired()  # idempotent: a second run finds nothing older
