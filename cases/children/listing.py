"""`GET /api/children/`: the list of children, 50 a page, built for many concurrent readers.

Same output as `ChildSerializer` (tests/cases/children/test_listing.py compares them), produced
without model instances or serializer fields:

1. the page's ids from the scoped, filtered queryset (read from the (region, id) index alone);
2. those children's columns and region codes, their memberships in force today and their
   guardians: one statement on PostgreSQL (child_rows_postgresql), three ORM queries elsewhere
   (child_rows);
3. plain dicts in the serializer's field order.

Pages are cached under the data versions of the caller's scope (cases.children.list_cache): a page is
served again only while nothing beneath the scope has changed. So is a list's ordered id list
(up to ID_LIST_LIMIT ids; beyond that its count), so that a page not yet cached costs one query.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.core.paginator import InvalidPage, Paginator
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.exceptions import NotFound

from cases.children import list_cache
from cases.children.models import CategoryMembership, Child, Guardian
from welfare.fields import read_encrypted
from welfare.idnumber import mask_id_number
from welfare.roles import Role

CHILD_COLUMNS = (
    "id", "name", "id_number", "sex", "birth_date", "region__code", "household_region__code", "check_state",
    "next_check_due", "school", "registered_on", "review_status", "version",
)


GUARDIAN_COLUMNS = (
    "id", "name", "relation", "id_number", "phone", "is_migrant_worker", "work_place", "can_act_as_guardian", "version",
)


def _date(value: datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _guardian(g, *, encrypted: bool = False) -> dict:
    """A guardian from its GUARDIAN_COLUMNS values, as GuardianNestedSerializer shows it (with
    `encrypted`, the identity and phone numbers as stored: raw SQL reads the ciphertext)."""
    number, phone = g[3], g[4]
    if encrypted:
        number = read_encrypted(number, where="Guardian.id_number")
        phone = read_encrypted(phone, length=11, where="Guardian.phone")
    return {
        "id": g[0],
        "name": g[1],
        "relation": g[2],
        "id_number": mask_id_number(number),
        "phone": phone,
        "is_migrant_worker": g[5],
        "work_place": g[6],
        "can_act_as_guardian": g[7],
        "version": g[8],
    }


def _child(c, *, categories: list[str], guardians: list[dict], encrypted: bool = False) -> dict:
    """A child from its CHILD_COLUMNS values, as ChildSerializer shows it (with `encrypted`, the
    identity number as stored)."""
    number = read_encrypted(c[2], where="Child.id_number") if encrypted else c[2]
    return {
        "id": c[0],
        "name": c[1],
        "id_number": mask_id_number(number) or None,
        "sex": c[3],
        "birth_date": _date(c[4]),
        "region": c[5],
        "household_region": c[6],
        "categories": categories,
        "check_state": c[7],
        "next_check_due": _date(c[8]),
        "school": c[9],
        "registered_on": _date(c[10]),
        "review_status": c[11],
        "guardians": guardians,
        "version": c[12],
    }


def child_rows(ids: list[int], *, on: datetime.date) -> list[dict]:
    """The children of `ids`, in that order, as ChildSerializer would show them (three ORM
    queries; any database)."""
    if not ids:
        return []
    categories: dict[int, list[str]] = defaultdict(list)
    for child_id, category in (
        CategoryMembership.objects.filter(child_id__in=ids)
        .open_on(on)
        .order_by("category")
        .values_list("child_id", "category")
    ):
        categories[child_id].append(category)
    guardians: dict[int, list[dict]] = defaultdict(list)
    for child_id, *g in Guardian.objects.filter(child_id__in=ids).order_by("id").values_list("child_id", *GUARDIAN_COLUMNS):
        guardians[child_id].append(_guardian(g))
    by_id = {
        c[0]: _child(c, categories=categories.get(c[0], []), guardians=guardians.get(c[0], []))
        for c in Child.objects.filter(id__in=ids).values_list(*CHILD_COLUMNS)
    }
    return [by_id[i] for i in ids if i in by_id]


# PostgreSQL: the page's children, their memberships in force (CategoryMembership.objects.open_on,
# written in SQL) and their guardians in ONE statement (a miss then costs two queries: the ids,
# then this), guardians as JSON arrays in GUARDIAN_COLUMNS order.
_PG_PAGE = """
SELECT c.id, c.name, c.id_number, c.sex, c.birth_date, r.code, h.code, c.check_state, c.next_check_due,
       c.school, c.registered_on, c.review_status, c.version,
       ARRAY(SELECT m.category FROM cases_categorymembership m
             WHERE m.child_id = c.id AND m.start_date <= %(on)s AND (m.end_date IS NULL OR m.end_date >= %(on)s)
             ORDER BY m.category),
       (SELECT json_agg(json_build_array(g.id, g.name, g.relation, g.id_number, g.phone, g.is_migrant_worker,
                                         g.work_place, g.can_act_as_guardian, g.version) ORDER BY g.id)
        FROM cases_guardian g WHERE g.child_id = c.id)
