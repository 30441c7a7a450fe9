"""Pages of the institutions app, included at /institutions/ (namespace `institutions`): the list
of institutions in one's scope with their figures (children in care, admissions and discharges
this month, open findings, findings past their deadline, safety meetings, staff), reached from the
dashboards; the page of one institution (the home of its staff: its children in care, findings to
rectify, safety meetings, staff and trainings, with links to the forms); and /institutions/mine/,
which takes institution staff to their institution's page.

The forms live with their sub-domains: institutions/placements/views.py (admit, discharge, care
records), institutions/inspections/views.py (inspections, rectifications, safety meetings,
findings past their deadline), institutions/staffing/views.py (staff, trainings)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode

from institutions.access import may_inspect, may_rectify, may_write_institution
from institutions.figures import institution_figures, institutions_with_figures
from institutions.inspections import selectors as inspection_selectors
from institutions.inspections.models import Finding
from institutions.models import Institution
from institutions.pages import institution_for_page, require_page
from institutions.selectors import placement_list, staff_list
from welfare.scoping import is_institution_user

PAGE_SIZE = 50
RECENT_INSPECTIONS = 10
RECENT_MEETINGS = 4


@login_required
def institution_list_page(request):
    require_page(request.user)
    region_code = request.GET.get("region", "").strip()[:12]
    kind = request.GET.get("kind", "")
    if kind not in Institution.Kind.values:
        kind = ""
    qs = institutions_with_figures(user=request.user, region_code=region_code, kind=kind)
    filters = {k: v for k, v in (("region", region_code), ("kind", kind)) if v}
    return render(
        request,
        "institutions/list.html",
        {
            "page": Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page")),
            "kind": kind,
            "kinds": Institution.Kind.choices,
            "region_code": region_code,
            "extra": urlencode(filters),
        },
    )


@login_required
def my_institution_page(request):
    """Institution staff: their institution's page. Anyone else who may open the pages: the list."""
    user = request.user
    require_page(user)
    if is_institution_user(user) and user.institution_id:
        return redirect("institutions:institution", institution_id=user.institution_id)
    return redirect("institutions:institution_list")


@login_required
def institution_page(request, institution_id: int):
    user = request.user
    institution = institution_for_page(request, institution_id)
    today = timezone.localdate()
    writes = may_write_institution(user, institution)
    in_care = (
        placement_list(user=user)
        .filter(institution=institution, left_on__isnull=True)
        .select_related("child__region")
        .order_by("-placed_on", "-id")
    )
    rectifies = may_rectify(user, institution)
    open_findings = [
        {"f": finding, "past_deadline": finding.fix_by < today, "can_rectify": rectifies}
        for finding in inspection_selectors.finding_list(user=user)
        .filter(inspection__institution=institution, fixed_on__isnull=True)
        .select_related("inspection")
        .order_by("fix_by", "id")
    ]
    inspections = (
        inspection_selectors.inspection_list(user=user)
        .filter(institution=institution)
        .prefetch_related(Prefetch("findings", queryset=Finding.objects.order_by("id")))
        .order_by("-inspected_on", "-id")[:RECENT_INSPECTIONS]
    )
    meetings = (
        inspection_selectors.safety_meeting_list(user=user)
        .filter(institution=institution)
        .order_by("-held_on", "-id")[:RECENT_MEETINGS]
    )
    year_start = today.replace(month=1, day=1)
    staff = (
        staff_list(user=user)
        .filter(institution=institution, left_on__isnull=True)
        .annotate(
            trainings_this_year=Count("trainings", filter=Q(trainings__held_on__gte=year_start)),
        )
        .order_by("position", "name", "id")
    )
    return render(
        request,
        "institutions/institution.html",
        {
            "institution": institution,
            "figures": institution_figures(institution=institution, today=today),
            "in_care": in_care,
            "open_findings": open_findings,
            "inspections": inspections,
            "meetings": meetings,
            "staff": staff,
            "writes": writes,
            "inspects": may_inspect(user, institution),
            "is_own": is_institution_user(user) and user.institution_id == institution.id,
            "today": today,
        },
    )
