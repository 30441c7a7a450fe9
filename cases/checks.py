"""Three-monthly checks of left-behind children (每三个月一次摸底排查): services and selectors.

How it works (see also the README section "Checks of left-behind children"):

* A child is *tracked* while they have an open `left_behind` category membership, are alive and
  under 16. A tracked child carries `next_check_due` (stored, indexed); an untracked child has
  `next_check_due` and `check_state` null.
* `next_check_due` = the later of (last check, the day the child became left-behind or was
  registered) + CHECK_INTERVAL_MONTHS, with the day clamped to the month's last day
  (30 November + 3 months = 28/29 February).
* The state is derived from the due date and today: `overdue` once the due date has passed,
  `due_soon` from CHECK_DUE_SOON_DAYS before it, `ok` otherwise. Pages derive it at query time;
  the stored `check_state` is refreshed by `check_record` and by the daily job.
* The daily job (`checks_flag_overdue`, run by Celery beat and `manage.py flag_overdue_checks`)
  updates due dates and states set-wise (a few UPDATE statements), then notifies each village
  director once about their overdue and due-soon children and each township supervisor with a
  summary. Notifications carry a per-day dedupe key, so a second run the same day adds nothing.
"""

from __future__ import annotations

import calendar
import datetime
import itertools
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import mail
from django.db import NotSupportedError, connection, models, transaction
from django.db.models import Case, Count, DateField, Exists, F, Func, Max, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.categories import Category
from cases.models import Campaign, CategoryMembership, Check, Child
from cases.selectors import child_list
from welfare.audit import audit_record
from welfare.errors import ApplicationError, PermissionDeniedError
from welfare.models import Notification, Region, User
from welfare.roles import Action, Role, require
from welfare.scoping import (
    get_in_scope_or_404,
    record_in_scope,
    region_list,
    require_in_scope,
    require_record_in_scope,
)

logger = logging.getLogger(__name__)

LEFT_BEHIND = Category.LEFT_BEHIND
LEFT_BEHIND_MAX_AGE = 16  # a left-behind child is under 16 (national policy)
NOTIFICATION_KIND_DIRECTOR = "checks.director"
NOTIFICATION_KIND_SUPERVISOR = "checks.supervisor"
NOTIFICATION_LIST_LIMIT = 20  # children named in one notification per state; the page has them all


# --------------------------------------------------------------------------------------------
# Dates and states (pure functions)
# --------------------------------------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` plus whole months, the day clamped to the target month's last day
    (2023-11-30 + 3 = 2024-02-29, 2025-11-30 + 3 = 2026-02-28, 2024-08-31 + 3 = 2024-11-30)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def check_interval_months() -> int:
    return int(settings.CHECK_INTERVAL_MONTHS)


def check_due_soon_days() -> int:
    return int(settings.CHECK_DUE_SOON_DAYS)


def check_state_for(due: datetime.date | None, *, today: datetime.date) -> str | None:
    """`overdue` once the due date has passed, `due_soon` from CHECK_DUE_SOON_DAYS before it
    (the due day itself included), `ok` before that; None for an untracked child."""
    if due is None:
        return None
    if due < today:
        return Child.CheckState.OVERDUE
    if due <= today + datetime.timedelta(days=check_due_soon_days()):
        return Child.CheckState.DUE_SOON
    return Child.CheckState.OK


def sixteen_cutoff(today: datetime.date) -> datetime.date:
    """Children born on or before this date are 16 or older today."""
    return add_months(today, -12 * LEFT_BEHIND_MAX_AGE)


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    if quarter not in (1, 2, 3, 4):
        raise ApplicationError(_("A quarter is 1, 2, 3 or 4."), field_errors={"quarter": _("A quarter is 1, 2, 3 or 4.")})
    first_month = 3 * (quarter - 1) + 1
    start = datetime.date(year, first_month, 1)
    return start, add_months(start, 3) - datetime.timedelta(days=1)


