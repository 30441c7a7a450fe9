"""Writes of the three-monthly checks: recording a check (a repeat within the window answers the
first one) and moving the child's due date, the daily job that brings every due date and state
up to date set-wise and then notifies, and launching a campaign. The rules: docs/checks.md."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.checks.dates import (
    LEFT_BEHIND,
    LEFT_BEHIND_MAX_AGE,
    _open_left_behind,
    _state_expression,
    _tracked_q,
    check_due_date_for,
    check_due_soon_days,
    check_interval_months,
    check_state_for,
    sixteen_cutoff,
)
from cases.checks.models import Campaign, Check
from cases.checks.notifications import FlagResult, check_notification_emails_send, check_notifications_create
from cases.children.categories import Category
from cases.children.models import CategoryMembership, Child
from cases.protection.services import report_from_check
from welfare.audit import audit_record
from welfare.errors import ApplicationError
from welfare.models import Region, User
from welfare.months import AddMonths, add_months
from welfare.roles import Action, can, require
from welfare.scoping import (
    record_in_scope,
    require_in_scope,
    require_record_in_scope,
)


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


@dataclass(frozen=True)
class CheckInput:
    """What a check (home visit) records: built by the check page, the `checks` API and the demo,
    taken by `check_record`. Free texts are kept stripped; a parent's work place only when that
    parent works away."""

    checked_on: datetime.date | None
    kind: str = Check.Kind.ROUTINE
    risk_level: str = Check.RiskLevel.LOW
    notes: str = ""
    checked_by: User | None = None  # who made the check; the recorder by default
    campaign: Campaign | None = None
    caregiver: str = ""
    father_away: bool | None = None
    father_work_place: str = ""
    mother_away: bool | None = None
    mother_work_place: str = ""
    attends_school: bool | None = None
    health: str = ""
    safety_risk: str = ""
    guardianship_risk: str = ""
    follow_up: str = ""


def _check_date_error(*, child: Child, checked_on: datetime.date | None, today: datetime.date) -> str | None:
    if checked_on is None:
        return _("Enter the date of the check.")
    if checked_on > today:
        return _("The date of the check cannot be in the future.")
    if checked_on < child.birth_date:
        return _("The check cannot be dated before the child's birth (%(date)s).") % {"date": child.birth_date.isoformat()}
    return None


def _check_campaign_error(*, child: Child, campaign: Campaign, checked_on: datetime.date | None) -> str | None:
    if not campaign.region.contains(child.region):
        return _("This campaign does not cover the child's region.")
    if checked_on is not None and not (campaign.starts_on <= checked_on <= campaign.deadline):
        return _("The check is outside the campaign's dates (%(start)s – %(end)s).") % {
            "start": campaign.starts_on.isoformat(),
            "end": campaign.deadline.isoformat(),
        }
    return None


def check_input_errors(*, child: Child, data: CheckInput, checker: User, today: datetime.date) -> dict[str, str]:
    """What is wrong with recording `data` for `child` as made by `checker`, by field: a date
    neither in the future nor before birth, a known kind and risk level, a checker at work in a
    region that covers the child's village, a campaign that covers the child and the date."""
    errors: dict[str, str] = {}
    date_error = _check_date_error(child=child, checked_on=data.checked_on, today=today)
    if date_error:
        errors["checked_on"] = date_error
    if data.kind not in Check.Kind.values:
        errors["kind"] = _("Choose the kind of check.")
    if data.risk_level not in Check.RiskLevel.values:
        errors["risk_level"] = _("Choose the risk level.")
    if not checker.is_active or not record_in_scope(checker, child, region=child.region):
        errors["checked_by"] = _("The person who made the check must work in the child's village, township or county.")
    if data.campaign is not None:
        campaign_error = _check_campaign_error(child=child, campaign=data.campaign, checked_on=data.checked_on)
        if campaign_error:
            errors["campaign"] = campaign_error
    return errors


def _check_create(*, child: Child, data: CheckInput, checker: User, checked_on: datetime.date) -> Check:
    def text(value: str) -> str:
        return (value or "").strip()

    return Check.objects.create(
        child=child,
        checked_on=checked_on,
        checked_by=checker,
        kind=data.kind,
        risk_level=data.risk_level,
        notes=text(data.notes),
        campaign=data.campaign,
        caregiver=text(data.caregiver),
        father_away=data.father_away,
        father_work_place=text(data.father_work_place) if data.father_away else "",
        mother_away=data.mother_away,
        mother_work_place=text(data.mother_work_place) if data.mother_away else "",
        attends_school=data.attends_school,
        health=text(data.health),
        safety_risk=text(data.safety_risk),
        guardianship_risk=text(data.guardianship_risk),
        follow_up=text(data.follow_up),
    )


