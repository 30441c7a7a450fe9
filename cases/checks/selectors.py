"""Reads of checks and the children they concern, always scoped to the user's region: worklists,
overdue and due-soon children by village, quarter completion, campaigns and their progress, the
per-village lists the daily job notifies about, and the child, checker and campaign a new check
refers to."""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.checks.dates import LEFT_BEHIND, _state_expression, check_due_soon_days, quarter_bounds
from cases.checks.models import Campaign, Check
from cases.children.models import CategoryMembership, Child
from cases.children.selectors import child_list
from welfare.errors import ApplicationError, PermissionDeniedError
from welfare.models import Region, User
from welfare.notifications import NOTIFICATION_LIST_LIMIT
from welfare.scoping import (
    get_in_scope_or_404,
    region_list,
    require_in_scope,
    scope_queryset_with_above,
)


def check_list(*, user) -> models.QuerySet[Check]:
    return Check.objects.filter(child__in=child_list(user=user))


@dataclass
class _VillageFlags:
    """One village's overdue and due-soon children, as the notifications need them."""

    village_id: int
    name: str
    code: str
    township_id: int | None
    overdue: int
    due_soon: int
    overdue_lines: str  # the first NOTIFICATION_LIST_LIMIT children, "name · YYYY-MM-DD" a line
    soon_lines: str


_FLAGS_SQL = """
WITH flagged AS (
    SELECT c.region_id, c.name, c.next_check_due, c.next_check_due < %(today)s AS late,
           row_number() OVER (PARTITION BY c.region_id, c.next_check_due < %(today)s ORDER BY c.next_check_due, c.id) AS rn
      FROM {child} c
     WHERE c.next_check_due <= %(soon)s
)
SELECT a.region_id, r.name, r.code, r.parent_id, a.overdue, a.due_soon, a.overdue_lines, a.soon_lines
  FROM (SELECT f.region_id,
               count(*) FILTER (WHERE f.late) AS overdue,
               count(*) FILTER (WHERE NOT f.late) AS due_soon,
               coalesce(string_agg(f.name || ' · ' || to_char(f.next_check_due, 'YYYY-MM-DD'), E'\\n' ORDER BY f.rn)
                        FILTER (WHERE f.late AND f.rn <= %(limit)s), '') AS overdue_lines,
               coalesce(string_agg(f.name || ' · ' || to_char(f.next_check_due, 'YYYY-MM-DD'), E'\\n' ORDER BY f.rn)
                        FILTER (WHERE NOT f.late AND f.rn <= %(limit)s), '') AS soon_lines
          FROM flagged f
         GROUP BY f.region_id) a
  JOIN {region} r ON r.id = a.region_id
"""


def _village_flags_sql(*, today: datetime.date, soon: datetime.date):
    """PostgreSQL: counts and the first names per village in one pass (no row per child in Python)."""
    sql = _FLAGS_SQL.format(child=Child._meta.db_table, region=Region._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"today": today, "soon": soon, "limit": NOTIFICATION_LIST_LIMIT})
        while rows := cursor.fetchmany(2000):
            for row in rows:
                yield _VillageFlags(*row)


def _village_flags_python(*, today: datetime.date, soon: datetime.date):
    """Any other database (the embedded SQLite): the same rows, grouped in Python."""
    rows = (
        Child.objects.filter(next_check_due__lte=soon)
        .order_by("region_id", "next_check_due", "id")
        .values_list("region_id", "name", "next_check_due", "region__name", "region__code", "region__parent_id")
    )
    for region_id, group in itertools.groupby(rows.iterator(chunk_size=5000), key=lambda r: r[0]):
        late: list[str] = []
        near: list[str] = []
        village: tuple = ()
        for _r, child_name, due, *village_fields in group:
            village = tuple(village_fields)
            (late if due < today else near).append(f"{child_name} · {due.isoformat()}")  # type: ignore[operator,union-attr]
        yield _VillageFlags(  # type: ignore[call-arg]
            region_id, *village, len(late), len(near),
            "\n".join(late[:NOTIFICATION_LIST_LIMIT]), "\n".join(near[:NOTIFICATION_LIST_LIMIT]),
        )


def check_village_flags(*, today: datetime.date) -> list[_VillageFlags]:
    """Per village with an overdue or due-soon child: counts and the first names (for the job)."""
    soon = today + datetime.timedelta(days=check_due_soon_days())
    source = _village_flags_sql if connection.vendor == "postgresql" else _village_flags_python
    return list(source(today=today, soon=soon))


