"""A response cache for the child list API that can never serve a stale page.

A page is stored under the *data versions* of the caller's scope: one token per region (and one
for the whole country), replaced whenever a child, guardian or category membership beneath that
region changes, plus one epoch token replaced by any set-wise write (a queryset update, a bulk
insert, an import, the daily checks job). A changed token means a new key, so a page written
before a change is simply never read again (it expires on its own after CHILD_LIST_CACHE_SECONDS).

Correctness rests on two orders:
- the tokens are replaced *after* the write commits (transaction.on_commit), and
- a request reads the tokens *before* it reads the data.
So a page computed from data older than a committed change is always filed under a token that
change has already replaced.

Writes are caught in one place each: model saves and deletes by signals (cases.apps), set-wise
writes by the models' queryset (cases.models.ListedQuerySet). Code that writes these tables with
raw SQL must call `children_changed()` itself.

The cache must be shared by every process (Redis in production, CACHE_URL); with Django's
per-process local-memory cache a token replaced in one gunicorn worker would not be seen by the
others, so the list cache is off unless the cache backend is shared (or a single process runs, as
in the embedded `manage.py demo`).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

EPOCH = "children:epoch"
ROOT = "children:v:*"  # the whole country: every write replaces it
PREFIX = "children:v:"


def enabled() -> bool:
    return getattr(settings, "CHILD_LIST_CACHE_SECONDS", 0) > 0


def _region_keys(paths: Iterable[str]) -> set[str]:
    keys = {ROOT}
    for path in paths:
        for code in path.strip("/").split("/"):
            if code:
                keys.add(PREFIX + code)
    return keys


def _replace(keys: set[str]) -> None:
    token = uuid.uuid4().hex
    cache.set_many(dict.fromkeys(keys, token), timeout=None)


def children_changed(paths: Iterable[str] | None = None) -> None:
    """Call after writing children, guardians or memberships: the region paths written under
    (their ancestors are replaced too), or None when unknown (a set-wise write: the epoch).

    The tokens are replaced at once and again when the surrounding transaction commits: the
    second replacement is the one correctness needs (a page computed between the write and the
    commit shows the old data and is filed under the first, now dead, token); the first one
    makes a write visible to reads in the same transaction. Runs even while the list cache is
    off, so that turning it on never finds tokens older than the data."""
    keys = {EPOCH} if paths is None else _region_keys(paths)
    _replace(keys)
    transaction.on_commit(lambda: _replace(keys))


def scope_versions(scope_path: str) -> tuple[str, str]:
    """The epoch and the scope's token, read before the data (missing ones are created)."""
    scope_key = PREFIX + scope_path.strip("/").rsplit("/", 1)[-1] if scope_path else ROOT
    found = cache.get_many([EPOCH, scope_key])
    missing = [key for key in (EPOCH, scope_key) if key not in found]
    if missing:
        for key in missing:
            cache.add(key, uuid.uuid4().hex, timeout=None)
        found = cache.get_many([EPOCH, scope_key])
    return found.get(EPOCH, ""), found.get(scope_key, "")


def page_key(*, scope_path: str, query: list[tuple[str, str]], on: str, media_type: str) -> str:
    """The cache key of one page: scope, data versions, date (categories in force today),
    the query string (sorted) and the media type."""
    epoch, version = scope_versions(scope_path)
    raw = "\x1f".join([scope_path, epoch, version, on, media_type, *(f"{k}={v}" for k, v in sorted(query))])
    return "children:page:" + hashlib.sha256(raw.encode()).hexdigest()


def get(key: str) -> bytes | None:
    return cache.get(key)


def put(key: str, content: bytes) -> None:
    cache.set(key, content, timeout=settings.CHILD_LIST_CACHE_SECONDS)
