"""Pages of an institution's staff, under /institutions/ (namespace `institutions`): add a staff
member, record that one left, record a training one attended (with hours).

Thin: selectors read (outside one's scope a record is simply not found: 404), services write and
hold every rule (institutions/staffing/services.py); a refused write re-shows the form with the
service's message beside its field (400) and changes nothing; a double submit creates one record."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from institutions.access import may_write_institution
from institutions.pages import institution_for_page, new_token, require_page, run_once, token_from
from institutions.selectors import staff_list
from institutions.staffing import services
from institutions.staffing.forms import StaffEndForm, StaffForm, TrainingForm
from welfare.scoping import get_in_scope_or_404


def _token(request) -> str:
    return token_from(request) if request.method == "POST" else new_token()


def _staff(request, staff_id: int):
    """A staff member of an institution in the user's scope (404 otherwise), who may be changed
    by the user (403 otherwise)."""
    require_page(request.user)
    qs = staff_list(user=request.user).filter(institution__isnull=False).select_related("institution__region")
    staff = get_in_scope_or_404(qs, id=staff_id)
    if not may_write_institution(request.user, staff.institution):
        raise PermissionDenied
    return staff


@login_required
def staff_add_page(request, institution_id: int):
    user = request.user
    institution = institution_for_page(request, institution_id)
    if not may_write_institution(user, institution):
        raise PermissionDenied
    form = StaffForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            if run_once(
                request,
                form=form,
                kind="staff_add",
                create=lambda: services.staff_add(
                    by=user,
                    institution=institution,
                    name=d["name"],
                    position=d["position"],
                    appointed_on=d["appointed_on"],
                    phone=d["phone"],
                ),
            ):
                messages.success(request, _("The staff member is added."))
                return redirect("institutions:institution", institution_id=institution.id)
    return render(
        request,
        "institutions/staff_form.html",
        {"institution": institution, "form": form, "form_token": _token(request)},
        status=status,
    )


@login_required
def staff_end_page(request, staff_id: int):
    user = request.user
    staff = _staff(request, staff_id)
    form = StaffEndForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            left_on = form.cleaned_data["left_on"]
            if run_once(
                request, form=form, kind="staff_end", create=lambda: services.staff_end(by=user, staff=staff, left_on=left_on)
            ):
                messages.success(request, _("The end of service is recorded."))
                return redirect("institutions:institution", institution_id=staff.institution_id)
    return render(
        request,
        "institutions/staff_end.html",
        {"staff": staff, "institution": staff.institution, "form": form, "form_token": _token(request)},
        status=status,
    )


@login_required
def training_add_page(request, staff_id: int):
    user = request.user
    staff = _staff(request, staff_id)
    form = TrainingForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            if run_once(
                request,
                form=form,
                kind="training_record",
                create=lambda: services.training_record(by=user, staff=staff, title=d["title"], held_on=d["held_on"], hours=d["hours"]),
            ):
                messages.success(request, _("The training is recorded."))
                return redirect("institutions:institution", institution_id=staff.institution_id)
    return render(
        request,
        "institutions/training_form.html",
        {
            "staff": staff,
            "institution": staff.institution,
            "trainings": staff.trainings.order_by("-held_on", "-id")[:20],
            "form": form,
            "form_token": _token(request),
        },
        status=status,
    )
