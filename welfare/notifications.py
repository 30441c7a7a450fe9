"""The in-app inbox (`welfare.Notification`): a user's own notifications and marking them read.
Domain apps write the notifications (the daily check job, for one)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from welfare.models import Notification
from welfare.scoping import (
    get_in_scope_or_404,
)

NOTIFICATION_LIST_LIMIT = 20  # children named in one notification per state; the page has them all


def notification_list(*, user) -> models.QuerySet[Notification]:
    """A user's own notifications, newest first (nobody sees anyone else's)."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user).order_by("-created_on", "-id")


def notification_mark_read(*, user, notification_id) -> Notification:
    note = get_in_scope_or_404(notification_list(user=user), id=notification_id)
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    return note
