"""Three-monthly checks of left-behind children (每三个月一次摸底排查): services and selectors.

How it works (see also the README section "Checks of left-behind children"):

* A child is *tracked* while they have an open `left_behind` category membership, are alive and
  under 16. A tracked child carries `next_check_due` (stored, indexed); an untracked child has
  `next_check_due` and `check_state` null.
* `next_check_due` = the later of (last check, the day the child became left-behind or was
  registered) + CHECK_INTERVAL_MONTHS, with the day clamped to the month's last day
  (30 November + 3 months = 28/29 February).
* The state is derived from the due date and today: `overdue` once the due date has passed,
  `due_soon` from CHECK_DUE_SOON_DAYS before it, `ok` otherwise. Pages derive it at query time;
  the stored `check_state` is refreshed by `check_record` and by the daily job.
* The daily job (`checks_flag_overdue`, run by Celery beat and `manage.py flag_overdue_checks`)
  updates due dates and states set-wise (a few UPDATE statements), then notifies each village
  director once about their overdue and due-soon children and each township supervisor with a
  summary. Notifications carry a per-day dedupe key, so a second run the same day adds nothing.
"""

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
