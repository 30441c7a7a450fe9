"""Pages of the institutions app: the list of institutions in one's scope (name, kind, region,
capacity, children in care, staff), reached from the dashboard's institution counts and from the
home page of institution staff."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.http import urlencode

from institutions.models import Institution
from institutions.selectors import institution_overview, institution_page_allowed

PAGE_SIZE = 50


@login_required
def institution_list_page(request):
    if not institution_page_allowed(request.user):
        raise PermissionDenied
    region_code = request.GET.get("region", "").strip()[:12]
    kind = request.GET.get("kind", "")
    if kind not in Institution.Kind.values:
        kind = ""
    qs = institution_overview(user=request.user, region_code=region_code, kind=kind)
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
