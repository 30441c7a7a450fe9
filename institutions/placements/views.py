"""Pages of admissions, discharges and care records, under /institutions/ (namespace
`institutions`): admit a child into an institution (a registered child found by the full
identity number, or a new child without one), discharge a child, add a care record.

Thin: selectors read (outside one's scope a record is simply not found: 404), services write and
hold every rule (institutions/placements/services.py); a refused write re-shows the form with the
service's message beside its field (400) and changes nothing; a double submit creates one record
(the form's one-time token)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from cases.children.lookups import IdNumberLookupThrottled, id_number_lookup, is_full_id_number
from cases.children.views import lookup_throttled_page
from institutions.access import may_write_institution
from institutions.models import Institution
from institutions.pages import (
    form_page,
    institution_for_page,
    page_token,
    require_page,
    run_once,
)
from institutions.placements import services
from institutions.placements.forms import AdmitForm, CareRecordForm, DischargeForm
from institutions.placements.selectors import transfer_targets
from institutions.placements.services import AdmissionInput, NewChildInput
from institutions.selectors import placement_list
from welfare.audit import client_ip
from welfare.idnumber import mask_id_number
from welfare.models import Region
from welfare.scoping import get_in_scope_or_404
from welfare.validators import mask_person_name

# The village picker of the admission form lists at most this many codes beneath the institution.
VILLAGE_CHOICES_MAX = 500


def _villages_beneath(institution: Institution):
    """Codes and names of the villages beneath the institution's region (reference data, no
    person's record): the admission form's picker for a new child's village."""
    region = institution.region
    return (
        Region.objects.filter(path__startswith=region.path, level=Region.Level.VILLAGE)
        .order_by("path")
        .values_list("code", "name")[:VILLAGE_CHOICES_MAX]
    )


def _require_write(user, institution: Institution) -> None:
    if not may_write_institution(user, institution):
        raise PermissionDenied


def _admission_input(form: AdmitForm, institution: Institution) -> AdmissionInput:
    data = form.cleaned_data
    common = {
        "institution": institution,
        "placed_on": data["placed_on"],
        "admission_reason": data["admission_reason"],
        "reason": data["reason"],
        "found_at": data["found_at"],
        "police_report_number": data["police_report_number"],
    }
    if form.registered:
        return AdmissionInput(child_id_number=data["child_id_number"], **common)
    new_child = NewChildInput(
        name=data["name"],
        sex=data["sex"],
        birth_date=data["birth_date"],
        region=data["region"],
        birth_date_estimated=True,
    )
    return AdmissionInput(new_child=new_child, **common)


def _found(request, form: AdmitForm) -> dict | None:
    """The registered child of the number typed, masked (name, number, county): a logged,
    counted lookup (cases.children.lookups). None, with a message beside the field, when the
    number names nobody."""
    number = form.cleaned_data["child_id_number"]
    if not is_full_id_number(number):
        form.add_error("child_id_number", _("Type the full identity number: 18 characters."))
        return None
    child = id_number_lookup(by=request.user, id_number=number, purpose="admission", ip_address=client_ip(request))
    if child is None:
        form.add_error(
            "child_id_number", _("No child is recorded with this identity number: admit a new child instead.")
        )
        return None
    county = Region.objects.filter(level=Region.Level.COUNTY, code=number[:6]).values_list("name", flat=True).first()
    return {"name": mask_person_name(child.name), "id_number": mask_id_number(number), "county": county or number[:6]}


@login_required
def admit_page(request, institution_id: int):
    user = request.user
    institution = institution_for_page(request, institution_id)
    _require_write(user, institution)
    initial_region = institution.region if institution.region.level == Region.Level.VILLAGE else None
    form = AdmitForm(request.POST or None, initial_region=initial_region)
    found = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                if "find" in request.POST:
                    found = _found(request, form)
                    status = 200 if found else 400
                else:
                    data = _admission_input(form, institution)
                    if form.registered:
                        # A lookup by identity number (counted, logged outside one's scope).
                        id_number_lookup(
                            by=user, id_number=data.child_id_number, purpose="admission", ip_address=client_ip(request)
                        )
                    if run_once(
                        request,
                        form=form,
                        kind="placement_admit",
                        create=lambda: services.placement_admit(by=user, data=data),
                        done=_("The child is admitted."),
                    ):
                        return redirect("institutions:institution", institution_id=institution.id)
            except IdNumberLookupThrottled as exc:
                return lookup_throttled_page(request, exc)
    return render(
        request,
        "institutions/admit.html",
        {
            "institution": institution,
            "form": form,
            "found": found,
            "villages": _villages_beneath(institution),
            "form_token": page_token(request),
        },
        status=status,
    )


def _placement(request, placement_id: int):
    require_page(request.user)
    qs = placement_list(user=request.user).select_related("child__region", "institution__region")
    return get_in_scope_or_404(qs, id=placement_id)


@login_required
def discharge_page(request, placement_id: int):
    user = request.user
    placement = _placement(request, placement_id)
    _require_write(user, placement.institution)
    return form_page(
        request,
        form=DischargeForm(request.POST or None, institutions=transfer_targets(institution=placement.institution).select_related("region")[:300]),
        kind="placement_discharge",
        create=lambda d: services.placement_discharge(
            by=user,
            placement=placement,
            left_on=d["left_on"],
            discharge_reason=d["discharge_reason"],
            note=d["note"],
            to_region=d["discharged_to_region"],
            to_institution=d["transferred_to"],
        ),
        done=_("The discharge is recorded."),
        done_url=reverse("institutions:institution", kwargs={"institution_id": placement.institution_id}),
        template="institutions/discharge.html",
        context={"placement": placement},
    )


@login_required
def care_record_page(request, placement_id: int):
    user = request.user
    placement = _placement(request, placement_id)
    _require_write(user, placement.institution)
    return form_page(
        request,
        form=CareRecordForm(request.POST or None),
        kind="care_record_add",
        create=lambda d: services.care_record_add(
            by=user, placement=placement, recorded_on=d["recorded_on"], domain=d["domain"], text=d["text"]
        ),
        done=_("The care record is added."),
        done_url=reverse("cases:child_detail", args=[placement.child_id]) + "#care",
        template="institutions/care_record.html",
        context={"placement": placement},
    )
