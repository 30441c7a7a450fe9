"""Pages of the orphan education grant under /benefits/grants/: the list, filing, and the grant's
page with the county's decision, the end of study and the renewal. Thin: selectors and services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from benefits.grants import selectors, services
from benefits.grants.forms import EndForm, GrantForm, RejectForm, RenewForm
from benefits.grants.models import Grant
from cases.applications.views import _default_township
from cases.children.lookups import IdNumberLookupThrottled
from cases.children.selectors import child_get, child_visible
from cases.children.views import lookup_throttled_page
from welfare.audit import client_ip
from welfare.errors import ApplicationError
from welfare.forms import form_add_service_errors
from welfare.roles import Action, can


@login_required
def grant_list(request):
    status = request.GET.get("status", "")
    if status not in Grant.Status.values:
        status = ""
    qs = selectors.grant_search(user=request.user, status=status)
    return render(
        request,
        "benefits/grants/list.html",
        {"page": Paginator(qs, 50).get_page(request.GET.get("page")), "status": status, "statuses": Grant.Status.choices,
         "may_apply": can(request.user, Action.APPLY)},
    )


@login_required
def grant_new(request):
    if not can(request.user, Action.APPLY):
        raise PermissionDenied
    child_id = request.POST.get("child") or request.GET.get("child")
    child = child_get(user=request.user, child_id=child_id) if child_id else None
    form = GrantForm(request.POST or None, child=child, initial={"received_region": _default_township(request.user)})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "child"}
        try:
            # by identity number: the service makes the lookup (cases.children.lookups)
            grant = services.grant_apply(by=request.user, data=services.GrantInput(child=child, ip_address=client_ip(request), **data))
        except IdNumberLookupThrottled as exc:
            return lookup_throttled_page(request, exc)
        except ApplicationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Filed. The county of household registration decides."))
            return redirect("benefits:grant_detail", pk=grant.id)
    return render(request, "benefits/grants/new.html", {"form": form, "child": child}, status=400 if form.errors else 200)


@login_required
def grant_detail(request, pk):
    grant = selectors.grant_get(user=request.user, grant_id=pk)
    forms = {"reject": RejectForm(prefix="reject"), "end": EndForm(prefix="end"), "renew": RenewForm(prefix="renew")}
    status = 200
    if request.method == "POST":
        which = request.POST.get("action", "")
        try:
            if which == "approve":
                services.grant_approve(by=request.user, grant_id=grant.id)
                messages.success(request, _("Approved: paid with the county's monthly runs."))
                return redirect("benefits:grant_detail", pk=pk)
            if which in forms:
                form = forms[which] = type(forms[which])(request.POST, prefix=which)
                if form.is_valid():
                    try:
                        if which == "reject":
                            services.grant_reject(by=request.user, grant_id=grant.id, **form.cleaned_data)
                        elif which == "end":
                            services.grant_end(by=request.user, grant_id=grant.id, **form.cleaned_data)
                        else:
                            new = services.grant_renew(by=request.user, grant_id=grant.id, received_region=None, **form.cleaned_data)
                            messages.success(request, _("Filed for the next school year."))
                            return redirect("benefits:grant_detail", pk=new.id)
                    except ApplicationError as exc:
                        form_add_service_errors(form, exc)
                    else:
                        messages.success(request, _("Saved."))
                        return redirect("benefits:grant_detail", pk=pk)
                status = 400
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            status = 400
    may_decide = can(request.user, Action.APPROVE)
    return render(
        request,
        "benefits/grants/detail.html",
        {
            "g": grant,
            "forms": forms,
            "payouts": selectors.grant_payouts_of(grant=grant),
            "child_visible": child_visible(user=request.user, child_id=grant.child_id),
            "may_decide": may_decide and grant.status == Grant.Status.SUBMITTED,
            "may_end": may_decide and grant.status == Grant.Status.APPROVED,
            "may_renew": can(request.user, Action.APPLY) and grant.status in (Grant.Status.APPROVED, Grant.Status.ENDED),
        },
        status=status,
    )
