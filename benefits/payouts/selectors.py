"""Reads of payout runs, payouts and adjustments, scoped to the user: a run's change from last
month with reasons, an enrollment's payouts, the rows of the bank file."""

import datetime
from dataclasses import dataclass

from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext as _

from benefits.enrollments.models import Enrollment
from benefits.grants.selectors import grant_export_rows
from benefits.payouts.models import PAYOUT_EPOCH, Adjustment, Payout, PayoutRun, payout_id, payout_month_base
from cases.children.categories import Category
from welfare.idnumber import mask_id_number
from welfare.months import add_months, eighteen_cutoff, month_start
from welfare.roles import Action, can
from welfare.scoping import get_in_scope_or_404, scope_queryset, scope_queryset_any


def payout_run_list(*, user) -> models.QuerySet[PayoutRun]:
    return scope_queryset(PayoutRun.objects.select_related("region", "approved_by"), user, region_field="region")


def payout_run_get(*, user, run_id) -> PayoutRun:
    return get_in_scope_or_404(payout_run_list(user=user), id=run_id)


def enrollment_payouts(*, enrollment: Enrollment, limit: int = 24) -> models.QuerySet[Payout]:
    """The enrollment's latest payouts (newest first, at most `limit` months), found through the
    payout key: the child and each month of the enrollment up to this month (there is no index
    by enrollment or by child)."""
    last = month_start(timezone.localdate())
    if enrollment.end_month is not None:
        last = min(last, enrollment.end_month)
    first = max(enrollment.start_month, PAYOUT_EPOCH)
    keys: list[int] = []
    month = last
    while month >= first and len(keys) < limit:
        keys.append(payout_id(enrollment.child_id, month))
        month = add_months(month, -1)
    return (
        Payout.objects.filter(id__in=keys, category=enrollment.category).select_related("standard").order_by("-month")
    )


def payout_list(*, user) -> models.QuerySet[Payout]:
    """Payouts of runs of a county in the user's area or of children living in it."""
    qs = Payout.objects.select_related("run", "run__region", "child", "standard")
    return scope_queryset_any(qs, user, region_fields=("run__region", "child__region"))


def adjustment_list(*, user) -> models.QuerySet[Adjustment]:
    """Adjustments paid by a county in the user's area or of children living in it."""
    qs = Adjustment.objects.select_related("child", "county", "run")
    return scope_queryset_any(qs, user, region_fields=("county", "child__region"))


def payout_run_adjustments(*, run: PayoutRun) -> dict[str, list[Adjustment]]:
    """Adjustments paid in this run, and later ones that correct this month (visible on both)."""
    return {
        "paid": list(Adjustment.objects.filter(run=run).select_related("child").order_by("id")),
        "correcting": list(
            Adjustment.objects.filter(county=run.region, for_month=run.month).exclude(run=run).select_related("child", "run").order_by("id")
        ),
    }


def _stop_reason(*, enrollment: Enrollment | None, child_birth: datetime.date, died_on, month: datetime.date) -> str:
    if enrollment is not None and enrollment.end_month is not None and enrollment.end_month < month:
        return str(enrollment.get_end_reason_display() or _("Enrollment ended"))
    if died_on is not None and died_on < month:
        return str(_("Died"))
    if child_birth < eighteen_cutoff(month):
        return str(_("Turned 18"))
    return str(_("No standard applies this month"))


# A run's rows and the county's rows of the month before, both through the primary key from the
# keys of the county's enrollments (Payout.of_run: there is no index on the payout's run).
_DIFFERENCES_SQL = """
    WITH enrolled AS (SELECT DISTINCT child_id FROM benefits_enrollment WHERE county_id = %s)
    SELECT COALESCE(a.child_id, b.child_id), a.amount, b.amount, a.category, b.category,
           a.standard_id, b.standard_id, a.enrollment_id, b.enrollment_id
    FROM (
        SELECT p.child_id, p.amount, p.category, p.standard_id, p.enrollment_id FROM benefits_payout p
        WHERE p.id IN (SELECT %s | child_id FROM enrolled) AND p.run_id = %s
    ) a
    FULL OUTER JOIN (
        SELECT p.child_id, p.amount, p.category, p.standard_id, p.enrollment_id FROM benefits_payout p
        JOIN benefits_payoutrun r ON r.id = p.run_id
        WHERE p.id IN (SELECT %s | child_id FROM enrolled) AND r.region_id = %s AND p.month = %s
    ) b ON a.child_id = b.child_id
    WHERE a.child_id IS NULL OR b.child_id IS NULL OR a.amount <> b.amount OR a.category <> b.category
    ORDER BY 1
"""


def _payout_differences(*, run: PayoutRun, previous: datetime.date, limit: int) -> tuple[dict[str, int], list[tuple[str, tuple]]]:
    """The children paid this month and not last, last month and not this, or a different amount or
    category (one query): the counts of each kind and the first `limit` rows of each, as (kind,
    (child, amount, previous amount, category, previous category, standard, previous standard,
    enrollment, previous enrollment))."""
    with connection.cursor() as cur:
        cur.execute(
            _DIFFERENCES_SQL,
            [run.region_id, payout_month_base(run.month), run.id, payout_month_base(previous), run.region_id, previous],
        )
        rows = cur.fetchall()
    counts = {"new": 0, "stopped": 0, "changed": 0}
    picked = []
    for row in rows:
        kind = "new" if row[2] is None else "stopped" if row[1] is None else "changed"
        counts[kind] += 1
        if counts[kind] <= limit:
            picked.append((kind, row))
    return counts, picked


