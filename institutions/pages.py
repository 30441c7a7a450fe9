"""What the pages of the institutions app share (institutions/views.py and the sub-packages'
views): who may open them, the one-time form token (a double submit creates one record), and
running a service so that its refusal lands on the form that sent the input."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render

from institutions.selectors import institution_list, institution_page_allowed
from welfare.forms import form_service_run
from welfare.scoping import get_in_scope_or_404

TOKEN_FIELD = "form_token"  # noqa: S105 - the name of a form field, not a secret


def require_page(user) -> None:
    """The institution pages are for county, city and province officials, institution staff
    and administrators (institutions.selectors.INSTITUTION_PAGE_ROLES): 403 for anyone else."""
    if not institution_page_allowed(user):
        raise PermissionDenied


def institution_for_page(request, institution_id: int):
    """The institution in the user's scope (404 outside it), for a page of the app."""
    require_page(request.user)
    return get_in_scope_or_404(institution_list(user=request.user).select_related("region"), id=institution_id)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def token_from(request) -> str:
    """The form's one-time token as posted (a new one when missing: that submit cannot repeat)."""
    return (request.POST.get(TOKEN_FIELD, "") or "")[:64] or new_token()


def page_token(request) -> str:
    """The token a page's form carries: the posted one again after a refusal, else a new one."""
    return token_from(request) if request.method == "POST" else new_token()


def run_once(request, *, form: forms.Form, kind: str, create: Callable[[], object], done: str | None = None, also=()) -> bool:
    """Run `create()` (a service call returning the saved record) once per form token, and say
    `done`. A second submit of the same form creates nothing and counts as done. A service's
    refusal goes beside the form's fields (welfare.forms.form_service_run); then nothing is changed
    and the answer is False."""
    from cases.children.services import form_submission_once

    def once():
        return form_submission_once(by=request.user, token=token_from(request), kind=kind, create=create)

    return form_service_run(request, form, once, done=done, also=also) is not None


def form_page(
    request,
    *,
    form: forms.Form,
    kind: str,
    create: Callable[[dict], object],
    done: str,
    done_url: str,
    template: str,
    context: dict,
) -> HttpResponse:
    """A page of one form that runs one service once per form token (run_once): GET shows the
    form; a valid POST runs `create(cleaned_data)`, says `done` and goes to `done_url`; bad input
    or a refusal shows the form again (400) with the message beside its field, nothing changed."""
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and run_once(request, form=form, kind=kind, create=lambda: create(form.cleaned_data), done=done):
            return redirect(done_url)
    return render(request, template, {**context, "form": form, "form_token": page_token(request)}, status=status)


def home_counts(*, user) -> dict[str, int]:
    """The figures of the home page's institution tiles (welfare.views.register_home_counts):
    the children in one's institution's care, and the findings past their deadline in one's
    scope (institution staff: their institution's; county and city officials: their area's)."""
    from institutions.inspections.selectors import findings_past_deadline
    from institutions.selectors import placement_list
    from welfare.roles import Role
    from welfare.scoping import is_institution_user

    counts: dict[str, int] = {}
    if is_institution_user(user) and user.institution_id:
        counts["my_institution"] = (
            placement_list(user=user).filter(institution_id=user.institution_id, left_on__isnull=True).count()
        )
        counts["findings_overdue"] = findings_past_deadline(user=user).count()
    elif getattr(user, "role", None) in (Role.COUNTY_OFFICIAL, Role.CITY_OFFICIAL):
        counts["findings_overdue"] = findings_past_deadline(user=user).count()
    return counts
