"""Pages of enrollments (end, move request, bank account, adjustments) and of transfers between
counties (accept, refuse). Thin: selectors read, services write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from benefits.enrollments import selectors, services
from benefits.enrollments.forms import (
    BankAccountForm,
    EnrollmentEndForm,
    EnrollmentMoveForm,
    TransferAcceptForm,
    TransferRefuseForm,
)
from benefits.enrollments.models import Transfer
from benefits.payouts.forms import AdjustmentForm
from benefits.payouts.selectors import adjustment_list, enrollment_payouts
from benefits.payouts.services import adjustment_create
from benefits.standards.views import _page
from welfare.errors import ApplicationError
from welfare.forms import form_add_service_errors
from welfare.roles import Action, can
from welfare.scoping import in_scope


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
                    adjustment_create(by=request.user, child=enrollment.child, category=enrollment.category, **data)
            except ApplicationError as exc:
                form_add_service_errors(form, exc)
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
    payouts = enrollment_payouts(enrollment=enrollment)
    transfers = selectors.transfer_list(user=request.user).filter(enrollment=enrollment).order_by("-id")
    adjustments = adjustment_list(user=request.user).filter(child=enrollment.child).order_by("-for_month", "-id")[:24]
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


def _transfer_page(request, *, bound: tuple[int, str, Form] | None = None):
    """The transfers to and from the user's area; a request to the user's county carries the accept
    and refuse forms (`bound`: a form sent back with its errors, as (transfer id, kind, form))."""
    qs = selectors.transfer_list(user=request.user).select_related("to_county__parent").order_by("-id")
    status = request.GET.get("status", "")
    if status in Transfer.Status.values:
        qs = qs.filter(status=status)
    page = _page(request, qs)
    may_decide = can(request.user, Action.APPROVE)
    villages: dict[int, list] = {}  # per receiving county, read once for all its transfers on the page
    rows = []
    for transfer in page:
        forms: dict[str, Form] | None = None
        if may_decide and transfer.status == Transfer.Status.REQUESTED and in_scope(request.user, transfer.to_county):
            ids = f"id_t{transfer.id}_%s"  # several transfers' forms on one page: distinct element ids
            county = transfer.to_county
            if county.id not in villages:
                villages[county.id] = list(selectors.transfer_villages(county=county))
            forms = {
                "accept": TransferAcceptForm(to_county=county, villages=villages[county.id], auto_id=ids),
                "refuse": TransferRefuseForm(auto_id=ids),
            }
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
            form_add_service_errors(form, exc)
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
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Refused: the allowance stays with the county that pays it."))
            return redirect("benefits:transfer_list")
    return _transfer_page(request, bound=(transfer.id, "refuse", form))
