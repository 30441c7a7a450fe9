"""Pages of allowances: standards (and raises), payout runs (start, check, approve, export),
enrollments (end, move request, bank account, adjustments), transfers between counties (accept,
refuse). Thin: selectors read, services write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms import Form
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from benefits import selectors, services
from benefits.forms import (
    PAID_CHOICES,
    AdjustmentForm,
    BankAccountForm,
    EnrollmentEndForm,
    EnrollmentMoveForm,
    PayoutRunStartForm,
    RaiseForm,
    StandardForm,
    TransferAcceptForm,
    TransferRefuseForm,
)
from benefits.models import PayoutRun, Transfer
from cases.categories import Category
from welfare.errors import ApplicationError
from welfare.roles import Action, can
from welfare.scoping import in_scope


def apply_errors(form, exc: ApplicationError) -> None:
    """Put a service's refusal on the form: on its fields when they exist, else on top."""
    placed = False
    for field, message in exc.field_errors.items():
        if field in form.fields:
            form.add_error(field, str(message))
            placed = True
    if not placed:
        form.add_error(None, str(exc.message))


def _page(request, qs, per_page: int = 50):
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


# --- standards -------------------------------------------------------------------------------------


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
                apply_errors(form, exc)
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
            apply_errors(form, exc)
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


# --- payout runs -----------------------------------------------------------------------------------


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
                apply_errors(form, exc)
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
    from benefits.api import bank_file

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


# --- enrollments -----------------------------------------------------------------------------------


@login_required
def enrollment_list(request):
    qs = selectors.enrollment_list(user=request.user).order_by("-status", "county__code", "id")
    status = request.GET.get("status", "")
    if status in ("active", "ended"):
        qs = qs.filter(status=status)
    return render(request, "benefits/enrollments.html", {"page": _page(request, qs), "status": status})


@login_required
def enrollment_detail(request, pk):
    enrollment = selectors.enrollment_get(user=request.user, enrollment_id=pk)
    forms = {
        "end": EnrollmentEndForm(prefix="end"),
        "move": EnrollmentMoveForm(prefix="move"),
        "bank": BankAccountForm(
            prefix="bank", initial={"bank_account_holder": enrollment.bank_account_holder, "bank_account": enrollment.bank_account}
        ),
        "adjust": AdjustmentForm(prefix="adjust"),
    }
    if request.method == "POST":
        which = request.POST.get("action", "")
        if which not in forms:
            return redirect("benefits:enrollment_detail", pk=pk)
        form = forms[which] = type(forms[which])(request.POST, prefix=which)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if which == "end":
                    services.enrollment_end(by=request.user, enrollment=enrollment, **data)
                elif which == "move":
                    transfer = services.transfer_request(
                        by=request.user, enrollment=enrollment, to_county=data["county"], reason=data["reason"]
                    )
                elif which == "bank":
                    services.enrollment_set_bank_account(by=request.user, enrollment=enrollment, **data)
                else:
                    services.adjustment_create(by=request.user, child=enrollment.child, category=enrollment.category, **data)
            except ApplicationError as exc:
                apply_errors(form, exc)
            else:
                if which == "move":
                    messages.success(
                        request,
                        _("The request was sent to %(county)s: the allowance moves when that county accepts it.")
                        % {"county": transfer.to_county.name},
                    )
                else:
                    messages.success(request, _("Saved."))
                return redirect("benefits:enrollment_detail", pk=pk)
    payouts = selectors.enrollment_payouts(enrollment=enrollment)
    transfers = selectors.transfer_list(user=request.user).filter(enrollment=enrollment).order_by("-id")
    adjustments = selectors.adjustment_list(user=request.user).filter(child=enrollment.child).order_by("-for_month", "-id")[:24]
    return render(
        request,
        "benefits/enrollment_detail.html",
        {
            "enrollment": enrollment,
            "forms": forms,
            "payouts": payouts,
            "adjustments": adjustments,
            "transfers": list(transfers),
            "may_decide": can(request.user, Action.APPROVE),
            "may_pay": can(request.user, Action.RUN_PAYOUTS),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- transfers between counties --------------------------------------------------------------------


def _transfer_page(request, *, bound: tuple[int, str, Form] | None = None):
    """The transfers to and from the user's area; a request to the user's county carries the accept
    and refuse forms (`bound`: a form sent back with its errors, as (transfer id, kind, form))."""
    qs = selectors.transfer_list(user=request.user).select_related("to_county__parent").order_by("-id")
    status = request.GET.get("status", "")
    if status in Transfer.Status.values:
        qs = qs.filter(status=status)
    page = _page(request, qs)
    may_decide = can(request.user, Action.APPROVE)
    rows = []
    for transfer in page:
        forms: dict[str, Form] | None = None
        if may_decide and transfer.status == Transfer.Status.REQUESTED and in_scope(request.user, transfer.to_county):
            ids = f"id_t{transfer.id}_%s"  # several transfers' forms on one page: distinct element ids
            forms = {"accept": TransferAcceptForm(to_county=transfer.to_county, auto_id=ids), "refuse": TransferRefuseForm(auto_id=ids)}
            if bound is not None and bound[0] == transfer.id:
                forms[bound[1]] = bound[2]
        rows.append((transfer, forms))
    return render(
        request,
        "benefits/transfers.html",
        {"page": page, "rows": rows, "status": status, "statuses": Transfer.Status.choices},
        status=400 if bound is not None else 200,
    )


@login_required
def transfer_list(request):
    return _transfer_page(request)


@login_required
@require_POST
def transfer_accept(request, pk):
    transfer = selectors.transfer_get(user=request.user, transfer_id=pk)
    form = TransferAcceptForm(request.POST, to_county=transfer.to_county, auto_id=f"id_t{transfer.id}_%s")
    if form.is_valid():
        try:
            services.transfer_accept(by=request.user, transfer_id=transfer.id, region=form.cleaned_data["region"])
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Accepted: your county pays from the month shown."))
            return redirect("benefits:transfer_list")
    return _transfer_page(request, bound=(transfer.id, "accept", form))


@login_required
@require_POST
def transfer_refuse(request, pk):
    transfer = selectors.transfer_get(user=request.user, transfer_id=pk)
    form = TransferRefuseForm(request.POST, auto_id=f"id_t{transfer.id}_%s")
    if form.is_valid():
        try:
            services.transfer_refuse(by=request.user, transfer_id=transfer.id, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Refused: the allowance stays with the county that pays it."))
            return redirect("benefits:transfer_list")
    return _transfer_page(request, bound=(transfer.id, "refuse", form))