@transaction.atomic
def check_record(*, by: User, child: Child, data: CheckInput) -> Check:
    """Record a check (home visit) and move the child's due date, in one transaction.
    The child must be in the recorder's scope (403); then `check_input_errors` (400).
    Sent again (a double tap, a retried request): the same child, date and kind recorded by the
    same user within CHECK_REPEAT_WINDOW_MINUTES answers that first check, unchanged, with
    `is_repeat` set, and records nothing. The child's row lock makes this hold for requests
    arriving at the same moment too."""
    require(by, Action.CREATE)
    require_record_in_scope(by, child, region=child.region)
    # One check at a time per child: the due date below reads the latest check.
    child = Child.objects.select_for_update().get(id=child.id)
    checker = data.checked_by or by
    today = timezone.localdate()
    errors = check_input_errors(child=child, data=data, checker=checker, today=today)
    if errors:
        raise ApplicationError(next(iter(errors.values())), field_errors=errors)
    assert data.checked_on is not None
    # Under the child's row lock: a concurrent identical request waits above, then finds this one.
    repeat = _recent_repeat(by=by, child=child, checked_on=data.checked_on, kind=data.kind)
    if repeat is not None:
        repeat.is_repeat = True
        return repeat
    check = _check_create(child=child, data=data, checker=checker, checked_on=data.checked_on)
    check_schedule_refresh(child=child, today=today)
    audit_record(actor=by, action="check.recorded", target=check, detail={"kind": data.kind, "risk_level": data.risk_level})
    # A high risk, or a guardianship risk noted, goes to the county's screening queue as a
    # report (once per check, in this transaction).
    report_from_check(check=check, by=by)
    return check


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


def _due_sql(*, today: datetime.date) -> AddMonths:
    """`cases.checks.dates.check_due_from` as an SQL expression over the outer child: the later
    of the last check and the day the child became left-behind or was registered, plus the
    interval."""
    became = Greatest(
        F("registered_on"),
        Subquery(_open_left_behind(today=today).order_by("start_date").values("start_date")[:1]),
    )
    last_check = Subquery(Check.objects.filter(child_id=OuterRef("pk")).order_by("-checked_on").values("checked_on")[:1])
    return AddMonths(Greatest(Coalesce(last_check, became), became), months=check_interval_months())


def checks_schedule_children(*, child_ids: list[int], today: datetime.date | None = None) -> int:
    """Give the tracked children among `child_ids` their due date and state now (a roster import:
    not at the next daily run), set-wise, 10,000 ids a statement. Answers how many are tracked."""
    today = today or timezone.localdate()
    tracked = 0
    for start in range(0, len(child_ids), 10_000):
        chunk = Child.objects.filter(id__in=child_ids[start : start + 10_000]).filter(_tracked_q(today=today))
        tracked += chunk.update(next_check_due=_due_sql(today=today))
        Child.objects.filter(id__in=child_ids[start : start + 10_000], next_check_due__isnull=False).update(
            check_state=_state_expression(today=today)
        )
    return tracked


def checks_imported_record(*, by: User, last_checks: dict[int, datetime.date]) -> int:
    """Record the last check of each migrated child (child id -> the date), made before the
    system existed: a routine check with no checker and a note that says so, and a history row.
    The due-date rule then counts from it. Only a role that records children or imports rosters;
    the callers (child_register, the roster import) have checked the children's scope, validated
    the dates (cases.children.history) and hold the transaction."""
    from simple_history.utils import bulk_create_with_history

    if not can(by, Action.IMPORT):
        require(by, Action.CREATE)
    if not last_checks:
        return 0
    note = str(gettext_lazy("Last check before the system went live (imported)."))
    rows = [
        Check(child_id=child_id, checked_on=day, kind=Check.Kind.ROUTINE, risk_level=Check.RiskLevel.LOW, notes=note)
        for child_id, day in last_checks.items()
    ]
    created = bulk_create_with_history(rows, Check, batch_size=1000, default_user=by, default_change_reason="import")
    audit_record(actor=by, action="checks.imported", record_count=len(created))
    return len(created)


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

    to_schedule = children.filter(_tracked_q(today=today))
    if not recompute:
        to_schedule = to_schedule.filter(next_check_due__isnull=True)
    result.newly_tracked = to_schedule.update(next_check_due=_due_sql(today=today))

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