@dataclass
class _ChangeContext:
    """What the reasons of the picked rows refer to, read once for all of them."""

    children: dict
    enrollments: dict
    standards: dict
    moved_in: set[int]


def _change_context(*, picked: list[tuple[str, tuple]], previous: datetime.date) -> _ChangeContext:
    """The children, enrollments and standards of the picked rows, and which of the new children
    moved in (their enrollment elsewhere ended with a move last month): four queries."""
    from benefits.standards.models import WelfareStandard
    from cases.children.models import Child

    rows = [r for _k, r in picked]
    new_children = [r[0] for k, r in picked if k == "new"]
    return _ChangeContext(
        children={c.id: c for c in Child.objects.filter(id__in=[r[0] for r in rows])},
        enrollments={
            e.id: e for e in Enrollment.objects.filter(id__in=[x for r in rows for x in (r[7], r[8]) if x]).select_related("county")
        },
        standards={
            s.id: s for s in WelfareStandard.objects.filter(id__in=[x for r in rows for x in (r[5], r[6]) if x]).select_related("region")
        },
        moved_in=set(
            Enrollment.objects.filter(
                child_id__in=new_children, end_reason=Enrollment.EndReason.MOVED, end_month=previous
            ).values_list("child_id", flat=True)
        ),
    )


def _change_reason(kind: str, row: tuple, *, run: PayoutRun, context: _ChangeContext) -> str:
    child_id, _amount, _prev_amount, cat, prev_cat, std, prev_std, enr, prev_enr = row
    if kind == "new":
        e = context.enrollments.get(enr)
        if child_id in context.moved_in:
            return str(_("Moved in from another county"))
        if e is not None and e.start_month == run.month:
            return str(_("Enrolled from this month"))
        return str(_("Not paid last month"))
    if kind == "stopped":
        child = context.children[child_id]
        return _stop_reason(enrollment=context.enrollments.get(prev_enr), child_birth=child.birth_date, died_on=child.died_on, month=run.month)
    if cat != prev_cat:
        return str(_("Category changed: %(old)s → %(new)s") % {"old": Category(prev_cat).label, "new": Category(cat).label})
    if std != prev_std:
        old, new = context.standards.get(prev_std), context.standards.get(std)
        return str(
            _("Standard changed: %(old)s → %(new)s")
            % {
                "old": f"{old.monthly_amount} ({old.document or old.effective_from})" if old else "-",
                "new": f"{new.monthly_amount} ({new.document or new.effective_from})" if new else "-",
            }
        )
    return str(_("Amount changed"))


def payout_run_changes(*, run: PayoutRun, limit: int = 200) -> dict:
    """The change from last month, with reasons: children new this month, stopped since last
    month, and paid a different amount. A fixed number of queries, whatever the number of rows:
    one set-based query finds the differences, four read what their reasons refer to."""
    previous = add_months(run.month, -1)
    counts, picked = _payout_differences(run=run, previous=previous, limit=limit)
    context = _change_context(picked=picked, previous=previous)
    out: dict[str, list] = {"new": [], "stopped": [], "changed": []}
    for kind, row in picked:
        child_id, amount, prev_amount, cat, prev_cat = row[:5]
        child = context.children[child_id]
        out[kind].append(
            {
                "child_id": child_id,
                "child": child.name,
                "id_number": mask_id_number(child.id_number),
                "category": cat or prev_cat,
                "amount": amount,
                "previous_amount": prev_amount,
                "reason": _change_reason(kind, row, run=run, context=context),
            }
        )
    return {"counts": counts, **out, "previous_month": previous}


def payout_export_rows(*, user, run: PayoutRun, full_id_numbers: bool = False):
    """Rows of the bank file: one per payout, then one per adjustment paid in the run."""
    reveal = full_id_numbers and can(user, Action.REVEAL_ID)

    def ident(number):
        return number if reveal else mask_id_number(number)

    payouts = (
        Payout.objects.filter(Payout.of_run(run))
        .order_by("id")
        .values_list(
            "child__name", "child__id_number", "category", "amount",
            "enrollment__bank_account_holder", "enrollment__bank_account",
        )
    )
    for name, number, category, amount, holder, account in payouts.iterator(chunk_size=5000):
        yield {
            "child": name, "id_number": ident(number), "category": Category(category).label, "kind": _("Allowance"),
            "month": run.month.strftime("%Y-%m"), "amount": amount, "holder": holder, "account": account,
        }
    accounts = {
        e.child_id: e
        for e in Enrollment.objects.filter(child__adjustments__run=run).order_by("start_month")
    }
    for adj in Adjustment.objects.filter(run=run).select_related("child").order_by("id"):
        e = accounts.get(adj.child_id)
        yield {
            "child": adj.child.name, "id_number": ident(adj.child.id_number), "category": Category(adj.category).label,
            "kind": _("Back pay") if adj.amount > 0 else _("Recovery"), "month": adj.for_month.strftime("%Y-%m"),
            "amount": adj.amount, "holder": e.bank_account_holder if e else "", "account": e.bank_account if e else "",
        }
    yield from grant_export_rows(run=run, ident=ident)  # education-grant instalments, marked apart (benefits/grants)