def quarter_of(day: datetime.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


class AddMonths(Func):
    """SQL `date + n months`, clamped to the month's last day like `add_months`.
    PostgreSQL's interval arithmetic clamps by itself; SQLite needs the min() of two forms."""

    output_field = DateField()

    def __init__(self, expression, *, months: int):
        self.months = int(months)
        super().__init__(expression, output_field=DateField())

    def as_sql(self, compiler, connection, **extra):  # pragma: no cover - only PostgreSQL and SQLite are supported
        raise NotSupportedError("AddMonths supports PostgreSQL and SQLite.")

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(({sql}) + make_interval(months => {self.months}))::date", params

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        m = self.months
        return (
            f"min(date({sql}, '{m:+d} months'), date({sql}, 'start of month', '{m + 1:+d} months', '-1 day'))",
            (*params, *params),
        )


def _open_left_behind(*, today: datetime.date, child_ref: str = "pk") -> models.QuerySet[CategoryMembership]:
    """Left-behind memberships open today, correlated with the outer child."""
    return CategoryMembership.objects.filter(
        child_id=OuterRef(child_ref), category=LEFT_BEHIND, start_date__lte=today
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=today))


def _tracked_q(*, today: datetime.date) -> Q:
    """The children whose checks are tracked today."""
    return Q(Exists(_open_left_behind(today=today)), died_on__isnull=True, birth_date__gt=sixteen_cutoff(today))


def _state_expression(*, today: datetime.date) -> Case:
    soon = today + datetime.timedelta(days=check_due_soon_days())
    return Case(
        When(next_check_due__isnull=True, then=Value(None)),
        When(next_check_due__lt=today, then=Value(Child.CheckState.OVERDUE.value)),
        When(next_check_due__lte=soon, then=Value(Child.CheckState.DUE_SOON.value)),
        default=Value(Child.CheckState.OK.value),
        output_field=models.CharField(),
    )


# --------------------------------------------------------------------------------------------
# One child: the schedule after a check or a change of category
# --------------------------------------------------------------------------------------------


