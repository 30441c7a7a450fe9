"""Due dates and states of the three-monthly checks of left-behind children: who is tracked, the
date the next check is due (in Python for one child, as SQL expressions for the daily job), the
state a due date gives today, and calendar quarters. The rules themselves: docs/checks.md."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Case, Exists, Max, OuterRef, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.checks.models import Check
from cases.children.categories import Category
from cases.children.models import CategoryMembership, Child
from welfare.errors import ApplicationError
from welfare.months import add_months, month_end

LEFT_BEHIND = Category.LEFT_BEHIND


LEFT_BEHIND_MAX_AGE = 16  # a left-behind child is under 16 (national policy)


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
    return start, month_end(add_months(start, 2))


def quarter_of(day: datetime.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def _open_left_behind(*, today: datetime.date, child_ref: str = "pk") -> models.QuerySet[CategoryMembership]:
    """Left-behind memberships open today, correlated with the outer child."""
    return CategoryMembership.objects.filter(child_id=OuterRef(child_ref), category=LEFT_BEHIND).open_on(today)


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


def check_due_date_for(*, child: Child, today: datetime.date | None = None) -> datetime.date | None:
    """The due date the rules give this child today (None when not tracked)."""
    today = today or timezone.localdate()
    if child.died_on is not None or child.birth_date <= sixteen_cutoff(today):
        return None
    membership = (
        CategoryMembership.objects.filter(child=child, category=LEFT_BEHIND)
        .open_on(today)
        .order_by("start_date")
        .first()
    )
    if membership is None:
        return None
    last = Check.objects.filter(child=child).aggregate(last=Max("checked_on"))["last"]
    return check_due_from(registered_on=child.registered_on, became_on=membership.start_date, last_checked_on=last)


def check_due_from(
    *, registered_on: datetime.date, became_on: datetime.date, last_checked_on: datetime.date | None
) -> datetime.date:
    """The due-date rule for a tracked child: the later of the last check and the day the child
    became left-behind or was registered (entered the caseload), plus CHECK_INTERVAL_MONTHS.
    A new registration starts the clock today; a migrated child (cases.children.history) brings
    its real dates, so a last check four months ago is overdue at once. The daily job's SQL
    (cases.checks.services.checks_states_update) is the same rule set-wise."""
    anchor = max(registered_on, became_on)
    if last_checked_on is not None and last_checked_on > anchor:
        anchor = last_checked_on
    return add_months(anchor, check_interval_months())


def check_tracked_on(*, birth_date: datetime.date, today: datetime.date) -> bool:
    """Whether a living child born on `birth_date` and left-behind today is tracked (under 16)."""
    return birth_date > sixteen_cutoff(today)
