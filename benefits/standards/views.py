"""Pages of allowance standards: the list, a new version and a raise. Thin: selectors read,
services write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from benefits.standards import selectors, services
from benefits.standards.forms import RaiseForm, StandardForm
from cases.children.categories import PAID_CHOICES
from welfare.errors import ApplicationError
from welfare.forms import form_add_service_errors
from welfare.roles import Action, can


def _page(request, qs, per_page: int = 50):
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


@login_required
def standard_list(request):
    can_set = can(request.user, Action.SET_STANDARDS)
    form = StandardForm(request.POST or None, prefix="std") if can_set else None
    raise_form = RaiseForm(prefix="raise") if can_set else None
    if request.method == "POST":
        if not can_set:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.standard_create(by=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, _("The standard was saved."))
                return redirect("benefits:standard_list")
    category = request.GET.get("category", "")
    qs = selectors.standard_list(user=request.user).order_by("region__path", "category", "-effective_from", "id")
    if category:
        qs = qs.filter(category=category)
    return render(
        request,
        "benefits/standards.html",
        {"page": _page(request, qs), "form": form, "raise_form": raise_form, "category": category, "categories": PAID_CHOICES},
    )


@login_required
@require_POST
def standard_raise(request):
    if not can(request.user, Action.SET_STANDARDS):
        raise PermissionDenied
    form = RaiseForm(request.POST, prefix="raise")
    if form.is_valid():
        try:
            created = services.standard_raise(by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("%(n)d new versions were created.") % {"n": len(created)})
            return redirect("benefits:standard_list")
    qs = selectors.standard_list(user=request.user).order_by("region__path", "category", "-effective_from", "id")
    return render(
        request,
        "benefits/standards.html",
        {"page": _page(request, qs), "form": StandardForm(prefix="std"), "raise_form": form, "category": "", "categories": PAID_CHOICES},
        status=400,
    )
