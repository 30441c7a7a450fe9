"""Pages of payout runs: start, check (totals, changes, adjustments), approve, compute again and
export the bank file. Thin: selectors read, services write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from benefits.payouts import selectors, services
from benefits.payouts.forms import PayoutRunStartForm
from benefits.payouts.models import PayoutRun
from benefits.standards.views import _page
from cases.children.categories import Category
from welfare.errors import ApplicationError
from welfare.forms import form_add_service_errors
from welfare.roles import Action, can


@login_required
def payout_run_list(request):
    may_run = can(request.user, Action.RUN_PAYOUTS)
    initial = {"region": request.user.region.code} if getattr(request.user, "region", None) else {}
    form = PayoutRunStartForm(request.POST or None, initial=initial) if may_run else None
    if request.method == "POST":
        if not may_run:
            raise PermissionDenied
        if form.is_valid():
            try:
                run, created = services.payout_run_start(by=request.user, region=form.cleaned_data["region"], month=form.cleaned_data["month"])
            except ApplicationError as exc:
                form_add_service_errors(form, exc)
            else:
                if not created:
                    messages.info(request, _("This month already has a run: here it is."))
                return redirect("benefits:payout_run_detail", pk=run.id)
    qs = selectors.payout_run_list(user=request.user).order_by("-month", "region__code")
    return render(request, "benefits/runs.html", {"page": _page(request, qs), "form": form})


@login_required
def payout_run_detail(request, pk):
    run = selectors.payout_run_get(user=request.user, run_id=pk)
    changes = selectors.payout_run_changes(run=run, limit=100) if run.status != PayoutRun.Status.COMPUTING else None
    totals = [(Category(code).label, t) for code, t in sorted(run.totals_by_category.items())]
    return render(
        request,
        "benefits/run_detail.html",
        {
            "run": run,
            "totals": totals,
            "changes": changes,
            "adjustments": selectors.payout_run_adjustments(run=run),
            "may_run": can(request.user, Action.RUN_PAYOUTS),
            "may_reveal": can(request.user, Action.REVEAL_ID),
        },
    )


@login_required
@require_POST
def payout_run_approve(request, pk):
    run = selectors.payout_run_get(user=request.user, run_id=pk)
    try:
        services.payout_run_approve(by=request.user, run_id=run.id)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The month is approved and frozen."))
    return redirect("benefits:payout_run_detail", pk=run.id)


@login_required
@require_POST
def payout_run_recompute(request, pk):
    run = selectors.payout_run_get(user=request.user, run_id=pk)
    try:
        services.payout_run_recompute(by=request.user, run=run)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    return redirect("benefits:payout_run_detail", pk=run.id)


@login_required
def payout_run_export(request, pk, fmt):
    from benefits.payouts.api import bank_file

    run = selectors.payout_run_get(user=request.user, run_id=pk)
    full = request.GET.get("full_id_numbers") == "1"
    if full and not can(request.user, Action.REVEAL_ID):
        raise PermissionDenied
    try:
        services.payout_run_mark_exported(by=request.user, run=run)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return redirect("benefits:payout_run_detail", pk=run.id)
    return bank_file(request=request, run=run, full=full, fmt="csv" if fmt == "csv" else "xlsx")
