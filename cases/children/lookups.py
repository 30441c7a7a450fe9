"""Lookups of a child by a full identity number: limited per user, logged when they reach
outside the caller's area, never carried in a URL.

A full identity number names one child in the whole country, so every answer to "is this
number recorded, and where?" is a lookup, whatever page or endpoint gives it. Every path that
takes a full number — registering a child or changing its number (API and pages), filing an
application by number (API and page), searching (API and page) — calls `id_number_lookup`
(writes call it through `id_number_write`) before its service runs:

- at most `settings.ID_LOOKUP_RATE` lookups per user (e.g. "30/hour": a count, then a period
  of second, minute, hour or day, counted from the first lookup of the period); past it,
  `IdNumberLookupThrottled` (429 with Retry-After; pages show the same message);
- a lookup that finds a child outside the caller's scope writes an `id_number.looked_up`
  access-log row (who, which child, for what, from where). It is written before the service's
  own transaction, so it stays when the service then refuses the request.

What the answers may say about a child outside the caller's area (its county at most) is
decided by the services (cases.children.services, cases.applications.services,
cases.roster.services); see docs/SECURITY.md, "Lookups by identity number".
"""

import math
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from rest_framework.exceptions import Throttled

from cases.children.models import Child
from cases.children.selectors import child_visible
from welfare.audit import audit_record
from welfare.idnumber import normalize_id_number

T = TypeVar("T")


# A search query that looks like more than the last digits of an identity number must not sit in
# a URL (GET): the number would reach browser histories, proxies and access logs.
URL_DIGITS_MAX = 6


_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class IdNumberLookupThrottled(Throttled):
    """Too many lookups by identity number: 429, with the wait in Retry-After."""

    def __init__(self, *, limit: int, period: int, wait: int):
        names = {
            1: pgettext("lookup rate period", "second"),
            60: pgettext("lookup rate period", "minute"),
            3600: pgettext("lookup rate period", "hour"),
            86400: pgettext("lookup rate period", "day"),
        }
        message = _(
            "Too many lookups by identity number (at most %(limit)s per %(period)s). Try again in %(minutes)s minutes."
        ) % {"limit": limit, "period": names[period], "minutes": max(1, math.ceil(wait / 60))}
        super().__init__(detail=message)
        self.wait = wait  # DRF's error handler turns it into Retry-After


def is_full_id_number(value: str | None) -> bool:
    """An 18-character identity number (17 digits and a digit or X), valid or not."""
    number = normalize_id_number(value)
    return len(number) == 18 and number[:17].isdigit() and (number[17].isdigit() or number[17] == "X")


def too_long_for_a_url(query: str | None) -> bool:
    """A search query of more than URL_DIGITS_MAX characters of an identity number (a full number,
    or all but its first digits): it is searched with POST, never with GET."""
    number = normalize_id_number(query)
    return len(number) > URL_DIGITS_MAX and number[:-1].isdigit() and (number[-1:].isdigit() or number[-1:] == "X")


def url_search_refused_message() -> str:
    return _(
        "Search by identity number with the search form (or POST /api/children/search/): a full number, or more "
        "than its last %(n)s characters, must not be put in a web address."
    ) % {"n": URL_DIGITS_MAX}


def lookup_rate() -> tuple[int, int]:
    """`settings.ID_LOOKUP_RATE` as (count, period in seconds)."""
    text = str(settings.ID_LOOKUP_RATE)
    count, _sep, period = text.partition("/")
    try:
        return int(count), _PERIODS[period.strip().lower()[:1]]
    except (KeyError, ValueError):
        raise ImproperlyConfigured(f"ID_LOOKUP_RATE must look like '30/hour', not {text!r}.") from None


def _keys(user) -> tuple[str, str]:
    base = f"id-number-lookups:{user.pk}"
    return base, base + ":since"


def id_lookup_charge(user) -> None:
    """Count one lookup for the user; raise IdNumberLookupThrottled past the rate. The count is
    one atomic increment in the shared cache (Redis in production)."""
    limit, period = lookup_rate()
    count_key, since_key = _keys(user)
    now = time.time()
    cache.add(since_key, now, period)
    cache.add(count_key, 0, period)
    try:
        used = cache.incr(count_key)
    except ValueError:  # the period ended between add() and incr()
        cache.set(since_key, now, period)
        cache.set(count_key, 1, period)
        used = 1
    if used > limit:
        since = cache.get(since_key) or now
        raise IdNumberLookupThrottled(limit=limit, period=period, wait=max(1, math.ceil(since + period - now)))


def id_lookup_refund(user) -> None:
    """Give back one lookup (a write that created or changed the record was not a lookup)."""
    try:
        cache.decr(_keys(user)[0])
    except ValueError:
        pass


def id_number_lookup(*, by, id_number: str | None, purpose: str, ip_address: str | None = None) -> Child | None:
    """One lookup of a child by a full identity number, anywhere in the country: counted against
    the user's rate, and written to the access log when the child found lies outside the user's
    scope. Answers the child (for the caller's service to decide what it may say), or None.
    Anything but a full number is not a lookup: nothing is counted."""
    if not is_full_id_number(id_number):
        return None
    id_lookup_charge(by)
    child = Child.objects.only("id", "name").with_id_number(id_number).first()
    if child is not None and not child_visible(user=by, child_id=child.id):
        audit_record(
            actor=by,
            action="id_number.looked_up",
            target=child,
            record_count=1,
            ip_address=ip_address,
            detail={"purpose": purpose},
        )
    return child


def id_number_write(*, by, id_number: str | None, purpose: str, ip_address: str | None, write: Callable[[], T]) -> T:
    """A write that takes a full identity number (registering a child, changing its number): a
    lookup, except that a write that succeeds gives the lookup back — registering forty new
    children from an offline phone is not forty lookups, while a refused one (the number is
    recorded already, or anything else is wrong) counts."""
    id_number_lookup(by=by, id_number=id_number, purpose=purpose, ip_address=ip_address)
    result = write()
    if is_full_id_number(id_number):
        id_lookup_refund(by)
    return result
