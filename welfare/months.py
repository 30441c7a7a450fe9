"""Month arithmetic, in Python (`add_months`) and in SQL (`AddMonths`), one rule for both.

A month (of a payout, an enrollment, a run) is the date of its first day. A due date is a day
plus whole months, the day clamped to the target month's last day (30 November + 3 months =
28/29 February). The first day of a month plus whole months is the first day of a month, so
months are the special case of the same rule.
"""

import calendar
import datetime

from django.db import NotSupportedError
from django.db.models import DateField, Func
from django.utils.translation import gettext as _

from welfare.errors import ApplicationError


def month_start(day: datetime.date) -> datetime.date:
    """The first day of the month of `day`: how a month is stored."""
    return day.replace(day=1)


def month_end(day: datetime.date) -> datetime.date:
    """The last day of the month of `day`."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` plus whole `months` (negative: back), the day clamped to the target month's last day
    (2023-11-30 + 3 = 2024-02-29, 2025-11-30 + 3 = 2026-02-28, 2024-08-31 + 3 = 2024-11-30,
    2024-02-29 - 12 = 2023-02-28). The first day of a month gives the first day of a month
    (2024-11-01 + 3 = 2025-02-01): the arithmetic of months is this rule on first days.
    `AddMonths` is the same rule in SQL."""
    year, month = divmod(day.year * 12 + (day.month - 1) + months, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class AddMonths(Func):
    """SQL `date + n months`, clamped to the month's last day like `add_months` (for set-wise
    updates such as the daily check job). PostgreSQL's interval arithmetic clamps by itself;
    SQLite needs the min() of two forms."""

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


def parse_month(value, *, field: str = "month") -> datetime.date:
    """Accept "YYYY-MM" (or a date / "YYYY-MM-DD", taken to its month); refuse anything else clearly."""
    if isinstance(value, datetime.date):
        return month_start(value)
    text = str(value or "").strip()
    try:
        if len(text) == 7:
            return datetime.date(int(text[:4]), int(text[5:7]), 1) if text[4] == "-" else _bad(field)
        return month_start(datetime.date.fromisoformat(text))
    except (ValueError, IndexError):
        return _bad(field)


def _bad(field: str):
    msg = _("Enter a month as YYYY-MM, for example 2025-03.")
    raise ApplicationError(msg, field_errors={field: msg})


def eighteen_cutoff(month: datetime.date) -> datetime.date:
    """Children born on or after this date are paid for `month`: the last month paid is the month
    in which the child turns 18 (the month's first day is always a valid date 18 years back)."""
    return add_months(month_start(month), -12 * 18)