FROM cases_child c
JOIN welfare_region r ON r.id = c.region_id
JOIN welfare_region h ON h.id = c.household_region_id
WHERE c.id = ANY(%(ids)s)
"""


def child_rows_postgresql(ids: list[int], *, on: datetime.date) -> list[dict]:
    """child_rows in one statement (PostgreSQL)."""
    if not ids:
        return []
    with connection.cursor() as cur:
        cur.execute(_PG_PAGE, {"on": on, "ids": ids})
        by_id = {
            c[0]: _child(
                c, categories=list(c[13]), guardians=[_guardian(g, encrypted=True) for g in (c[14] or [])], encrypted=True
            )
            for c in cur.fetchall()
        }
    return [by_id[i] for i in ids if i in by_id]


def page_rows(ids: list[int], *, on: datetime.date) -> list[dict]:
    if connection.vendor == "postgresql":
        return child_rows_postgresql(ids, on=on)
    return child_rows(ids, on=on)


def cacheable(request) -> bool:
    """Region-scoped readers asking for JSON. Institution staff see children by placement, not
    by region, so their (short) lists are not cached."""
    user = request.user
    return (
        list_cache.enabled()
        and request.accepted_renderer.format == "json"
        and user.role != Role.INSTITUTION_STAFF
        and user.scope_path is not None
    )


class _CountedPaginator(Paginator):
    """Django's paginator with the count already known (from the cache)."""

    def __init__(self, object_list, per_page, *, count: int | None):
        super().__init__(object_list, per_page)
        if count is not None:
            self.__dict__["count"] = count  # the cached_property's slot


# A list of at most this many children keeps its whole ordered id list in the cache (≈ 5 bytes
# an id): every other page of it then needs no id query at all. Longer lists (a city, a
# province) keep only their count and read each page's ids with LIMIT/OFFSET.
ID_LIST_LIMIT = 20_000


def id_list_entry(ids) -> list[int] | int:
    """What the cache keeps of a list: its ordered ids when at most ID_LIST_LIMIT, else its count."""
    head = list(ids[: ID_LIST_LIMIT + 1])
    return head if len(head) <= ID_LIST_LIMIT else ids.count()


def paginated_response(view, request, object_list, *, count: int | None, rows):
    """DRF's paginated answer for the page of `object_list` (ids) the request asks for, its rows
    built by `rows(page_ids)`; `count` when already known (from the cache)."""
    pagination = view.paginator
    paginator = _CountedPaginator(object_list, pagination.get_page_size(request), count=count)
    number = pagination.get_page_number(request, paginator)
    try:
        pagination.page = paginator.page(number)
    except InvalidPage as exc:
        raise NotFound(pagination.invalid_page_message.format(page_number=number, message=str(exc))) from None
    if paginator.num_pages > 1 and pagination.template is not None:
        pagination.display_page_controls = True  # the browsable API's page links, as DRF does
    pagination.request = request
    return pagination.get_paginated_response(rows(list(pagination.page)))


def list_response(view, request):
    """The list action of ChildViewSet: PageNumberPagination's output. With the cache: each page,
    and the list's ids (or, for a long list, its count), cached under the scope's data versions."""
    today = timezone.localdate().isoformat()
    cached = cacheable(request)
    query = sorted(request.query_params.items())
    scope = request.user.scope_path if cached else None
    page_key = None
    tokens: tuple[str, str] | None = None
    if cached:
        page_key = list_cache.entry_key("page", scope_path=scope, parts=[today, request.accepted_media_type, *map(str, query)])
        content, tokens = list_cache.read(page_key, scope_path=scope)
        if content is not None:
            return HttpResponse(content, content_type=request.accepted_media_type)
    ids = view.filter_queryset(view.get_list_queryset()).order_by("id").values_list("id", flat=True)
    object_list, count = ids, None
    if cached:
        unpaged = [str(item) for item in query if item[0] not in ("page", "page_size")]
        list_key = list_cache.entry_key("ids", scope_path=scope, parts=[today, *unpaged])
        entry, _tokens = list_cache.read(list_key, scope_path=scope)  # stored with the tokens read above
        if entry is None:
            entry = id_list_entry(ids)
            list_cache.write(list_key, entry, tokens=tokens)
        object_list, count = (entry, len(entry)) if isinstance(entry, list) else (ids, entry)
    response = paginated_response(
        view, request, object_list, count=count, rows=lambda page: page_rows(page, on=timezone.localdate())
    )
    if cached:
        response = view.finalize_response(request, response)
        response.render()
        list_cache.write(page_key, response.content, tokens=tokens)
    return response
