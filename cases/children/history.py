"""The history an existing caseload brings when a county goes live (a roster import or
`POST /api/children/`): the date each category began, the date of the last check, and for a
paid category the first month its allowance was paid. One rule for both ways in: what is
refused (`history_errors`), the day the child entered the caseload (`history_registered_on`) and
the writes (`history_record`). Without history a child is registered as before: everything
starts today. The rules: docs/children.md ("An existing caseload and its dates")."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from cases.children.categories import Category, is_paid
from welfare.months import month_start


@dataclass(frozen=True)
class CategorySince:
    """A category of a child, with the day it began (None: the child's history start, or today)
    and, for a paid category, the first month of its allowance (None: not enrolled here)."""

    code: str
    since: datetime.date | None = None
    start_month: datetime.date | None = None


@dataclass(frozen=True)
class CaseloadHistory:
    """What a migrated child brings: its categories with their dates and the last check."""

    categories: tuple[CategorySince, ...] = field(default_factory=tuple)
    last_checked_on: datetime.date | None = None

    @property
    def is_empty(self) -> bool:
        return self.last_checked_on is None and all(c.since is None and c.start_month is None for c in self.categories)

    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.categories]

    @property
    def paid(self) -> CategorySince | None:
        """The paid category that starts an allowance (its `start_month` given), if any."""
        return next((c for c in self.categories if is_paid(c.code) and c.start_month is not None), None)


def history_registered_on(history: CaseloadHistory, *, today: datetime.date) -> datetime.date:
    """The day a child entered the caseload: the earliest date its history gives (a category's
    start, the last check), today without history. The due-date rule of the checks
    (cases.checks.dates.check_due_date_for) counts from this day, the category's start or the
    last check, whichever is latest: a migrated child's clock runs from its real dates."""
    dates = [c.since for c in history.categories if c.since is not None]
    if history.last_checked_on is not None:
        dates.append(history.last_checked_on)
    return min([*dates, today]) if dates else today


def category_start(item: CategorySince, *, registered_on: datetime.date) -> datetime.date:
    """The first day of a membership: its own date, else the day the child entered the caseload."""
    return item.since or registered_on


def history_errors(
    *, history: CaseloadHistory, birth_date: datetime.date | None, today: datetime.date
) -> dict[str, str]:
    """Why this history cannot be recorded, by field (`categories`, `last_checked_on`): no date in
    the future or before the child's birth, no category begun after the last check (the check
    found the child in it), an allowance month only for a paid category, not before the month
    of birth or of the category's start and not after this month (an existing caseload is paid
    already)."""
    errors: dict[str, str] = {}
    last = history.last_checked_on
    if last is not None:
        if last > today:
            errors["last_checked_on"] = _("The date of the last check cannot be in the future.")
        elif birth_date is not None and last < birth_date:
            errors["last_checked_on"] = _("The last check cannot be dated before the child's birth (%(date)s).") % {
                "date": birth_date.isoformat()
            }
    for item in history.categories:
        label = Category(item.code).label if item.code in Category.values else item.code
        since = item.since
        if since is not None:
            if since > today:
                errors["categories"] = _("The category “%(c)s” cannot begin in the future (%(date)s).") % {
                    "c": label, "date": since.isoformat()
                }
            elif birth_date is not None and since < birth_date:
                errors["categories"] = _("The category “%(c)s” cannot begin before the child's birth (%(date)s).") % {
                    "c": label, "date": birth_date.isoformat()
                }
            elif last is not None and since > last:
                errors["categories"] = _(
                    "The category “%(c)s” begins on %(since)s, after the last check (%(last)s): the check found the child in it, so it began earlier."
                ) % {"c": label, "since": since.isoformat(), "last": last.isoformat()}
        if item.start_month is not None:
            month = month_start(item.start_month)
            if not is_paid(item.code):
                errors["categories"] = _("“%(c)s” is not a paid category: it has no allowance start month.") % {"c": label}
            elif month > month_start(today):
                errors["categories"] = _("The allowance of “%(c)s” cannot start after this month (%(month)s).") % {
                    "c": label, "month": month.strftime("%Y-%m")
                }
            elif birth_date is not None and month < month_start(birth_date):
                errors["categories"] = _("The allowance of “%(c)s” cannot start before the child's birth month.") % {"c": label}
            elif since is not None and month < month_start(since):
                errors["categories"] = _("The allowance of “%(c)s” cannot start before the month the category began (%(month)s).") % {
                    "c": label, "month": since.strftime("%Y-%m")
                }
    return errors