def check_due_date_for(*, child: Child, today: datetime.date | None = None) -> datetime.date | None:
    """The due date the rules give this child today (None when not tracked)."""
    today = today or timezone.localdate()
    if child.died_on is not None or child.birth_date <= sixteen_cutoff(today):
        return None
    membership = (
        CategoryMembership.objects.filter(child=child, category=LEFT_BEHIND, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .order_by("start_date")
        .first()
    )
    if membership is None:
        return None
    anchor = max(child.registered_on, membership.start_date)
    last = Check.objects.filter(child=child).aggregate(last=Max("checked_on"))["last"]
    if last is not None and last > anchor:
        anchor = last
    return add_months(anchor, check_interval_months())


@transaction.atomic
def check_schedule_refresh(*, child: Child, today: datetime.date | None = None) -> Child:
    """Recompute one child's `next_check_due` and `check_state` (after a check, or when the
    child joins or leaves the left-behind category: membership services may call this)."""
    today = today or timezone.localdate()
    due = check_due_date_for(child=child, today=today)
    state = check_state_for(due, today=today)
    if (child.next_check_due, child.check_state) != (due, state):
        Child.objects.filter(id=child.id).update(next_check_due=due, check_state=state)
        child.next_check_due, child.check_state = due, state
    return child


# --------------------------------------------------------------------------------------------
# Recording a check
# --------------------------------------------------------------------------------------------


def check_repeat_window() -> datetime.timedelta:
    return datetime.timedelta(minutes=getattr(settings, "CHECK_REPEAT_WINDOW_MINUTES", 10))


def _recent_repeat(*, by: User, child: Child, checked_on: datetime.date, kind: str) -> Check | None:
    """The check of this child, date and kind that `by` recorded within the repeat window, if any
    (who recorded a check is its `check.recorded` audit row: `checked_by` may be someone else)."""
    from django.db.models.functions import Cast

    from welfare.models import AuditLog

    since = timezone.now() - check_repeat_window()
    recorded_by_them = AuditLog.objects.filter(
        action="check.recorded", actor=by, target_type=Check._meta.label_lower, target_id=Cast(OuterRef("pk"), models.CharField())
    )
    recent = Check.objects.filter(child=child, checked_on=checked_on, kind=kind, created_at__gte=since)
    return recent.filter(Exists(recorded_by_them)).order_by("id").first()


@transaction.atomic
def check_record(
    *,
    by: User,
    child: Child,
    checked_on: datetime.date | None,
    kind: str = Check.Kind.ROUTINE,
    risk_level: str = Check.RiskLevel.LOW,
    notes: str = "",
    checked_by: User | None = None,
    campaign: Campaign | None = None,
    caregiver: str = "",
    father_away: bool | None = None,
    father_work_place: str = "",
    mother_away: bool | None = None,
    mother_work_place: str = "",
    attends_school: bool | None = None,
    health: str = "",
    safety_risk: str = "",
    guardianship_risk: str = "",
    follow_up: str = "",
) -> Check:
    """Record a check (home visit) and move the child's due date, in one transaction.
    The child must be in the recorder's scope (403), the checker must work in a region that
    covers the child's village, the date can be neither in the future nor before birth.
    Sent again (a double tap, a retried request): the same child, date and kind recorded by the
    same user within CHECK_REPEAT_WINDOW_MINUTES answers that first check, unchanged, with
    `is_repeat` set, and records nothing. The child's row lock makes this hold for requests
    arriving at the same moment too."""
    require(by, Action.CREATE)
    require_record_in_scope(by, child, region=child.region)
    # One check at a time per child: the due date below reads the latest check.
    child = Child.objects.select_for_update().get(id=child.id)
    checker = checked_by or by
    today = timezone.localdate()
    errors: dict[str, str] = {}
    if checked_on is None:
        errors["checked_on"] = _("Enter the date of the check.")
    elif checked_on > today:
        errors["checked_on"] = _("The date of the check cannot be in the future.")
    elif checked_on < child.birth_date:
        errors["checked_on"] = _("The check cannot be dated before the child's birth (%(date)s).") % {
            "date": child.birth_date.isoformat()
        }
    if kind not in Check.Kind.values:
        errors["kind"] = _("Choose the kind of check.")
    if risk_level not in Check.RiskLevel.values:
        errors["risk_level"] = _("Choose the risk level.")
    if not checker.is_active or not record_in_scope(checker, child, region=child.region):
        errors["checked_by"] = _("The person who made the check must work in the child's village, township or county.")
    if campaign is not None:
        if not campaign.region.contains(child.region):
            errors["campaign"] = _("This campaign does not cover the child's region.")
        elif checked_on is not None and not (campaign.starts_on <= checked_on <= campaign.deadline):
            errors["campaign"] = _("The check is outside the campaign's dates (%(start)s – %(end)s).") % {
                "start": campaign.starts_on.isoformat(),
                "end": campaign.deadline.isoformat(),
            }
    if errors:
        raise ApplicationError(next(iter(errors.values())), field_errors=errors)
    assert checked_on is not None
    # Under the child's row lock: a concurrent identical request waits above, then finds this one.
    repeat = _recent_repeat(by=by, child=child, checked_on=checked_on, kind=kind)
    if repeat is not None:
        repeat.is_repeat = True
        return repeat
    check = Check.objects.create(
        child=child,
        checked_on=checked_on,
        checked_by=checker,
        kind=kind,
        risk_level=risk_level,
        notes=(notes or "").strip(),
        campaign=campaign,
        caregiver=(caregiver or "").strip(),
        father_away=father_away,
        father_work_place=(father_work_place or "").strip() if father_away else "",
        mother_away=mother_away,
        mother_work_place=(mother_work_place or "").strip() if mother_away else "",
        attends_school=attends_school,
        health=(health or "").strip(),
        safety_risk=(safety_risk or "").strip(),
        guardianship_risk=(guardianship_risk or "").strip(),
        follow_up=(follow_up or "").strip(),
    )
    check_schedule_refresh(child=child, today=today)
    audit_record(actor=by, action="check.recorded", target=check, detail={"kind": kind, "risk_level": risk_level})
    return check


# --------------------------------------------------------------------------------------------
# The daily job: set-wise due dates and states, then notifications
# --------------------------------------------------------------------------------------------


@dataclass
class FlagResult:
    today: datetime.date
    aged_out: int = 0
    untracked: int = 0
    newly_tracked: int = 0
    changed: int = 0
    overdue: int = 0
    due_soon: int = 0
    director_notifications: int = 0
    supervisor_notifications: int = 0
    emails: int = 0

    def as_dict(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, datetime.date) else v) for k, v in self.__dict__.items()}


