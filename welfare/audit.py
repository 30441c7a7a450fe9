"""Audit rows written by services, in the same transaction as the change they describe."""

from django.db import models

from welfare.clientip import client_ip  # noqa: F401  (the caller's address for ip_address; callers import it from here)
from welfare.models import AuditLog


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    record_count: int = 0,
    ip_address: str | None = None,
    detail: dict | None = None,
) -> AuditLog:
    """Append one audit row. `detail` must never hold identity numbers or health facts."""
    row = audit_row(actor=actor, action=action, target=target, record_count=record_count, ip_address=ip_address, detail=detail)
    row.save(force_insert=True)
    return row


def audit_record_many(*, actor, action: str, targets, detail: dict | None = None) -> list[AuditLog]:
    """Append one audit row per target, in one INSERT (a job acting on many records at once)."""
    return AuditLog.objects.bulk_create(audit_row(actor=actor, action=action, target=t, detail=detail) for t in targets)


def audit_row(*, actor, action: str, target=None, record_count: int = 0, ip_address=None, detail=None) -> AuditLog:
    """The audit row, not saved yet: for a caller that writes it with other statements in one round
    trip (welfare.batch). `detail` must never hold identity numbers or health facts."""
    return AuditLog(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        record_count=record_count,
        ip_address=ip_address,
        detail=detail or {},
    )
