"""Page action: reveal one full identity number (POST only, so the number never sits in a URL,
and the answer is not cached)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cases.reveal import child_id_number_reveal, guardian_id_number_reveal
from cases.selectors import child_get, guardian_list
from welfare.audit import client_ip
from welfare.errors import ApplicationError
from welfare.scoping import get_in_scope_or_404


def _answer(request, *, record, kind: str, reveal):
    try:
        number = reveal()
    except ApplicationError as exc:
        return render(request, "cases/reveal.html", {"record": record, "kind": kind, "error": exc.message}, status=400)
    return render(request, "cases/reveal.html", {"record": record, "kind": kind, "id_number": number})


@never_cache
@login_required
@require_POST
def child_reveal(request, child_id: int):
    child = child_get(user=request.user, child_id=child_id)
    return _answer(
        request,
        record=child,
        kind="child",
        reveal=lambda: child_id_number_reveal(by=request.user, child=child, request_ip=client_ip(request)),
    )


@never_cache
@login_required
@require_POST
def guardian_reveal(request, guardian_id: int):
    guardian = get_in_scope_or_404(guardian_list(user=request.user).select_related("child"), id=guardian_id)
    return _answer(
        request,
        record=guardian,
        kind="guardian",
        reveal=lambda: guardian_id_number_reveal(by=request.user, guardian=guardian, request_ip=client_ip(request)),
    )