def _memberships_end_at_sixteen(*, today: datetime.date) -> int:
    """Close the open left-behind memberships of children who have turned 16, with a reason.
    Few rows a day (children with a 16th birthday since the last run)."""
    from simple_history.utils import bulk_update_with_history

    cutoff = sixteen_cutoff(today)
    rows = list(
        CategoryMembership.objects.filter(category=LEFT_BEHIND, end_date__isnull=True, child__birth_date__lte=cutoff)
        .select_related("child")
        .order_by("id")
    )
    reason = str(gettext_lazy("Turned 16"))
    for m in rows:
        birthday = add_months(m.child.birth_date, 12 * LEFT_BEHIND_MAX_AGE)
        m.end_date, m.end_reason = max(m.start_date, birthday - datetime.timedelta(days=1)), reason
    if rows:
        bulk_update_with_history(rows, CategoryMembership, ["end_date", "end_reason"], batch_size=1000, default_change_reason=reason)
        audit_record(actor=None, action="check.memberships_aged_out", record_count=len(rows))
    return len(rows)


@transaction.atomic
def checks_states_update(*, today: datetime.date, recompute: bool = False) -> FlagResult:
    """Bring every child's `next_check_due` and `check_state` up to date for `today`, set-wise
    (a handful of UPDATE statements, each one pass; no Python loop over children):

    1. close left-behind memberships of children who turned 16, with the reason (few a day);
    2. untrack children whose left-behind membership has ended (a semi-join from the ended
       memberships, not an anti-join over every child), who died or turned 16;
    3. track children who became left-behind: due date from the last check or the day they
       became left-behind (with `recompute`: every tracked child's due date again, and every
       listed child without an open membership untracked — after changing the interval);
    4. states: one UPDATE that writes only the rows whose state changes today.
    """
    result = FlagResult(today=today)
    result.aged_out = _memberships_end_at_sixteen(today=today)
    children = Child.objects.all()
    listed = children.filter(Q(next_check_due__isnull=False) | Q(check_state__isnull=False))
    gone = {"next_check_due": None, "check_state": None}

    no_open = ~Exists(_open_left_behind(today=today))
    if recompute:
        result.untracked = listed.filter(no_open).update(**gone)
    else:
        ended = CategoryMembership.objects.filter(category=LEFT_BEHIND, end_date__lt=today).values("child_id")
        result.untracked = listed.filter(id__in=ended).filter(no_open).update(**gone)
    result.untracked += listed.filter(Q(died_on__isnull=False) | Q(birth_date__lte=sixteen_cutoff(today))).update(**gone)

    became = Greatest(
        F("registered_on"),
        Subquery(_open_left_behind(today=today).order_by("start_date").values("start_date")[:1]),
    )
    last_check = Subquery(Check.objects.filter(child_id=OuterRef("pk")).order_by("-checked_on").values("checked_on")[:1])
    due = AddMonths(Greatest(Coalesce(last_check, became), became), months=check_interval_months())
    to_schedule = children.filter(_tracked_q(today=today))
    if not recompute:
        to_schedule = to_schedule.filter(next_check_due__isnull=True)
    result.newly_tracked = to_schedule.update(next_check_due=due)

    # States: one UPDATE per target state, reading only rows in another state whose due date
    # says they must change (index child_check_state_due): a few thousand rows a day.
    soon = today + datetime.timedelta(days=check_due_soon_days())
    S = Child.CheckState

    def move(target: str, **due_range) -> int:
        # Two statements so each is an index range scan: (state IN others, due range) and
        # (state IS NULL, due range); an OR of both would scan the whole index.
        others = [s for s in S.values if s != target]
        return (
            children.filter(check_state__in=others, **due_range).update(check_state=target)
            + children.filter(check_state__isnull=True, **due_range).update(check_state=target)
        )

    result.changed = (
        move(S.OVERDUE, next_check_due__lt=today)
        + move(S.DUE_SOON, next_check_due__gte=today, next_check_due__lte=soon)
        + move(S.OK, next_check_due__gt=soon)
    )
    return result


