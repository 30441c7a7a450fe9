"""`GET /api/cases/`: the case worklist, 50 a page, built for many concurrent readers, as the child
list is (cases/children/listing.py):

1. the list's ordered ids from the scoped, filtered queryset of CaseViewSet;
2. the page's cases as plain dicts in the serializer's field order (selectors.case_worklist_rows:
   one query, no model instances or serializer fields).

The ids (up to the child list's ID_LIST_LIMIT, else the count) and each page are cached under the data versions of
the caller's scope (cases.children.list_cache): an entry is served only while nothing beneath the
scope has changed. A case written (opened, assigned, closed, reopened, its risk or next follow-up
changed) or its child written (renamed, moved) replaces those versions (cases/apps.py); code that
writes cases set-wise must call `children_changed()` itself. A village director's worklist is
their own cases: their entries are their own.

Why (benchmarks/cases.py, 200,000 cases, a county official's open cases): finding a county's open
cases reads every child of the county (the scope is the child's village), about 15 ms of the
database per request, and DRF's serializer over 50 cases about 10 ms of the web worker; under 20
concurrent clients on two cores that is several hundred milliseconds at the 95th percentile.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone

from cases.children import list_cache
from cases.children.listing import id_list_entry, paginated_response
from cases.protection.selectors import case_worklist_rows
from welfare.roles import Role
from welfare.scoping import is_institution_user


def _cacheable(request) -> bool:
    """Region-scoped readers asking for JSON (institution staff read cases by referral, not by
    region: their short lists are not cached)."""
    user = request.user
    return (
        list_cache.enabled()
        and request.accepted_renderer.format == "json"
        and not is_institution_user(user)
        and user.scope_path is not None
    )


def worklist_response(view, request):
    """The list action of CaseViewSet: PageNumberPagination's output, cached as said above."""
    today = timezone.localdate()
    user = request.user
    cached = _cacheable(request)
    query = sorted(request.query_params.items())
    scope = user.scope_path if cached else None
    # Who shares an entry: the users of one scope and role (a director: only themselves).
    who = f"user:{user.pk}" if user.role == Role.VILLAGE_DIRECTOR else f"role:{user.role}"
    page_key = None
    tokens: tuple[str, str] | None = None
    if cached:
        parts = [who, today.isoformat(), request.accepted_media_type, *map(str, query)]
        page_key = list_cache.entry_key("case_worklist_page", scope_path=scope, parts=parts)
        content, tokens = list_cache.read(page_key, scope_path=scope)
        if content is not None:
            return HttpResponse(content, content_type=request.accepted_media_type)
    ids = view.filter_queryset(view.get_queryset()).values_list("id", flat=True)
    entry = None
    list_key = None
    if cached:
        unpaged = [str(item) for item in query if item[0] not in ("page", "page_size")]
        list_key = list_cache.entry_key("case_worklist_ids", scope_path=scope, parts=[who, today.isoformat(), *unpaged])
        entry, _tokens = list_cache.read(list_key, scope_path=scope)  # stored with the tokens read above
    if entry is None:
        # One query for the whole (short) list, rather than a count and a page: finding a county's
        # open cases costs the same for 50 of them as for all.
        entry = id_list_entry(ids)
        if list_key is not None:
            list_cache.write(list_key, entry, tokens=tokens)
    object_list, count = (entry, len(entry)) if isinstance(entry, list) else (ids, entry)
    response = paginated_response(view, request, object_list, count=count, rows=lambda page: case_worklist_rows(page, today=today))
    if cached:
        response = view.finalize_response(request, response)
        response.render()
        list_cache.write(page_key, response.content, tokens=tokens)
    return response
