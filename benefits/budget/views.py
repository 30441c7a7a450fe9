"""The budget page (/benefits/budget/) and its xlsx exports. Thin: the figures come from
benefits/budget/selectors.py; the exports are logged by welfare.exports like the dashboard's."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from benefits.budget import selectors
from cases.children.categories import PAID_CATEGORIES, Category
from welfare.errors import ApplicationError
from welfare.exports import export_rows
from welfare.roles import Action, can, require
from welfare.scoping import region_list


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _query(request) -> dict[str, str]:
    keys = ("region", "year", "raise_percent", "raise_from", "rounding")
    return {k: request.GET.get(k, "").strip()[:20] for k in keys if request.GET.get(k, "").strip()}


def _inputs(request):
    """(region, ProjectionInput): 403 for a role that may not, 404 outside scope, ApplicationError
    for a bad year or raise."""
    region = selectors.budget_region_get(user=request.user, code=request.GET.get("region"))
    given = selectors.projection_input(
        year=request.GET.get("year"),
        raise_percent=request.GET.get("raise_percent"),
        raise_from=request.GET.get("raise_from"),
        rounding=request.GET.get("rounding"),
    )
    return region, given


def _rows(p: selectors.Projection, categories: list[str]) -> list[dict]:
    rows = []
    for m in p.months:
        rows.append(
            {
                "month": m.month,
                "label": m.month.strftime("%Y-%m"),
                "shown": [(f"{m.by_category[c].children:,}", _money(m.by_category[c].amount)) for c in categories],
                "grants": _money(m.grants),
                "grant_students": m.grant_students,
                "total": _money(m.total),
                "m": m,
            }
        )
    return rows


def _check_rows(check: selectors.Check) -> list[dict]:
    return [
        {
            "label": m.month.strftime("%Y-%m"),
            "projected": _money(m.projected),
            "paid": _money(m.paid),
            "difference": _money(m.difference),
            "percent": f"{m.percent}%" if m.percent is not None else "–",
            "m": m,
        }
        for m in check.months
    ]


def _chart(p: selectors.Projection, check: selectors.Check | None) -> dict:
    labels = dict(Category.choices)
    used = [c for c in PAID_CATEGORIES if any(m.by_category[c].amount for m in p.months)]
    data: dict = {
        "projection": {
            "labels": [m.month.strftime("%Y-%m") for m in p.months],
            "series": [{"name": str(labels[c]), "values": [float(m.by_category[c].amount) for m in p.months]} for c in used],
            "grants": {"name": _("Education grants"), "values": [float(m.grants) for m in p.months]},
        },
        "texts": {"yuan": _("Yuan"), "projected": _("Projected"), "paid": _("Paid by the runs")},
    }
    if check is not None:
        data["check"] = {
            "labels": [m.month.strftime("%Y-%m") for m in check.months],
            "projected": [float(m.projected) for m in check.months],
            "paid": [float(m.paid) for m in check.months],
        }
    return data


@login_required
@require_GET
def budget_page(request):
    require(request.user, Action.PROJECT_BUDGET)
    today = timezone.localdate()
    regions = region_list(user=request.user).filter(level__in=selectors.LEVELS).order_by("path")
    context: dict = {
        "regions": regions,
        "query": _query(request),
        "today": today,
        "max_year": today.year + selectors.MAX_YEARS_AHEAD,
        "categories": [(c, str(Category(c).label)) for c in PAID_CATEGORIES],  # narrowed below to those in the year
        "can_export": can(request.user, Action.EXPORT),
        "errors": {},
    }
    try:
        region, given = _inputs(request)
        context.update(region=region, given=given)
        projection = selectors.budget_projection(region=region, year=given.year, what_if=given.what_if)
    except ApplicationError as exc:
        context["errors"] = exc.field_errors or {"__all__": exc.message}
        context.setdefault("year", request.GET.get("year", ""))
        return render(request, "budget/budget.html", context, status=400)
    past_year = selectors.last_full_year(today)
    check = selectors.budget_check(region=region, year=past_year, today=today)
    labels = dict(Category.choices)
    # The columns of the categories paid in the year (a phone shows fewer empty columns).
    used = [c for c in PAID_CATEGORIES if any(m.by_category[c].amount or m.by_category[c].children for m in projection.months)]
    context.update(
        projection=projection,
        categories=[(c, str(labels[c])) for c in used],
        rows=_rows(projection, used),
        totals=[(projection.totals_by_category[c].children, _money(projection.totals_by_category[c].amount)) for c in used],
        total=_money(projection.total),
        allowances=_money(projection.total - projection.grants_total),
        grants_total=_money(projection.grants_total),
        rates=[
            {"label": labels[c], "per_month": r.per_month, "amount": _money(r.average_amount) if r.average_amount is not None else "–"}
            for c, r in projection.new_rates.items()
            if r.per_month
        ],
        check=check,
        check_rows=_check_rows(check),
        check_totals={
            "projected": _money(check.projected_total),
            "paid": _money(check.paid_total),
            "difference": _money(check.difference),
            "percent": f"{check.percent}%" if check.percent is not None else "–",
        },
        chart_data=_chart(projection, check if check.has_runs else None),
        export_query=urlencode({"region": region.code, **{k: v for k, v in _query(request).items() if k != "region"}}),
    )
    return render(request, "budget/budget.html", context)


# --- exports ----------------------------------------------------------------------------------

Export = tuple[list, list[tuple[str, Callable]]]


def _export_projection(region, given, today) -> Export:
    p = selectors.budget_projection(region=region, year=given.year, what_if=given.what_if)
    columns: list[tuple[str, Callable]] = [(_("Month"), lambda m: m.month.strftime("%Y-%m"))]
    for c in PAID_CATEGORIES:
        label = str(Category(c).label)
        columns.append((_("%(category)s: children") % {"category": label}, lambda m, c=c: m.by_category[c].children))
        columns.append((_("%(category)s: amount (yuan)") % {"category": label}, lambda m, c=c: m.by_category[c].amount))
    columns += [
        (_("Education grants (yuan)"), lambda m: m.grants),
        (_("Students paid a grant instalment"), lambda m: m.grant_students),
        (_("Total (yuan)"), lambda m: m.total),
    ]
    total = selectors.MonthFigures(
        month=p.months[0].month, by_category=p.totals_by_category, grants=p.grants_total, grant_students=0, total=p.total
    )
    rows = [*p.months, total]
    columns[0] = (_("Month"), lambda m: _("Year") if m is total else m.month.strftime("%Y-%m"))
    return rows, columns


def _export_check(region, given, today) -> Export:
    check = selectors.budget_check(region=region, year=selectors.last_full_year(today), today=today)
    columns: list[tuple[str, Callable]] = [
        (_("Month"), lambda m: m.month.strftime("%Y-%m")),
        (_("Projected from the first day (yuan)"), lambda m: m.projected),
        (_("Paid by the runs (yuan)"), lambda m: m.paid),
        (_("Difference (yuan)"), lambda m: m.difference),
        (_("Difference (%)"), lambda m: m.percent),
        (_("Children projected"), lambda m: m.projected_children),
        (_("Children paid"), lambda m: m.paid_children),
    ]
    return check.months, columns


EXPORTERS: dict[str, Callable[..., Export]] = {"projection": _export_projection, "check": _export_check}


@login_required
@require_GET
def budget_export(request, table: str):
    """A table of the page as xlsx, logged (who, when, how many rows, from where)."""
    exporter = EXPORTERS.get(table)
    if exporter is None:
        raise Http404
    require(request.user, Action.PROJECT_BUDGET)
    require(request.user, Action.EXPORT)
    today = timezone.localdate()
    try:
        region, given = _inputs(request)
        rows, columns = exporter(region, given, today)
    except ApplicationError as exc:
        context = {"errors": exc.field_errors or {"__all__": exc.message}, "query": _query(request), "regions": []}
        return render(request, "budget/budget.html", context, status=400)
    year = given.year if table == "projection" else selectors.last_full_year(today)
    return export_rows(
        user=request.user,
        request=request,
        rows=rows,
        columns=columns,
        filename=f"budget-{table}-{region.code}-{year}",
        action="budget.export",
        detail={
            "region": region.code,
            "year": year,
            "table": table,
            "raise_percent": str(given.what_if.percent) if given.what_if else None,
            "raise_from": given.what_if.start.isoformat() if given.what_if else None,
        },
    )
