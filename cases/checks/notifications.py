"""What the daily check job tells people: one in-app notification a day per village director (their
overdue and due-soon children) and per township supervisor (a summary by village), deduplicated
by a per-day key, then e-mailed to those with an address, each row claimed once."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases.checks.dates import check_due_soon_days
from cases.checks.selectors import _VillageFlags, check_village_flags
from cases.children.models import Child
from welfare.audit import audit_record
from welfare.models import Notification, Region, User
from welfare.notifications import NOTIFICATION_LIST_LIMIT
from welfare.roles import Role

logger = logging.getLogger(__name__)


NOTIFICATION_KIND_DIRECTOR = "checks.director"


NOTIFICATION_KIND_SUPERVISOR = "checks.supervisor"


@dataclass
class FlagResult:
    today: datetime.date
    aged_out: int = 0
    untracked: int = 0
    newly_tracked: int = 0
    changed: int = 0
    overdue: int = 0
    due_soon: int = 0
    director_notifications: int = 0
    supervisor_notifications: int = 0
    emails: int = 0

    def as_dict(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, datetime.date) else v) for k, v in self.__dict__.items()}


def _worklist_link() -> str:
    return reverse("cases:checks_mine")


def _overdue_link(village: Region | None = None) -> str:
    url = reverse("cases:checks_overdue")
    return f"{url}?village={village.code}" if village is not None else url


@transaction.atomic
def check_notifications_create(*, today: datetime.date, result: FlagResult | None = None) -> FlagResult:
    """One notification per village director (their overdue and due-soon children) and one per
    township supervisor (a summary by village). Keys `checks:<date>:<kind>:<user>` make a second
    run the same day a no-op (ON CONFLICT DO NOTHING)."""
    result = result or FlagResult(today=today)
    soon = today + datetime.timedelta(days=check_due_soon_days())
    villages = {v.village_id: v for v in check_village_flags(today=today)}
    result.overdue = sum(v.overdue for v in villages.values())
    result.due_soon = sum(v.due_soon for v in villages.values())
    if not villages:
        return result
    flagged_villages = Child.objects.filter(next_check_due__lte=soon).values("region_id")

    now = timezone.now()
    stamp = today.isoformat()
    prefix = f"checks:{stamp}:"
    # Users told already today (a second run): skipped before any text is built.
    done = set(Notification.objects.filter(dedupe_key__startswith=prefix).values_list("recipient_id", flat=True))
    before = len(done)
    formats = _Formats()
    batch: list[Notification] = []

    def flush() -> None:
        Notification.objects.bulk_create(batch, batch_size=2000, ignore_conflicts=True)
        batch.clear()

    link = _worklist_link()
    directors = (
        User.objects.filter(role=Role.VILLAGE_DIRECTOR, is_active=True, region_id__in=flagged_villages)
        .order_by("id")
        .values_list("id", "region_id", "language")
    )
    for user_id, region_id, language in directors.iterator(chunk_size=2000):
        if user_id in done:
            continue
        title, body = _director_message(formats[language or settings.LANGUAGE_CODE], villages[region_id])
        batch.append(
            Notification(
                recipient_id=user_id, kind=NOTIFICATION_KIND_DIRECTOR, title=title, body=body, link=link, created_on=now,
                dedupe_key=f"{prefix}director:{user_id}",
            )
        )
        if len(batch) >= 2000:
            flush()

    by_township: dict[int, list[_VillageFlags]] = {}
    for village in villages.values():
        if village.township_id:
            by_township.setdefault(village.township_id, []).append(village)
    overview = _overdue_link()
    supervisors = (
        User.objects.filter(
            role=Role.TOWNSHIP_SUPERVISOR, is_active=True,
            region_id__in=Region.objects.filter(id__in=flagged_villages).values("parent_id"),
        )
        .order_by("id")
        .values_list("id", "region_id", "region__name", "language")
    )
    for user_id, region_id, township_name, language in supervisors:
        if user_id in done:
            continue
        title, body = _supervisor_message(formats[language or settings.LANGUAGE_CODE], township_name, by_township[region_id])
        batch.append(
            Notification(
                recipient_id=user_id, kind=NOTIFICATION_KIND_SUPERVISOR, title=title, body=body, link=overview, created_on=now,
                dedupe_key=f"{prefix}supervisor:{user_id}",
            )
        )
    flush()

    todays = Notification.objects.filter(dedupe_key__startswith=prefix)
    result.director_notifications = todays.filter(kind=NOTIFICATION_KIND_DIRECTOR).count()
    result.supervisor_notifications = todays.filter(kind=NOTIFICATION_KIND_SUPERVISOR).count()
    new = result.director_notifications + result.supervisor_notifications - before
    if new:
        audit_record(actor=None, action="check.notifications_sent", record_count=new, detail={"date": stamp})
    return result


def _message_formats() -> dict[str, str]:
    """The notification texts in the active language, translated once per language and run
    (not once per child: gettext costs add up over hundreds of thousands of names)."""
    return {
        "director_title": _("Checks in %(village)s: %(overdue)d overdue, %(soon)d due soon"),
        "overdue": _("Overdue (name · was due):"),
        "soon": _("Due soon (name · due):"),
        "more": _("… and %(n)d more"),
        "supervisor_title": _("Checks in %(township)s: %(overdue)d overdue, %(soon)d due soon"),
        "supervisor_item": _("%(village)s: %(overdue)d overdue, %(soon)d due soon"),
    }


class _Formats(dict):
    """language code → message formats, filled on first use."""

    def __missing__(self, language: str) -> dict[str, str]:
        with translation.override(language):
            self[language] = _message_formats()
        return self[language]


def _director_message(f: dict[str, str], v: _VillageFlags) -> tuple[str, str]:
    title = f["director_title"] % {"village": v.name, "overdue": v.overdue, "soon": v.due_soon}
    parts = []
    for count, lines, heading in ((v.overdue, v.overdue_lines, f["overdue"]), (v.due_soon, v.soon_lines, f["soon"])):
        if count:
            parts += [heading, lines]
            if count > NOTIFICATION_LIST_LIMIT:
                parts.append(f["more"] % {"n": count - NOTIFICATION_LIST_LIMIT})
    return title, "\n".join(parts)


def _supervisor_message(f: dict[str, str], township_name: str, villages: list[_VillageFlags]) -> tuple[str, str]:
    overdue = sum(v.overdue for v in villages)
    soon = sum(v.due_soon for v in villages)
    title = f["supervisor_title"] % {"township": township_name, "overdue": overdue, "soon": soon}
    item = f["supervisor_item"]
    ordered = sorted(villages, key=lambda v: (-v.overdue, -v.due_soon, v.code))
    return title, "\n".join(item % {"village": v.name, "overdue": v.overdue, "soon": v.due_soon} for v in ordered)


def check_notification_emails_send(*, today: datetime.date) -> int:
    """E-mail the day's check notifications to recipients with an address, once each: a row is
    claimed by a conditional UPDATE before sending, released again if sending fails."""
    if not getattr(settings, "EMAIL_ENABLED", False):
        return 0
    sent = 0
    pending = (
        Notification.objects.filter(dedupe_key__startswith=f"checks:{today.isoformat()}:", emailed_at__isnull=True)
        .exclude(recipient__email="")
        .select_related("recipient")
        .order_by("id")
    )
    with mail.get_connection() as connection:
        for note in pending.iterator(chunk_size=500):
            if not Notification.objects.filter(id=note.id, emailed_at__isnull=True).update(emailed_at=timezone.now()):
                continue  # another worker has it
            try:
                mail.EmailMessage(
                    subject=note.title, body=note.body, to=[note.recipient.email], connection=connection
                ).send()
                sent += 1
            except Exception:  # noqa: BLE001 - the in-app notification stays; retry on the next run
                logger.exception("check notification e-mail %s failed", note.id)
                Notification.objects.filter(id=note.id).update(emailed_at=None)
    return sent
