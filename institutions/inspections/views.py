"""Pages of inspections (四不两直), rectifications (整改) and safety meetings, under /institutions/
(namespace `institutions`): record an inspection of an institution with its findings (county and
city officials), record the rectification of a finding (the institution), record a quarterly
safety meeting (the institution), and the list of findings past their deadline (the institution's
own; the inspecting county's or city's).

Thin: selectors read (outside one's scope a record is simply not found: 404), services write and
hold every rule (institutions/inspections/services.py); a refused write re-shows the form with the
service's message beside its field (400) and changes nothing; a double submit creates one record."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from cases.children.services import form_submission_once
from institutions.access import may_inspect, may_rectify, may_write_institution
from institutions.inspections import selectors, services
from institutions.inspections.forms import InspectionForm, RectifyForm, SafetyMeetingForm, finding_formset
from institutions.pages import form_page, institution_for_page, page_token, require_page, token_from
from institutions.selectors import in_region_subtree
from welfare.errors import ApplicationError
from welfare.forms import form_add_service_errors
from welfare.scoping import get_in_scope_or_404

PAGE_SIZE = 30


@login_required
def inspection_new_page(request, institution_id: int):
    """Record an inspection of an institution in one's scope, with its findings."""
    user = request.user
    institution = institution_for_page(request, institution_id)
    if not may_inspect(user, institution):
        raise PermissionDenied
    form = InspectionForm(request.POST or None)
    formset = finding_formset(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and "add_row" not in request.POST:
        status = 400
        if form.is_valid() and formset.is_valid():
            rows = [i for i, f in enumerate(formset.forms) if f.cleaned_data and (f.cleaned_data.get("text") or "").strip()]
            data = form.inspection_input(institution=institution, findings=formset.findings())
            try:
                form_submission_once(
                    by=user,
                    token=token_from(request),
                    kind="inspection_record",
                    create=lambda: services.inspection_record(by=user, data=data),
                )
            except ApplicationError as exc:
                # The service numbers the findings it was given; the page's rows may have gaps.
                errors = {}
                for key, message in exc.field_errors.items():
                    parts = key.split("-", 2)
                    if len(parts) == 3 and parts[0] == formset.prefix and parts[1].isdigit() and int(parts[1]) < len(rows):
                        key = f"{formset.prefix}-{rows[int(parts[1])]}-{parts[2]}"
                    errors[key] = message
                form_add_service_errors(form, ApplicationError(exc.message, field_errors=errors), formset=formset)
            else:
                messages.success(request, _("The inspection is recorded."))
                return redirect("institutions:institution", institution_id=institution.id)
    return render(
        request,
        "institutions/inspection_new.html",
        {"institution": institution, "form": form, "formset": formset, "form_token": page_token(request)},
        status=status,
    )


def _finding(request, finding_id: int):
    require_page(request.user)
    qs = selectors.finding_list(user=request.user).select_related("inspection__institution__region", "fixed_by")
    return get_in_scope_or_404(qs, id=finding_id)


@login_required
def rectify_page(request, finding_id: int):
    """Record the rectification (整改) of a finding: its date and what was done."""
    user = request.user
    finding = _finding(request, finding_id)
    if not may_rectify(user, finding.inspection.institution):
        raise PermissionDenied
    return form_page(
        request,
        form=RectifyForm(request.POST or None),
        kind="finding_rectify",
        create=lambda d: services.finding_rectify(by=user, finding=finding, fixed_on=d["fixed_on"], fix_note=d["fix_note"]),
        done=_("The rectification is recorded."),
        done_url=reverse("institutions:institution", kwargs={"institution_id": finding.inspection.institution_id}),
        template="institutions/rectify.html",
        context={
            "finding": finding,
            "institution": finding.inspection.institution,
            "past_deadline": finding.fixed_on is None and finding.fix_by < timezone.localdate(),
        },
    )


@login_required
def safety_meeting_page(request, institution_id: int):
    """Record a safety-management meeting of the institution (one a quarter at least)."""
    user = request.user
    institution = institution_for_page(request, institution_id)
    if not may_write_institution(user, institution):
        raise PermissionDenied
    return form_page(
        request,
        form=SafetyMeetingForm(request.POST or None),
        kind="safety_meeting_record",
        create=lambda d: services.safety_meeting_record(
            by=user, institution=institution, held_on=d["held_on"], attendees=d["attendees"], topics=d["topics"]
        ),
        done=_("The safety meeting is recorded."),
        done_url=reverse("institutions:institution", kwargs={"institution_id": institution.id}),
        template="institutions/safety_meeting.html",
        context={"institution": institution},
    )


@login_required
def findings_overdue_page(request):
    """Findings past their rectification deadline and not rectified: the institution's own for
    its staff; those of the institutions in one's county, city or province for officials."""
    require_page(request.user)
    today = timezone.localdate()
    qs = selectors.findings_past_deadline(user=request.user, today=today).select_related("inspection__institution__region")
    # A dashboard's link narrows the list to a region of one's area (`?region=CODE`).
    region_code = request.GET.get("region", "").strip()[:12]
    if region_code:
        qs = in_region_subtree(qs, "inspection__institution__region", region_code)
    page = Paginator(qs.order_by("fix_by", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    for finding in page:
        finding.days_late = (today - finding.fix_by).days
    return render(
        request,
        "institutions/findings_overdue.html",
        {"page": page, "today": today, "extra": urlencode({"region": region_code}) if region_code else ""},
    )
