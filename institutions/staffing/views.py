"""Pages of an institution's staff, under /institutions/ (namespace `institutions`): add a staff
member, record that one left, record a training one attended (with hours).

Thin: selectors read (outside one's scope a record is simply not found: 404), services write and
hold every rule (institutions/staffing/services.py); a refused write re-shows the form with the
service's message beside its field (400) and changes nothing; a double submit creates one record."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext as _

from institutions.access import may_write_institution
from institutions.pages import form_page, institution_for_page, require_page
from institutions.selectors import staff_list
from institutions.staffing import services
from institutions.staffing.forms import StaffEndForm, StaffForm, TrainingForm
from welfare.scoping import get_in_scope_or_404


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
    return form_page(
        request,
        form=StaffForm(request.POST or None),
        kind="staff_add",
        create=lambda d: services.staff_add(
            by=user, institution=institution, name=d["name"], position=d["position"], appointed_on=d["appointed_on"], phone=d["phone"]
        ),
        done=_("The staff member is added."),
        done_url=reverse("institutions:institution", kwargs={"institution_id": institution.id}),
        template="institutions/staff_form.html",
        context={"institution": institution},
    )


@login_required
def staff_end_page(request, staff_id: int):
    user = request.user
    staff = _staff(request, staff_id)
    return form_page(
        request,
        form=StaffEndForm(request.POST or None),
        kind="staff_end",
        create=lambda d: services.staff_end(by=user, staff=staff, left_on=d["left_on"]),
        done=_("The end of service is recorded."),
        done_url=reverse("institutions:institution", kwargs={"institution_id": staff.institution_id}),
        template="institutions/staff_end.html",
        context={"staff": staff, "institution": staff.institution},
    )


@login_required
def training_add_page(request, staff_id: int):
    user = request.user
    staff = _staff(request, staff_id)
    return form_page(
        request,
        form=TrainingForm(request.POST or None),
        kind="training_record",
        create=lambda d: services.training_record(by=user, staff=staff, title=d["title"], held_on=d["held_on"], hours=d["hours"]),
        done=_("The training is recorded."),
        done_url=reverse("institutions:institution", kwargs={"institution_id": staff.institution_id}),
        template="institutions/training_form.html",
        context={"staff": staff, "institution": staff.institution, "trainings": staff.trainings.order_by("-held_on", "-id")[:20]},
    )