def _state_counts(*, today: datetime.date) -> tuple[int, int]:
    soon = today + datetime.timedelta(days=check_due_soon_days())
    counts = Child.objects.filter(next_check_due__lte=soon).aggregate(
        overdue=Count("id", filter=Q(next_check_due__lt=today)), due_soon=Count("id", filter=Q(next_check_due__gte=today))
    )
    return counts["overdue"], counts["due_soon"]


def _worklist_link() -> str:
    return reverse("cases:checks_mine")


def _overdue_link(village: Region | None = None) -> str:
    url = reverse("cases:checks_overdue")
    return f"{url}?village={village.code}" if village is not None else url


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


@transaction.atomic
def check_notifications_create(*, today: datetime.date, result: FlagResult | None = None) -> FlagResult:
    """One notification per village director (their overdue and due-soon children) and one per
    township supervisor (a summary by village). Keys `checks:<date>:<kind>:<user>` make a second
    run the same day a no-op (ON CONFLICT DO NOTHING)."""
    result = result or FlagResult(today=today)
    soon = today + datetime.timedelta(days=check_due_soon_days())
    villages = {v.village_id: v for v in check_village_flags(today=today)}
    result.overdue = sum(v.overdue for v in villages.values())
    result.due_soon = sum(v.due_soon for v in villages.values())
    if not villages:
        return result
    flagged_villages = Child.objects.filter(next_check_due__lte=soon).values("region_id")

    now = timezone.now()
    stamp = today.isoformat()
    prefix = f"checks:{stamp}:"
    # Users told already today (a second run): skipped before any text is built.
    done = set(Notification.objects.filter(dedupe_key__startswith=prefix).values_list("recipient_id", flat=True))
    before = len(done)
    formats = _Formats()
    batch: list[Notification] = []

    def flush() -> None:
        Notification.objects.bulk_create(batch, batch_size=2000, ignore_conflicts=True)
        batch.clear()

    link = _worklist_link()
    directors = (
        User.objects.filter(role=Role.VILLAGE_DIRECTOR, is_active=True, region_id__in=flagged_villages)
        .order_by("id")
        .values_list("id", "region_id", "language")
    )
    for user_id, region_id, language in directors.iterator(chunk_size=2000):
        if user_id in done:
            continue
        title, body = _director_message(formats[language or settings.LANGUAGE_CODE], villages[region_id])
        batch.append(
            Notification(
                recipient_id=user_id, kind=NOTIFICATION_KIND_DIRECTOR, title=title, body=body, link=link, created_on=now,
                dedupe_key=f"{prefix}director:{user_id}",
            )
        )
        if len(batch) >= 2000:
            flush()

    by_township: dict[int, list[_VillageFlags]] = {}
    for village in villages.values():
        if village.township_id:
            by_township.setdefault(village.township_id, []).append(village)
    overview = _overdue_link()
    supervisors = (
        User.objects.filter(
            role=Role.TOWNSHIP_SUPERVISOR, is_active=True,
            region_id__in=Region.objects.filter(id__in=flagged_villages).values("parent_id"),
        )
        .order_by("id")
        .values_list("id", "region_id", "region__name", "language")
    )
    for user_id, region_id, township_name, language in supervisors:
        if user_id in done:
            continue
        title, body = _supervisor_message(formats[language or settings.LANGUAGE_CODE], township_name, by_township[region_id])
        batch.append(
            Notification(
                recipient_id=user_id, kind=NOTIFICATION_KIND_SUPERVISOR, title=title, body=body, link=overview, created_on=now,
                dedupe_key=f"{prefix}supervisor:{user_id}",
            )
        )
    flush()

    todays = Notification.objects.filter(dedupe_key__startswith=prefix)
    result.director_notifications = todays.filter(kind=NOTIFICATION_KIND_DIRECTOR).count()
    result.supervisor_notifications = todays.filter(kind=NOTIFICATION_KIND_SUPERVISOR).count()
    new = result.director_notifications + result.supervisor_notifications - before
    if new:
        audit_record(actor=None, action="check.notifications_sent", record_count=new, detail={"date": stamp})
    return result


