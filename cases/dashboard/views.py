"""Dashboard pages: figures for a region in scope on a date, drill-down, xlsx export of every table.
Thin: the figures come from cases/dashboard/selectors.py."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from operator import itemgetter

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from benefits.grants.models import StudyLevel
from cases.children.categories import PAID_CATEGORIES, Category
from cases.dashboard import selectors
from cases.dashboard.figures import parse_date
from cases.protection.models import Assessment, CaseReport, RiskLevel
from cases.protection.selectors import NO_GRADE
from institutions.selectors import institution_page_allowed
from welfare.exports import export_rows
from welfare.roles import Action, can, require


def _level_label(level: str | None) -> str:
    from welfare.models import Region

    return str(dict(Region.Level.choices).get(level, "")) if level else ""


def _params(request) -> tuple:
    """(region, date) from the query string: 404 outside scope, ValueError on a bad date."""
    on = parse_date(request.GET.get("date"))
    region = selectors.dashboard_region_get(user=request.user, code=request.GET.get("region"))
    return region, on


def _n(value) -> str:
    """A count with thousands separators (cheaper than the humanize filter on a big page)."""
    return f"{value:,}"


def _money(value) -> str:
    return f"{value:,.2f}"


def _pct(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.1f}%" if whole else "–"


def _category_table(dash: selectors.Dashboard) -> list[dict]:
    """Rows: each category with its count, then its sub-categories (if any besides blank)."""
    rows = []
    code = dash.region.code
    for cat, label in Category.choices:
        n = dash.total.categories.get(cat, 0)
        subs = dash.total.sub_categories.get(cat, {})
        rows.append(
            {
                "category": cat,
                "label": str(label),
                "count": n,
                "shown": _n(n),
                "paid": cat in PAID_CATEGORIES,
                "link": selectors.children_link(code, cat, on=dash.on),
                "subs": [
                    {"sub": s, "count": c, "shown": _n(c), "link": selectors.children_link(code, cat, s, on=dash.on)}
                    for s, c in sorted(subs.items())
                    if s and c
                ],
            }
        )
    return rows


def _subregion_table(dash: selectors.Dashboard) -> list[dict]:
    rows: list[dict] = []
    for region, f in dash.rows:
        rows.append(
            {
                "region": region,
                "drill": f"?region={region.code}&date={dash.on.isoformat()}",
                "children": f.children,
                "children_link": selectors.children_link(region.code, on=dash.on),
                "left_behind": f.categories.get(Category.LEFT_BEHIND, 0),
                "left_behind_link": selectors.children_link(region.code, Category.LEFT_BEHIND, on=dash.on),
                "paid": sum(f.categories.get(c, 0) for c in PAID_CATEGORIES),
                "overdue": f.overdue_checks,
                "overdue_link": selectors.list_link("cases:checks_mine", region=region.code, state="overdue"),
                "quarter_total": f.quarter_total,
                "quarter_checked": f.quarter_checked,
                "quarter_share": _pct(f.quarter_checked, f.quarter_total),
                "villages": f.villages,
                "without_director": f.villages - f.villages_with_director,
                "directors": f.directors,
                "trained_share": _pct(f.directors_trained, f.directors),
                "pending": f.pending_applications,
                "overdue_apps": f.overdue_applications,
                "apps_link": selectors.list_link("cases:application_list", region=region.code, overdue="1"),
                "villages_link": selectors.list_link("cases:dashboard_villages", region=region.code, date=dash.on.isoformat()),
                "paid_amount": f.paid_total,
            }
        )
        row = rows[-1]
        row["fmt"] = {
            k: _n(row[k])
            for k in (
                "children",
                "left_behind",
                "overdue",
                "quarter_checked",
                "quarter_total",
                "without_director",
                "villages",
                "overdue_apps",
            )
        }
        row["fmt"]["paid_amount"] = _money(row["paid_amount"])
    return rows


def _trend_table(dash: selectors.Dashboard) -> tuple[list[str], list[dict], list[str]]:
    cats = [c for c in Category.values if any(f.categories.get(c) for f in dash.trend)]
    paid_cats = [c for c in PAID_CATEGORIES if any(f.paid_count.get(c) for f in dash.trend)]
    rows: list[dict] = []
    for day, f in zip(dash.trend_points, dash.trend, strict=False):
        rows.append(
            {
                "day": day,
                "day_shown": day.isoformat(),
                "month": day.strftime("%Y-%m"),
                "counts": [f.categories.get(c, 0) for c in cats],
                "total": f.memberships_total,
                "paid": [f.paid_amount.get(c, 0) for c in paid_cats],
                "paid_total": f.paid_total,
            }
        )
        row = rows[-1]
        row.update(
            counts_fmt=[_n(n) for n in row["counts"]],
            total_fmt=_n(row["total"]),
            paid_fmt=[_money(a) for a in row["paid"]],
            paid_total_fmt=_money(row["paid_total"]),
        )
    return cats, rows, paid_cats


def _chart_data(dash: selectors.Dashboard, categories, subrows, trend_cats, trend_rows, paid_cats) -> dict:
    labels = dict(Category.choices)
    return {
        "categories": {"labels": [r["label"] for r in categories], "values": [r["count"] for r in categories]},
        "subregions": {
            "labels": [r["region"].name for r in subrows],
            "overdue": [r["overdue"] for r in subrows],
            "quarter": [
                round(r["quarter_checked"] * 100 / r["quarter_total"], 1) if r["quarter_total"] else 0 for r in subrows
            ],
            "children": [r["children"] for r in subrows],
        },
        "trend": {
            "labels": [r["month"] for r in trend_rows],
            "series": [
                {"name": str(labels[c]), "values": [r["counts"][i] for r in trend_rows]}
                for i, c in enumerate(trend_cats)
            ],
        },
        "payouts": {
            "labels": [r["month"] for r in trend_rows],
            "series": [
                {"name": str(labels[c]), "values": [float(r["paid"][i]) for r in trend_rows]}
                for i, c in enumerate(paid_cats)
            ],
        },
        "institutions": [{"name": label, "value": n} for _k, label, n in dash.institutions],
        "texts": {"percent": _("Checked in the quarter (%)"), "overdue": _("Overdue checks"), "yuan": _("Yuan")},
    }


def _casework_labels() -> dict[str, dict[str, str]]:
    return {
        "risk": {k: str(v) for k, v in RiskLevel.choices},
        "grade": {**{k: str(v) for k, v in Assessment.Grade.choices}, NO_GRADE: _("Not yet assessed")},
        "source": {k: str(v) for k, v in CaseReport.Source.choices},
        "concern": {k: str(v) for k, v in CaseReport.Concern.choices},
    }


def _casework_months(cw: selectors.Casework) -> tuple[list[str], list[str], list[dict]]:
    """Reports received per month: the sources and the concerns that occur in the twelve months
    (codes), and a row per month with its counts by source and by concern and its total."""
    by_source: Counter = Counter()
    by_concern: Counter = Counter()
    per_month: dict = {m: (Counter(), Counter()) for m in cw.months}
    for (month, source, concern), n in cw.total.reports.items():
        if month in per_month:
            per_month[month][0][source] += n
            per_month[month][1][concern] += n
        by_source[source] += n
        by_concern[concern] += n
    sources = [c for c in CaseReport.Source.values if by_source[c]]
    concerns = [c for c in CaseReport.Concern.values if by_concern[c]]
    rows = []
    for month, (s, c) in per_month.items():
        rows.append(
            {
                "month": month,
                "label": month.strftime("%Y-%m"),
                "by_source": [s[k] for k in sources],
                "by_concern": [c[k] for k in concerns],
                "total": sum(s.values()),
            }
        )
    return sources, concerns, rows


def _casework_subregion_table(dash: selectors.Dashboard) -> list[dict]:
    """One row per region one level below, then the region's total (which also counts what is
    recorded on the region itself, such as a report about the county as a whole)."""
    cw = dash.casework
    assert cw is not None
    worklist, queue = _casework_links(dash)
    rows = []
    for region, f in [*cw.rows, (dash.region, cw.total)]:
        code = region.code
        total = region == dash.region
        rows.append(
            {
                "region": region,
                "total": total,
                "drill": "" if total else f"?region={code}&date={dash.on.isoformat()}",
                "open": f.open_cases,
                "open_link": worklist(region=code),
                "risk": [
                    {"count": f.by_risk.get(k, 0), "link": worklist(region=code, risk=k)} for k in RiskLevel.values
                ],
                "reports": f.reports_received,
                "past_deadline": f.reports_past_deadline,
                "past_deadline_link": queue(region=code, overdue="1"),
                "referrals": f.referrals_waiting,
                "referrals_link": worklist(region=code, referral="sent"),
                "follow_ups": f.follow_ups_overdue,
                "follow_ups_link": worklist(region=code, follow_up="overdue"),
            }
        )
    return rows


def _casework_links(dash: selectors.Dashboard) -> tuple[Callable[..., str | None], Callable[..., str | None]]:
    """Link makers to the case worklist and the screening queue behind a number, or makers of
    None (a plain number) for a viewer who may not open them (city and province officials)."""
    cw = dash.casework
    if cw is None or not cw.lists_open:
        return (lambda **_q: None), (lambda **_q: None)
    return (
        lambda **q: selectors.list_link("cases:protection_my_cases", **q),
        lambda **q: selectors.list_link("cases:protection_screening", **q),
    )


def _casework_context(dash: selectors.Dashboard) -> dict | None:
    cw = dash.casework
    if cw is None:
        return None
    labels = _casework_labels()
    worklist, queue = _casework_links(dash)
    code = dash.region.code
    t = cw.total
    sources, concerns, months = _casework_months(cw)
    risk = [
        {"key": k, "label": labels["risk"][k], "count": t.by_risk.get(k, 0), "link": worklist(region=code, risk=k)}
        for k in RiskLevel.values
    ]
    grades = [
        {"key": k, "label": label, "count": t.by_grade.get(k, 0), "link": worklist(region=code, grade=k)}
        for k, label in labels["grade"].items()
    ]
    return {
        "t": t,
        "open": t.open_cases,
        "open_link": worklist(region=code),
        "high": t.by_risk.get(RiskLevel.HIGH, 0),
        "high_link": worklist(region=code, risk=RiskLevel.HIGH),
        "past_deadline_link": queue(region=code, overdue="1"),
        "referrals_link": worklist(region=code, referral="sent"),
        "follow_ups_link": worklist(region=code, follow_up="overdue"),
        "risk": risk,
        "grades": grades,
        "sources": [labels["source"][k] for k in sources],
        "concerns": [labels["concern"][k] for k in concerns],
        "months": months,
        "subrows": _casework_subregion_table(dash),
        "risk_labels": [labels["risk"][k] for k in RiskLevel.values],
        "chart": {
            "cases": {
                "labels": [r["label"] for r in risk] + [g["label"] for g in grades],
                "risk": [r["count"] for r in risk] + [None] * len(grades),
                "grade": [None] * len(risk) + [g["count"] for g in grades],
                "names": [_("Risk level"), _("Guardianship grade")],
            },
            "reports": {
                "labels": [m["label"] for m in months],
                "series": [
                    {"name": labels["source"][k], "values": [m["by_source"][i] for m in months]}
                    for i, k in enumerate(sources)
                ],
            },
        },
    }


def _institutions_at_work(request, dash: selectors.Dashboard) -> dict:
    """The institution figures of a county, city or province dashboard (issue 16: children in
    care, admissions and discharges per month, inspections this year, findings past their
    deadline, safety-meeting and training coverage; from the dashboard's snapshot, as its other
    figures) and the links to the institution pages."""
    inst = dash.institutions_at_work
    if inst is None:
        return {"inst": None}
    meetings, training = inst["safety_meetings"][-1], inst["training"]
    allowed = institution_page_allowed(request.user)
    return {
        "inst": inst,
        "inst_meetings_missing": meetings["institutions"] - meetings["covered"],
        "inst_meetings_share": _pct(meetings["covered"], meetings["institutions"]),
        "inst_meetings": meetings,
        "inst_training_share": _pct(training["trained"], training["staff_in_post"]),
        "findings_overdue_link": selectors.list_link("institutions:findings_overdue", region=dash.region.code) if allowed else None,
    }


@login_required
def dashboard_page(request):
    try:
        region, on = _params(request)
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    dash = selectors.dashboard_summary(user=request.user, region=region, on=on)
    categories = _category_table(dash)
    subrows = _subregion_table(dash)
    trend_cats, trend_rows, paid_cats = _trend_table(dash)
    labels = dict(Category.choices)
    casework = _casework_context(dash)
    chart_data = _chart_data(dash, categories, subrows, trend_cats, trend_rows, paid_cats)
    if casework is not None:
        chart_data["casework"] = casework.pop("chart")
    t = dash.total
    shown = {name: _n(getattr(t, name)) for name in (*t.INT_FIELDS, "memberships_total")}
    shown["villages_without_director"] = _n(dash.villages_without_director_count)
    context = {
        "t": shown,
        "dash": dash,
        "region": region,
        "on": on,
        "today": timezone.localdate(),
        "breadcrumbs": selectors.dashboard_breadcrumbs(user=request.user, region=region),
        "level_below_label": _level_label(dash.level_below),
        "categories": categories,
        "subrows": subrows,
        "trend_cats": [str(labels[c]) for c in trend_cats],
        "trend_rows": trend_rows,
        "paid_cats": [str(labels[c]) for c in paid_cats],
        "chart_data": chart_data,
        "casework": casework,
        "can_export": can(request.user, Action.EXPORT),
        "quarter_share": _pct(t.quarter_checked, t.quarter_total),
        "trained_share": _pct(t.directors_trained, t.directors),
        "coverage_share": _pct(t.villages_with_director, t.villages),
        "overdue_link": selectors.list_link("cases:checks_mine", region=region.code, state="overdue"),
        "apps_link": selectors.list_link("cases:application_list", region=region.code, overdue="1"),
        "pending_link": selectors.list_link("cases:application_list", region=region.code, status="pending"),
        "children_link": selectors.children_link(region.code, on=on),
        "payouts_link": selectors.list_link("benefits:payout_run_list", region=region.code),
        "institutions_link": (
            selectors.list_link("institutions:institution_list", region=region.code)
            if institution_page_allowed(request.user)
            else None
        ),
        "standards_link": selectors.list_link("benefits:standard_list", region=region.code),
        **_institutions_at_work(request, dash),
        "overdue_apps_by_category": [
            {
                "label": str(labels[c]),
                "count": n,
                "link": selectors.list_link("cases:application_list", region=region.code, category=c, overdue="1"),
            }
            for c, n in sorted(t.overdue_applications_by_category.items())
        ],
        "query": f"region={region.code}&date={on.isoformat()}",
        "grants": dash.grants,
        "grant_levels": [(label, dash.grants["by_study_level"].get(code, 0)) for code, label in StudyLevel.choices],
    }
    return render(request, "dashboard/dashboard.html", context)


@login_required
def villages_without_director_page(request):
    try:
        region, on = _params(request)
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    qs = selectors.dashboard_villages_without_director(user=request.user, region=region)
    if request.GET.get("export") == "xlsx":
        return export_rows(
            user=request.user,
            request=request,
            rows=qs.iterator(),
            columns=[
                (_("Code"), lambda r: r.code),
                (_("Village"), lambda r: r.name),
                (_("Township"), lambda r: r.parent.name if r.parent else ""),
            ],
            filename="villages-without-child-director",
            action="dashboard.export",
            detail={"region": region.code, "table": "villages_without_director"},
        )
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboard/villages.html",
        {
            "region": region,
            "on": on,
            "page": page,
            "can_export": can(request.user, Action.EXPORT),
            "breadcrumbs": selectors.dashboard_breadcrumbs(user=request.user, region=region),
        },
    )


def _nth(key: str, i: int):
    return lambda r: r[key][i]


# An exporter gives the rows of one table of the dashboard and its columns (heading, value of a row).
Export = tuple[list, list[tuple[str, Callable]]]


def _export_categories(dash: selectors.Dashboard) -> Export:
    rows = []
    for r in _category_table(dash):
        rows.append((r["label"], "", r["count"]))
        rows.extend((r["label"], s["sub"], s["count"]) for s in r["subs"])
    columns = [
        (_("Category"), lambda r: r[0]),
        (_("Sub-category"), lambda r: r[1]),
        (_("Children"), lambda r: r[2]),
    ]
    return rows, columns


def _export_subregions(dash: selectors.Dashboard) -> Export:
    figures = [
        (_("Children"), "children"),
        (_("Left-behind"), "left_behind"),
        (_("In paid categories"), "paid"),
        (_("Overdue checks"), "overdue"),
        (_("Left-behind children this quarter"), "quarter_total"),
        (_("Checked this quarter"), "quarter_checked"),
        (_("Villages"), "villages"),
        (_("Villages without a child director"), "without_director"),
        (_("Child directors"), "directors"),
        (_("Applications pending"), "pending"),
        (_("Applications past their limit"), "overdue_apps"),
        (_("Paid in the month (yuan)"), "paid_amount"),
    ]
    columns: list[tuple[str, Callable]] = [
        (_("Code"), lambda r: r["region"].code),
        (_("Region"), lambda r: r["region"].name),
        *[(heading, itemgetter(key)) for heading, key in figures],
    ]
    return _subregion_table(dash), columns


def _trend_columns(categories: list[str], key: str, total: str) -> list[tuple[str, Callable]]:
    """The month, one column per category (the row's `key` list), then the row's `total`."""
    labels = dict(Category.choices)
    return [
        (_("Month"), lambda r: r["day"].isoformat()),
        *[(str(labels[c]), _nth(key, i)) for i, c in enumerate(categories)],
        (_("Total"), lambda r: r[total]),
    ]


def _export_trend(dash: selectors.Dashboard) -> Export:
    cats, rows, _paid_cats = _trend_table(dash)
    return rows, _trend_columns(cats, "counts", "total")


def _export_payouts(dash: selectors.Dashboard) -> Export:
    _cats, rows, paid_cats = _trend_table(dash)
    return rows, _trend_columns(paid_cats, "paid", "paid_total")


def _export_institutions(dash: selectors.Dashboard) -> Export:
    return dash.institutions, [(_("Kind"), lambda r: r[1]), (_("Institutions"), lambda r: r[2])]


def _export_standards(dash: selectors.Dashboard) -> Export:
    columns = [
        (_("Category"), lambda r: r["label"]),
        (_("Monthly amount"), lambda r: r["now_amount"]),
        (_("Set by"), lambda r: str(r["now"].standard.region.name) if r["now"] else ""),
        (_("Effective from"), lambda r: r["now"].standard.effective_from.isoformat() if r["now"] else ""),
        (_("A year before"), lambda r: r["before_amount"]),
        (_("Change"), lambda r: r["change"]),
        (_("Change (%)"), lambda r: r["change_percent"]),
    ]
    return dash.standards, columns


def _export_applications(dash: selectors.Dashboard) -> Export:
    labels = dict(Category.choices)
    rows = [
        (_("Pending"), dash.total.pending_applications),
        (_("Past their limit"), dash.total.overdue_applications),
        *[(str(labels[c]), n) for c, n in sorted(dash.total.overdue_applications_by_category.items())],
    ]
    return rows, [(_("Applications"), lambda r: str(r[0])), (_("Count"), lambda r: r[1])]


def _casework(dash: selectors.Dashboard) -> selectors.Casework:
    """The casework figures of a county, city or province dashboard; 404 for a township or a village."""
    if dash.casework is None:
        raise Http404
    return dash.casework


def _export_casework_cases(dash: selectors.Dashboard) -> Export:
    t = _casework(dash).total
    labels = _casework_labels()
    rows = [
        *[(_("Risk level"), labels["risk"][k], t.by_risk.get(k, 0)) for k in RiskLevel.values],
        *[(_("Guardianship grade"), label, t.by_grade.get(k, 0)) for k, label in labels["grade"].items()],
        (_("Total"), _("Open cases"), t.open_cases),
    ]
    return rows, [(_("By"), itemgetter(0)), (_("Group"), itemgetter(1)), (_("Open cases"), itemgetter(2))]


def _export_casework_reports(key: str) -> Callable[[selectors.Dashboard], Export]:
    def exporter(dash: selectors.Dashboard) -> Export:
        sources, concerns, rows = _casework_months(_casework(dash))
        codes = sources if key == "source" else concerns
        labels = _casework_labels()[key]
        columns: list[tuple[str, Callable]] = [
            (_("Month"), itemgetter("label")),
            *[(labels[c], _nth(f"by_{key}", i)) for i, c in enumerate(codes)],
            (_("Total"), itemgetter("total")),
        ]
        return rows, columns

    return exporter


def _export_casework_subregions(dash: selectors.Dashboard) -> Export:
    _casework(dash)
    risk = _casework_labels()["risk"]
    columns: list[tuple[str, Callable]] = [
        (_("Code"), lambda r: r["region"].code),
        (
            _("Region"),
            lambda r: r["region"].name if not r["total"] else _("%(name)s (total)") % {"name": r["region"].name},
        ),
        (_("Open cases"), itemgetter("open")),
        *[
            (_("Open cases: %(level)s") % {"level": risk[k]}, lambda r, i=i: r["risk"][i]["count"])
            for i, k in enumerate(RiskLevel.values)
        ],
        (_("Reports in 12 months"), itemgetter("reports")),
        (_("Reports past their deadline"), itemgetter("past_deadline")),
        (_("Referrals waiting for an answer"), itemgetter("referrals")),
        (_("Follow-ups overdue"), itemgetter("follow_ups")),
    ]
    return _casework_subregion_table(dash), columns


# The tables of the dashboard that export (the name in the URL), each with its exporter.
EXPORTERS: dict[str, Callable[[selectors.Dashboard], Export]] = {
    "categories": _export_categories,
    "subregions": _export_subregions,
    "trend": _export_trend,
    "payouts": _export_payouts,
    "institutions": _export_institutions,
    "standards": _export_standards,
    "applications": _export_applications,
    "casework_cases": _export_casework_cases,
    "casework_sources": _export_casework_reports("source"),
    "casework_concerns": _export_casework_reports("concern"),
    "casework_subregions": _export_casework_subregions,
}
TREND_EXPORTS = ("trend", "payouts")  # the tables that need the twelve months of the trend
CASEWORK_EXPORTS = ("casework_cases", "casework_sources", "casework_concerns", "casework_subregions")


@login_required
def dashboard_export(request, table: str, fmt: str = "xlsx"):
    """Any table of the dashboard as xlsx or csv (the same figures the page shows)."""
    exporter = EXPORTERS.get(table)
    if exporter is None:
        raise Http404
    require(request.user, Action.EXPORT)  # before any figure is computed
    try:
        region, on = _params(request)
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    dash = selectors.dashboard_summary(
        user=request.user,
        region=region,
        on=on,
        with_trend=table in TREND_EXPORTS,
        with_casework=table in CASEWORK_EXPORTS,
    )
    rows, columns = exporter(dash)
    return export_rows(
        user=request.user,
        request=request,
        rows=rows,
        columns=columns,
        filename=f"dashboard-{table}-{region.code}-{on.isoformat()}",
        fmt="csv" if fmt == "csv" else "xlsx",
        action="dashboard.export",
        detail={"region": region.code, "date": on.isoformat(), "table": table},
    )
