"""The in-app inbox (`welfare.Notification`): a user's own notifications and marking them read.
Domain apps write the notifications (the daily check job, for one); the set-wise daily jobs
(casework, inspection findings) write theirs with one INSERT … SELECT (notifications_insert)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import TypeVar

from django.conf import settings
from django.db import connection, models
from django.utils import timezone, translation

from welfare.models import Notification
from welfare.scoping import (
    get_in_scope_or_404,
)

T = TypeVar("T")

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


def in_each_language(text: Callable[[], T]) -> dict[str, T]:
    """`text()` (built of translated strings) in each language of settings.LANGUAGES, by code."""
    out = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            out[code] = text()
    return out


def notifications_insert(
    *,
    items: models.QuerySet,
    recipients: Sequence[tuple[str, list]],
    kind: str,
    titles: dict[str, str],
    key_prefix: str,
    now: datetime.datetime,
    body: str = "i.n_body",
) -> int:
    """One INSERT … SELECT of notifications, whatever their number: for each row of `items` (a
    values() queryset with n_key, n_body, n_link and the columns `recipients` join on) and each of
    its recipients, the title in the recipient's language (`titles`, by language code), keyed
    `<key_prefix><n_key>:u<user>`: a key already there is skipped (ON CONFLICT DO NOTHING), so a
    job run again adds nothing. `recipients`: SQL from the item `i` to the user `u` (`JOIN
    welfare_user u ON … WHERE …`, `%%` for a literal %) with its parameters, one per kind of
    recipient; a user reached twice for an item is told once. `body`: the item's text as stored (an expression over `i`). Answers the
    number of notifications added."""
    items_sql, items_params = items.query.sql_with_params()
    default = titles[settings.LANGUAGE_CODE]
    languages = [code for code in titles if code != settings.LANGUAGE_CODE]
    title = "CASE " + " ".join("WHEN r.language = %s THEN %s" for _code in languages) + " ELSE %s END" if languages else "%s"
    title_params = [v for code in languages for v in (code, titles[code])] + [default]
    pick = f"SELECT i.n_key, {body} AS n_body, i.n_link, u.id AS user_id, u.language FROM items i "  # noqa: S608 - as below
    union = " UNION ".join(f"{pick}{join}" for join, _params in recipients)
    sql = (
        f"INSERT INTO {Notification._meta.db_table} (recipient_id, kind, title, body, link, created_on, dedupe_key) "  # noqa: S608 - the ORM's SQL, table names and %s placeholders only
        f"WITH items AS ({items_sql}) SELECT r.user_id, %s, {title}, r.n_body, r.n_link, %s, %s || r.n_key || %s || r.user_id FROM ("
        f"{union}) r WHERE 1 = 1 ON CONFLICT DO NOTHING"  # WHERE: SQLite's upsert after a SELECT needs one
    )
    params = [*items_params, kind, *title_params, now, key_prefix, ":u", *(p for _join, ps in recipients for p in ps)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)
