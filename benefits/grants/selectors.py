"""Reads of education grants, always scoped to the user's region (as applications: the student
in scope, or received in scope, or to be decided and paid in scope; institution staff see none).
Students over 18 stay in the registry: nothing here filters by age."""

import datetime
from decimal import Decimal

from django.db import models
from django.db.models import Count, F, Q, Sum

from benefits.grants.models import Grant, GrantPayout
from benefits.grants.resolve import ResolvedGrant, grant_standard_on, grant_standard_resolve
from cases.applications.selectors import FILING_REGIONS
from welfare.scoping import get_in_scope_or_404, scope_queryset_any, scope_queryset_with_above

__all__ = [
    "ResolvedGrant",
    "grant_figures",
    "grant_get",
    "grant_list",
    "grant_payouts_of",
    "grant_standard_on",
    "grant_standard_resolve",
    "grants_active_in",
]


def grant_list(*, user) -> models.QuerySet[Grant]:
    """Grants of students in scope, received in scope, or paid by a county in scope (as
    recognition applications: cases.applications.selectors.application_list)."""
    return scope_queryset_any(Grant.objects.all(), user, region_fields=FILING_REGIONS)


def grant_search(*, user, status: str = "", school_year: str = "") -> models.QuerySet[Grant]:
    qs = grant_list(user=user).select_related("child", "county", "received_region")
    if status:
        qs = qs.filter(status=status)
    if school_year:
        qs = qs.filter(school_year=school_year)
    return qs.order_by("-submitted_on", "-id")


def grant_get(*, user, grant_id) -> Grant:
    return get_in_scope_or_404(
        grant_list(user=user).select_related("child", "child__household_region", "county", "received_region", "standard"), id=grant_id
    )


def grant_payouts_of(*, grant: Grant) -> models.QuerySet[GrantPayout]:
    """A grant's instalments paid (the grant already read through grant_get)."""
    return GrantPayout.objects.filter(GrantPayout.of_grant(grant)).select_related("run").order_by("instalment")


def grants_active_in(*, region, month: datetime.date) -> models.QuerySet[Grant]:
    """Approved (or ended, up to their end month) grants paid by counties in a region's subtree
    whose school year contains the month (for the budget projection: not user-scoped, the caller
    scopes the region)."""
    first_year = month.year if month.month >= 9 else month.year - 1
    return Grant.objects.filter(
        county__path__startswith=region.path,
        status__in=[Grant.Status.APPROVED, Grant.Status.ENDED],
        school_year=f"{first_year}-{first_year + 1}",
    ).filter(Q(end_month__isnull=True) | Q(end_month__gte=month))


CENT = Decimal("0.01")  # grant money in yuan and fen (SQLite's sums carry more places)


def _school_year(on: datetime.date) -> str:
    first_year = on.year if on.month >= 9 else on.year - 1
    return f"{first_year}-{first_year + 1}"