def _message_formats() -> dict[str, str]:
    """The notification texts in the active language, translated once per language and run
    (not once per child: gettext costs add up over hundreds of thousands of names)."""
    return {
        "director_title": _("Checks in %(village)s: %(overdue)d overdue, %(soon)d due soon"),
        "overdue": _("Overdue (name · was due):"),
        "soon": _("Due soon (name · due):"),
        "more": _("… and %(n)d more"),
        "supervisor_title": _("Checks in %(township)s: %(overdue)d overdue, %(soon)d due soon"),
        "supervisor_item": _("%(village)s: %(overdue)d overdue, %(soon)d due soon"),
    }


class _Formats(dict):
    """language code → message formats, filled on first use."""

    def __missing__(self, language: str) -> dict[str, str]:
        with translation.override(language):
            self[language] = _message_formats()
        return self[language]


def _director_message(f: dict[str, str], v: _VillageFlags) -> tuple[str, str]:
    title = f["director_title"] % {"village": v.name, "overdue": v.overdue, "soon": v.due_soon}
    parts = []
    for count, lines, heading in ((v.overdue, v.overdue_lines, f["overdue"]), (v.due_soon, v.soon_lines, f["soon"])):
        if count:
            parts += [heading, lines]
            if count > NOTIFICATION_LIST_LIMIT:
                parts.append(f["more"] % {"n": count - NOTIFICATION_LIST_LIMIT})
    return title, "\n".join(parts)


def _supervisor_message(f: dict[str, str], township_name: str, villages: list[_VillageFlags]) -> tuple[str, str]:
    overdue = sum(v.overdue for v in villages)
    soon = sum(v.due_soon for v in villages)
    title = f["supervisor_title"] % {"township": township_name, "overdue": overdue, "soon": soon}
    item = f["supervisor_item"]
    ordered = sorted(villages, key=lambda v: (-v.overdue, -v.due_soon, v.code))
    return title, "\n".join(item % {"village": v.name, "overdue": v.overdue, "soon": v.due_soon} for v in ordered)


def check_notification_emails_send(*, today: datetime.date) -> int:
    """E-mail the day's check notifications to recipients with an address, once each: a row is
    claimed by a conditional UPDATE before sending, released again if sending fails."""
    if not getattr(settings, "EMAIL_ENABLED", False):
        return 0
    sent = 0
    pending = (
        Notification.objects.filter(dedupe_key__startswith=f"checks:{today.isoformat()}:", emailed_at__isnull=True)
        .exclude(recipient__email="")
        .select_related("recipient")
        .order_by("id")
    )
    with mail.get_connection() as connection:
        for note in pending.iterator(chunk_size=500):
            if not Notification.objects.filter(id=note.id, emailed_at__isnull=True).update(emailed_at=timezone.now()):
                continue  # another worker has it
            try:
                mail.EmailMessage(
                    subject=note.title, body=note.body, to=[note.recipient.email], connection=connection
                ).send()
                sent += 1
            except Exception:  # noqa: BLE001 - the in-app notification stays; retry on the next run
                logger.exception("check notification e-mail %s failed", note.id)
                Notification.objects.filter(id=note.id).update(emailed_at=None)
    return sent


def checks_flag_overdue(*, today: datetime.date | None = None, recompute: bool = False, notify: bool = True) -> FlagResult:
    """The daily job: states (one transaction), notifications (another), then e-mail (outside
    any transaction: slow I/O). Safe to run twice: the second run changes and sends nothing."""
    today = today or timezone.localdate()
    result = checks_states_update(today=today, recompute=recompute)
    if notify:
        check_notifications_create(today=today, result=result)  # also counts overdue and due-soon children
        result.emails = check_notification_emails_send(today=today)
    else:
        result.overdue, result.due_soon = _state_counts(today=today)
    return result


