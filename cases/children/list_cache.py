"""A response cache for the child list API that can never serve a stale page.

A page (and the count of a list) is stored with the *data versions* of the caller's scope: one
token per region (and one for the whole country), replaced whenever a child, guardian or category
membership beneath that region changes, plus one epoch token replaced by any set-wise write (a
queryset update, a bulk insert, an import, the daily checks job). An entry whose tokens are no
longer current is never served (it is recomputed, or expires after CHILD_LIST_CACHE_SECONDS).

Each entry is stored with the tokens read before its data was; it is served only while they are
still the current tokens (read in the same round trip as the entry). Correctness rests on two
orders:
- the tokens are replaced *after* the write commits (transaction.on_commit), and
- a request reads the tokens *before* it reads the data.
So a page computed from data older than a committed change always carries a token that change has
already replaced.

Writes are caught in one place each: model saves and deletes by signals (cases.apps), set-wise
writes by the models' queryset (cases.children.models.ListedQuerySet). Code that writes these tables with
raw SQL must call `children_changed()` itself.

If the cache is unreachable, lists are answered without it and writes succeed (logged); pages
that a write could not retire then expire within CHILD_LIST_CACHE_SECONDS.

The cache must be shared by every process (Redis in production, CACHE_URL); with Django's
per-process local-memory cache a token replaced in one gunicorn worker would not be seen by the
others, so the list cache is off unless the cache backend is shared (or a single process runs, as
in the embedded `manage.py demo`).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)


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
    try:
        cache.set_many(dict.fromkeys(keys, token), timeout=None)
    except Exception:  # the cache (Redis) unreachable: the write itself must still succeed
        logger.exception("child list cache: could not retire pages; they expire within CHILD_LIST_CACHE_SECONDS")


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


def _scope_key(scope_path: str) -> str:
    return PREFIX + scope_path.strip("/").rsplit("/", 1)[-1] if scope_path else ROOT


def entry_key(kind: str, *, scope_path: str, parts: list[str]) -> str:
    """The cache key of an entry (a page, a count): scope and what was asked, not versions."""
    raw = "\x1f".join([scope_path, *parts])
    return f"children:{kind}:" + hashlib.sha256(raw.encode()).hexdigest()


def read(key: str, *, scope_path: str):
    """One round trip: the entry and the current tokens. Returns (value or None, tokens); the
    tokens are read before any data, and are what a fresh entry must be stored with. With the
    cache unreachable: (None, None), and the caller computes without caching."""
    scope_key = _scope_key(scope_path)
    try:
        found = cache.get_many([key, EPOCH, scope_key])
        missing = [k for k in (EPOCH, scope_key) if k not in found]
        if missing:
            for k in missing:
                cache.add(k, uuid.uuid4().hex, timeout=None)
            found.update(cache.get_many(missing))
    except Exception:
        logger.warning("child list cache unreachable: answering without it", exc_info=True)
        return None, None
    tokens = (found.get(EPOCH, ""), found.get(scope_key, ""))
    entry = found.get(key)
    if entry is not None and entry[0] == tokens:
        return entry[1], tokens
    return None, tokens


def write(key: str, value, *, tokens: tuple[str, str] | None) -> None:
    """Store a value computed after `tokens` were read (nothing when they could not be read)."""
    if tokens is None:
        return
    try:
        cache.set(key, (tokens, value), timeout=settings.CHILD_LIST_CACHE_SECONDS)
    except Exception:
        logger.warning("child list cache unreachable: page not stored", exc_info=True)