def grant_counts(
    *, grants: models.QuerySet[Grant], region, on: datetime.date, by_region: bool = False
) -> dict[str | None, dict]:
    """The additive counts the dashboard's grant figures are made of (`grant_figures_from_counts`),
    in one round trip (welfare.batch.read_together): students supported — approved grants among
    `grants` (already scoped by the caller) paid by counties in the region, of the school year
    containing `on` — by study level, and grant money paid per month (instalments of approved or
    exported runs of the region's counties, the last 12 months, by the run's month):
    {None: counts}, or with `by_region` {county path: counts}. Counts: `by_study_level`
    ({level: n}), `by_month` ({"YYYY-MM": [instalments, "amount"]})."""
    from welfare.batch import read_together

    start = datetime.date(on.year - 1, on.month, 1)
    supported = grants.filter(county__path__startswith=region.path, status=Grant.Status.APPROVED, school_year=_school_year(on))
    paid = GrantPayout.objects.filter(
        run__region__path__startswith=region.path,
        run__month__gte=start,
        run__month__lte=on,
        run__status__in=["approved", "exported"],
    )
    by_level, by_month = ("study_level",), ("run__month",)
    rows = read_together(
        {
            "by_level": (supported.values(*by_level, g=F("county__path")) if by_region else supported.values(*by_level))
            .annotate(n=Count("id"))
            .order_by(),
            "money": (paid.values(*by_month, g=F("run__region__path")) if by_region else paid.values(*by_month))
            .annotate(n=Count("id"), s=Sum("amount"))
            .order_by(),
        }
    )
    out: dict[str | None, dict] = {}

    def counts(row: dict) -> dict:
        return out.setdefault(row["g"] if by_region else None, {"by_study_level": {}, "by_month": {}})

    for row in rows["by_level"]:
        levels = counts(row)["by_study_level"]
        levels[row["study_level"]] = levels.get(row["study_level"], 0) + row["n"]
    for row in rows["money"]:
        months = counts(row)["by_month"]
        n, amount = months.get(row["run__month"].strftime("%Y-%m"), (0, "0"))
        months[row["run__month"].strftime("%Y-%m")] = [n + row["n"], str(Decimal(amount) + row["s"].quantize(CENT))]
    if not by_region:
        out.setdefault(None, {"by_study_level": {}, "by_month": {}})
    return out


def grant_counts_add(total: dict, other: dict) -> dict:
    """Adds the counts `other` into `total` (both as `grant_counts` gives them)."""
    for level, n in other["by_study_level"].items():
        total["by_study_level"][level] = total["by_study_level"].get(level, 0) + n
    for month, (n, amount) in other["by_month"].items():
        m, a = total["by_month"].get(month, (0, "0"))
        total["by_month"][month] = [m + n, str(Decimal(a) + Decimal(amount))]
    return total


def grant_figures_from_counts(counts: dict) -> dict:
    """The dashboard's grant figures (see `grant_figures`) from their counts."""
    by_level = {level: n for level, n in counts["by_study_level"].items() if n}
    return {
        "students": sum(by_level.values()),
        "by_study_level": by_level,
        "by_month": [
            {"month": month, "count": n, "amount": amount} for month, (n, amount) in sorted(counts["by_month"].items())
        ],
    }


def grant_figures(*, user, region, on: datetime.date) -> dict:
    """The dashboard's figures (the region already checked in scope by the dashboard): students
    supported (approved grants of the school year containing `on`) by study level, and grant money
    paid per month (approved or exported runs of the last 12 months, by the run's month). One
    statement; county, city and province dashboards read the same figures from their snapshot."""
    return grant_figures_from_counts(grant_counts(grants=grant_list(user=user), region=region, on=on)[None])


def grant_export_rows(*, run, ident):
    """The bank file's grant lines of a run (benefits/payouts/selectors.py payout_export_rows): one
    per instalment, kind "education grant", paid into the student's own account. `ident` masks or
    shows the identity number as the export was asked."""
    from django.utils.translation import gettext as _

    lines = (
        GrantPayout.objects.filter(run=run)
        .order_by("child_id", "instalment")
        .values_list(
            "child__name", "child__id_number", "school_year", "instalment", "month", "amount",
            "grant__bank_account_holder", "grant__bank_account",
        )
    )
    for name, number, school_year, instalment, month, amount, holder, account in lines.iterator(chunk_size=5000):
        yield {
            "child": name, "id_number": ident(number),
            "category": _("%(year)s, instalment %(n)s") % {"year": school_year, "n": instalment},
            "kind": _("Education grant"), "month": month.strftime("%Y-%m"), "amount": amount, "holder": holder, "account": account,
        }


def grant_standard_list(*, user) -> models.QuerySet:
    """Grant standards of the user's area and of the regions above it (which apply to it)."""
    from benefits.grants.models import GrantStandard

    return scope_queryset_with_above(GrantStandard.objects.select_related("region"), user)