# --------------------------------------------------------------------------------------------
# Selectors: worklists, overview by village, quarter completion
# --------------------------------------------------------------------------------------------


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
    member = CategoryMembership.objects.filter(child_id=OuterRef("pk"), category=LEFT_BEHIND, start_date__lte=end).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start)
    )
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


# --------------------------------------------------------------------------------------------
# Campaigns
# --------------------------------------------------------------------------------------------

CAMPAIGN_LEVELS = (Region.Level.COUNTY, Region.Level.CITY, Region.Level.PROVINCE)


@transaction.atomic
def campaign_launch(
    *,
    by: User,
    name: str,
    region: Region | None,
    categories: list[str],
    starts_on: datetime.date | None,
    deadline: datetime.date | None,
    kind: str = Check.Kind.SAFETY,
    description: str = "",
) -> Campaign:
    """A county, city or province launches a one-off check round for chosen categories."""
    require(by, Action.LAUNCH_CAMPAIGN)
    errors: dict[str, str] = {}
    if region is None or region.level not in CAMPAIGN_LEVELS:
        errors["region"] = _("A campaign covers a county, a city or a province.")
    else:
        require_in_scope(by, region)
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Give the campaign a name.")
    categories = sorted(set(categories or []))
    if not categories:
        errors["categories"] = _("Choose at least one category.")
    elif set(categories) - set(Category.values):
        errors["categories"] = _("Unknown category.")
    if kind not in Check.Kind.values:
        errors["kind"] = _("Choose the kind of check.")
    if starts_on is None:
        errors["starts_on"] = _("Enter the first day of the campaign.")
    if deadline is None:
        errors["deadline"] = _("Enter the deadline.")
    elif starts_on is not None and deadline < starts_on:
        errors["deadline"] = _("The deadline cannot be before the first day.")
    elif deadline < timezone.localdate():
        errors["deadline"] = _("The deadline has already passed.")
    if errors:
        raise ApplicationError(next(iter(errors.values())), field_errors=errors)
    assert region is not None and starts_on is not None and deadline is not None
    campaign = Campaign.objects.create(
        name=name, region=region, categories=categories, starts_on=starts_on, deadline=deadline, kind=kind,
        description=(description or "").strip(), created_by=by,
    )
    audit_record(actor=by, action="campaign.launched", target=campaign, detail={"categories": categories})
    return campaign


def campaign_list(*, user) -> models.QuerySet[Campaign]:
    """Campaigns launched in the user's subtree or above it (a province campaign reaches every village)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Campaign.objects.none()
    path = user.scope_path
    if path is None:
        return Campaign.objects.none()
    qs = Campaign.objects.select_related("region")
    if path == "":
        return qs
    ancestors = [c for c in path.split("/") if c]
    return qs.filter(Q(region__path__startswith=path) | Q(region__code__in=ancestors))


def campaign_get(*, user, campaign_id) -> Campaign:
    return get_in_scope_or_404(campaign_list(user=user), id=campaign_id)


def campaign_children(*, user, campaign: Campaign) -> models.QuerySet[Child]:
    """Children the campaign must reach, in the user's scope, with `campaign_checked`."""
    member = CategoryMembership.objects.filter(
        child_id=OuterRef("pk"), category__in=campaign.categories, start_date__lte=campaign.deadline
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=campaign.starts_on))
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


# --------------------------------------------------------------------------------------------
# Notifications (in-app)
# --------------------------------------------------------------------------------------------


def notification_list(*, user) -> models.QuerySet[Notification]:
    """A user's own notifications, newest first (nobody sees anyone else's)."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user).order_by("-created_on", "-id")


def notification_mark_read(*, user, notification_id) -> Notification:
    note = get_in_scope_or_404(notification_list(user=user), id=notification_id)
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    return note


# --------------------------------------------------------------------------------------------
# Look-ups for writes (the API and the pages): clear 400 / 403 rather than a bare 404
# --------------------------------------------------------------------------------------------


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