def check_children(*, user, today: datetime.date | None = None) -> models.QuerySet[Child]:
    """Tracked children in the user's scope with `state` derived now and their last check."""
    today = today or timezone.localdate()
    last = Subquery(Check.objects.filter(child_id=OuterRef("pk")).order_by("-checked_on").values("checked_on")[:1])
    return (
        child_list(user=user)
        .filter(next_check_due__isnull=False)
        .annotate(state=_state_expression(today=today), last_checked_on=last)
        .select_related("region")
    )


def check_worklist(*, user, state: str = "", today: datetime.date | None = None) -> models.QuerySet[Child]:
    """The "my checks" list: tracked children in scope, the most urgent first."""
    qs = check_children(user=user, today=today)
    if state in Child.CheckState.values:
        qs = qs.filter(state=state)  # type: ignore[misc]
    return qs.order_by("next_check_due", "name", "id")


def check_leavers(*, user, days: int = 92, today: datetime.date | None = None) -> models.QuerySet[CategoryMembership]:
    """Left-behind memberships in scope that ended recently (the child left the list), with the reason."""
    today = today or timezone.localdate()
    still = CategoryMembership.objects.filter(child_id=OuterRef("child_id"), category=LEFT_BEHIND, end_date__isnull=True)
    return (
        CategoryMembership.objects.filter(
            child__in=child_list(user=user), category=LEFT_BEHIND, end_date__gte=today - datetime.timedelta(days=days), end_date__lte=today
        )
        .exclude(Exists(still))
        .select_related("child", "child__region")
        .order_by("-end_date", "id")
    )


def check_village_overview(*, user, today: datetime.date | None = None) -> list[dict]:
    """Per village in scope: tracked, overdue and due-soon counts (with township), most overdue first."""
    today = today or timezone.localdate()
    soon = today + datetime.timedelta(days=check_due_soon_days())
    rows: list[dict[str, Any]] = [dict(r) for r in
        child_list(user=user)
        .filter(next_check_due__isnull=False)
        .values("region_id")
        .annotate(
            tracked=Count("id"),
            overdue=Count("id", filter=Q(next_check_due__lt=today)),
            due_soon=Count("id", filter=Q(next_check_due__gte=today, next_check_due__lte=soon)),
        )
        .order_by()
    ]
    regions = Region.objects.in_bulk([r["region_id"] for r in rows])
    parents = Region.objects.in_bulk({r.parent_id for r in regions.values() if r.parent_id})
    for row in rows:
        village = regions[row["region_id"]]
        row["village"], row["township"] = village, parents.get(village.parent_id)
    rows.sort(key=lambda r: (r["township"].code if r["township"] else "", -r["overdue"], r["village"].code))
    return rows


def check_flagged_children(*, user, village: Region | None = None, today: datetime.date | None = None) -> models.QuerySet[Child]:
    """Overdue and due-soon children in scope (optionally in one village), most overdue first."""
    today = today or timezone.localdate()
    soon = today + datetime.timedelta(days=check_due_soon_days())
    qs = check_children(user=user, today=today).filter(next_check_due__lte=soon)
    if village is not None:
        qs = qs.filter(region=village)
    return qs.select_related("region", "region__parent").order_by("region__code", "next_check_due", "id")


def check_region_get(*, user, code: str) -> Region:
    """A region in the user's scope by code, or 404."""
    return get_in_scope_or_404(region_list(user=user), code=code)


def check_quarter_completion(*, user, region: Region, year: int, quarter: int) -> dict:
    """The share of left-behind children with at least one check in a calendar quarter, for
    `region` and for each region one level below it. A child counts when their left-behind
    membership overlaps the quarter and they lived in the region's subtree (in scope)."""
    require_in_scope(user, region)
    start, end = quarter_bounds(year, quarter)
    member = CategoryMembership.objects.filter(child_id=OuterRef("pk"), category=LEFT_BEHIND).open_during(start, end)
    checked = Check.objects.filter(child_id=OuterRef("pk"), checked_on__gte=start, checked_on__lte=end)
    per_village = (
        child_list(user=user)
        .filter(region__path__startswith=region.path)
        .filter(Exists(member))
        .annotate(was_checked=Exists(checked))
        .values("region_id")
        .annotate(total=Count("id"), checked=Count("id", filter=Q(was_checked=True)))
        .order_by()
    )
    depth = len(region.ancestor_codes())
    groups: dict[str, dict] = {}
    paths = dict(Region.objects.filter(path__startswith=region.path).values_list("id", "path"))
    for row in per_village:
        codes = [c for c in paths[row["region_id"]].split("/") if c]
        key = codes[depth] if len(codes) > depth else codes[-1]
        g = groups.setdefault(key, {"total": 0, "checked": 0})
        g["total"] += row["total"]
        g["checked"] += row["checked"]
    children_regions = {r.code: r for r in Region.objects.filter(code__in=groups.keys())}
    rows = []
    for code in sorted(groups):
        g = groups[code]
        rows.append({"region": children_regions.get(code), **g, "share": (g["checked"] / g["total"]) if g["total"] else None})
    total = sum(g["total"] for g in groups.values())
    done = sum(g["checked"] for g in groups.values())
    return {
        "region": region,
        "year": year,
        "quarter": quarter,
        "start": start,
        "end": end,
        "total": total,
        "checked": done,
        "share": (done / total) if total else None,
        "rows": rows if region.level != Region.Level.VILLAGE else [],
    }


