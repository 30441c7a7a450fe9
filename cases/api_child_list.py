"""`GET /api/children/`: the list of children, 50 a page, built for many concurrent readers.

Same output as `ChildSerializer` (tests/api/test_child_list_fast.py compares them), produced
without model instances or serializer fields:

1. the page's ids from the scoped, filtered queryset (read from the (region, id) index alone);
2. one query for those children's columns and region codes, one for their memberships in force
   today, one for their guardians;
3. plain dicts in the serializer's field order.

Pages are cached under the data versions of the caller's scope (cases.list_cache): a page is
served again only while nothing beneath the scope has changed.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Q
from django.http import HttpResponse
from django.utils import timezone

from cases import list_cache
from cases.models import CategoryMembership, Child, Guardian
from welfare.idnumber import mask_id_number
from welfare.roles import Role

CHILD_COLUMNS = (
    "id", "name", "id_number", "sex", "birth_date", "region__code", "household_region__code", "check_state",
    "next_check_due", "school", "registered_on", "review_status",
)
GUARDIAN_COLUMNS = ("id", "child_id", "name", "relation", "id_number", "phone", "is_migrant_worker", "work_place", "can_act_as_guardian")


def _date(value: datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def child_rows(ids: list[int], *, on: datetime.date) -> list[dict]:
    """The children of `ids`, in that order, as ChildSerializer would show them."""
    if not ids:
        return []
    categories: dict[int, list[str]] = defaultdict(list)
    for child_id, category in (
        CategoryMembership.objects.filter(child_id__in=ids, start_date__lte=on)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .order_by("category")
        .values_list("child_id", "category")
    ):
        categories[child_id].append(category)
    guardians: dict[int, list[dict]] = defaultdict(list)
    for g in Guardian.objects.filter(child_id__in=ids).order_by("id").values_list(*GUARDIAN_COLUMNS):
        guardians[g[1]].append(
            {
                "id": g[0],
                "name": g[2],
                "relation": g[3],
                "id_number": mask_id_number(g[4]),
                "phone": g[5],
                "is_migrant_worker": g[6],
                "work_place": g[7],
                "can_act_as_guardian": g[8],
            }
        )
    by_id = {}
    for c in Child.objects.filter(id__in=ids).values_list(*CHILD_COLUMNS):
        by_id[c[0]] = {
            "id": c[0],
            "name": c[1],
            "id_number": mask_id_number(c[2]) or None,
            "sex": c[3],
            "birth_date": _date(c[4]),
            "region": c[5],
            "household_region": c[6],
            "categories": categories.get(c[0], []),
            "check_state": c[7],
            "next_check_due": _date(c[8]),
            "school": c[9],
            "registered_on": _date(c[10]),
            "review_status": c[11],
            "guardians": guardians.get(c[0], []),
        }
    return [by_id[i] for i in ids if i in by_id]


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


def list_response(view, request):
    """The list action of ChildViewSet."""
    today = timezone.localdate()
    key = None
    if cacheable(request):
        key = list_cache.page_key(
            scope_path=request.user.scope_path,
            query=list(request.query_params.items()),
            on=today.isoformat(),
            media_type=request.accepted_media_type,
        )
        content = list_cache.get(key)
        if content is not None:
            return HttpResponse(content, content_type=request.accepted_media_type)
    queryset = view.filter_queryset(view.get_list_queryset()).order_by("id").values_list("id", flat=True)
    ids = view.paginate_queryset(queryset)
    response = view.get_paginated_response(child_rows(list(ids), on=today))
    if key is not None:
        response = view.finalize_response(request, response)
        response.render()
        list_cache.put(key, response.content)
    return response
