"""Month arithmetic: a month is the date of its first day."""

import datetime

from django.utils.translation import gettext as _

from welfare.errors import ApplicationError


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(month: datetime.date, n: int) -> datetime.date:
    index = month.year * 12 + (month.month - 1) + n
    return datetime.date(index // 12, index % 12 + 1, 1)


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
    return datetime.date(month.year - 18, month.month, 1)
