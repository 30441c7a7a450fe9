"""Pages of the recognition workflow: list, filing, the township review queue, the county
approval queue (with applications past their time limit) and the decision page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.applications import selectors, services
from cases.applications.forms import ApplicationForm, ApproveForm, RejectForm, ReviewForm
from cases.applications.models import Application
from cases.children.lookups import IdNumberLookupThrottled, id_number_lookup
from cases.children.selectors import child_get
from cases.children.views import lookup_throttled_page
from welfare.audit import client_ip
from welfare.errors import ApplicationError
from welfare.forms import form_add_service_errors
from welfare.models import Region
from welfare.roles import Action, can


def _page(request, qs):
    return Paginator(qs, 50).get_page(request.GET.get("page"))


@login_required
def application_list(request):
    status = request.GET.get("status", "")
    if status not in Application.Status.values:
        status = ""
    qs = selectors.application_search(user=request.user, status=status)
    return render(
        request,
        "cases/applications/list.html",
        {"page": _page(request, qs), "status": status, "statuses": Application.Status.choices, "today": timezone.localdate(),
         "may_apply": can(request.user, Action.APPLY), "title": _("Applications")},
    )


@login_required
def application_township_queue(request):
    if not can(request.user, Action.REVIEW):
        raise PermissionDenied
    qs = selectors.application_township_queue(user=request.user)
    return render(
        request,
        "cases/applications/list.html",
        {"page": _page(request, qs), "today": timezone.localdate(), "title": _("Applications to review"), "queue": True},
    )


@login_required
def application_county_queue(request):
    if not can(request.user, Action.APPROVE):
        raise PermissionDenied
    today = timezone.localdate()
    qs = selectors.application_county_queue(user=request.user)
    overdue = selectors.application_overdue_list(user=request.user, today=today)
    return render(
        request,
        "cases/applications/list.html",
        {"page": _page(request, qs), "overdue": overdue[:200], "overdue_count": overdue.count(), "today": today,
         "title": _("Applications to decide"), "queue": True},
    )


def _default_township(user) -> str:
    region = getattr(user, "region", None)
    if region is None:
        return ""
    if region.level == Region.Level.VILLAGE and region.parent_id:
        return region.parent.code
    return region.code if region.level == Region.Level.TOWNSHIP else ""


@login_required
def application_new(request):
    if not can(request.user, Action.APPLY):
        raise PermissionDenied
    child_id = request.POST.get("child") or request.GET.get("child")
    child = child_get(user=request.user, child_id=child_id) if child_id else None
    form = ApplicationForm(
        request.POST or None, child=child, initial={"received_region": _default_township(request.user)}
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "child"}
        try:
            if child is None:  # by identity number: a lookup (cases.children.lookups)
                id_number_lookup(
                    by=request.user, id_number=data.get("child_id_number"), purpose="application", ip_address=client_ip(request)
                )
            application = services.application_submit(by=request.user, child=child, **data)
        except IdNumberLookupThrottled as exc:
            return lookup_throttled_page(request, exc)
        except ApplicationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Filed. The county decides by %(date)s.") % {"date": application.due_on.isoformat()}
            )
            return redirect("cases:application_detail", pk=application.id)
    return render(
        request, "cases/applications/new.html", {"form": form, "child": child}, status=400 if form.errors else 200
    )


@login_required
def application_detail(request, pk):
    application = selectors.application_get(user=request.user, application_id=pk)
    forms = {"review": ReviewForm(prefix="review"), "approve": ApproveForm(prefix="approve"), "reject": RejectForm(prefix="reject")}
    status = 200
    if request.method == "POST":
        which = request.POST.get("action", "")
        if which in forms:
            form = forms[which] = type(forms[which])(request.POST, prefix=which)
            if form.is_valid():
                try:
                    if which == "review":
                        services.application_review(by=request.user, application=application, **form.cleaned_data)
                    elif which == "approve":
                        services.application_approve(by=request.user, application=application, **form.cleaned_data)
                    else:
                        services.application_reject(by=request.user, application=application, **form.cleaned_data)
                except ApplicationError as exc:
                    form_add_service_errors(form, exc)
                else:
                    messages.success(request, _("Saved."))
                    return redirect("cases:application_detail", pk=pk)
            status = 400
    today = timezone.localdate()
    return render(
        request,
        "cases/applications/detail.html",
        {
            "a": application,
            "forms": forms,
            "today": today,
            "overdue": application.status in services.OPEN and application.due_on < today,
            "may_review": can(request.user, Action.REVIEW) and application.status == Application.Status.SUBMITTED,
            "may_decide": can(request.user, Action.APPROVE) and application.status in services.OPEN,
            "enrollment": application.enrollments.first(),
        },
        status=status,
    )