def campaign_list(*, user) -> models.QuerySet[Campaign]:
    """Campaigns launched in the user's subtree or above it (a province campaign reaches every village)."""
    return scope_queryset_with_above(Campaign.objects.select_related("region"), user)


def campaign_get(*, user, campaign_id) -> Campaign:
    return get_in_scope_or_404(campaign_list(user=user), id=campaign_id)


def campaign_children(*, user, campaign: Campaign) -> models.QuerySet[Child]:
    """Children the campaign must reach, in the user's scope, with `campaign_checked`."""
    member = CategoryMembership.objects.filter(child_id=OuterRef("pk"), category__in=campaign.categories).open_during(
        campaign.starts_on, campaign.deadline
    )
    done = Check.objects.filter(child_id=OuterRef("pk")).filter(
        Q(campaign=campaign) | Q(kind=campaign.kind, checked_on__gte=campaign.starts_on, checked_on__lte=campaign.deadline)
    )
    return (
        child_list(user=user)
        .filter(region__path__startswith=campaign.region.path, died_on__isnull=True)
        .filter(Exists(member))
        .annotate(campaign_checked=Exists(done))
    )


def campaign_progress(*, user, campaign: Campaign) -> dict:
    """Progress of a campaign by village (in the user's scope)."""
    rows: list[dict[str, Any]] = [dict(r) for r in
        campaign_children(user=user, campaign=campaign)
        .values("region_id")
        .annotate(total=Count("id"), checked=Count("id", filter=Q(campaign_checked=True)))
        .order_by()
    ]
    regions = Region.objects.select_related("parent").in_bulk([r["region_id"] for r in rows])
    for row in rows:
        row["village"] = regions[row["region_id"]]
        row["share"] = row["checked"] / row["total"] if row["total"] else None
    rows.sort(key=lambda r: (r["share"] if r["share"] is not None else 1, r["village"].code))
    total = sum(r["total"] for r in rows)
    checked = sum(r["checked"] for r in rows)
    return {"rows": rows, "total": total, "checked": checked, "share": checked / total if total else None}


def campaigns_open_for(*, child: Child, on: datetime.date | None = None) -> models.QuerySet[Campaign]:
    """Campaigns a check of this child could count towards (its region covered, dates open)."""
    on = on or timezone.localdate()
    codes = child.region.ancestor_codes()
    return Campaign.objects.filter(region__code__in=codes, starts_on__lte=on, deadline__gte=on).order_by("deadline", "id")


def check_child_for_write(*, user, child_id) -> Child:
    """The child a check is recorded for: unknown → 400, outside the user's scope → 403."""
    child = Child.objects.select_related("region").filter(id=child_id).first() if str(child_id).isdigit() else None
    if child is None:
        raise ApplicationError(_("There is no such child."), field_errors={"child": _("There is no such child.")})
    if not child_list(user=user).filter(id=child.id).exists():
        raise PermissionDeniedError(_("This child is outside your area of responsibility."))
    return child


def check_checker_get(*, user_id) -> User:
    checker = User.objects.select_related("region").filter(id=user_id, is_active=True).first() if str(user_id).isdigit() else None
    if checker is None:
        raise ApplicationError(_("There is no such user."), field_errors={"checked_by": _("There is no such user.")})
    return checker


def check_campaign_for_write(*, user, campaign_id) -> Campaign:
    campaign = campaign_list(user=user).filter(id=campaign_id).first() if str(campaign_id).isdigit() else None
    if campaign is None:
        raise ApplicationError(_("There is no such campaign."), field_errors={"campaign": _("There is no such campaign.")})
    return campaign
