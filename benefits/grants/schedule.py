"""School years and instalments of the education grant: pure functions (no database).

A school year `2026-2027` runs from September 2026 to August 2027. Its amount is paid in 12
monthly instalments (September … August) or 4 quarterly ones (September, December, March, June);
each instalment is the amount divided by their number, rounded down to the fen, and the last one
takes the remainder, so the instalments add up exactly to the amount. The payout run's SQL
(benefits/grants/services.py, _INSERT_SQL) computes the same figures; a test holds them together.
"""

import datetime
import re
from decimal import ROUND_DOWN, Decimal

from django.utils.translation import gettext as _

from welfare.errors import field_error
from welfare.months import add_months, month_start

_SCHOOL_YEAR = re.compile(r"^(\d{4})-(\d{4})$")


def parse_school_year(value, *, field: str = "school_year") -> int:
    """The first calendar year of a school year written `YYYY-YYYY` (consecutive years)."""
    match = _SCHOOL_YEAR.match(str(value or "").strip())
    if match is None:
        raise field_error(field, _("Enter the school year as two consecutive years, for example 2026-2027."))
    first, second = int(match.group(1)), int(match.group(2))
    if second != first + 1 or not 2000 <= first <= 2100:
        raise field_error(field, _("A school year runs over two consecutive years, for example 2026-2027."))
    return first


def school_year_of(first_year: int) -> str:
    return f"{first_year}-{first_year + 1}"


def school_year_first_day(school_year: str) -> datetime.date:
    return datetime.date(parse_school_year(school_year), 9, 1)


def school_year_months(school_year: str) -> tuple[datetime.date, datetime.date]:
    """The first and the last month (first days) of a school year: September to August."""
    first = school_year_first_day(school_year)
    return first, add_months(first, 11)


def school_year_containing(day: datetime.date) -> str:
    """The school year a date falls in (September starts a new one)."""
    return school_year_of(day.year if day.month >= 9 else day.year - 1)


def instalment_month_check(*, school_year: str, month: datetime.date, field: str = "month") -> datetime.date:
    """The rule: an instalment's month lies in its school year (September to August). Answers the
    month's first day; refuses any other month with a clear message."""
    first, last = school_year_months(school_year)
    month = month_start(month)
    if not first <= month <= last:
        raise field_error(
            field,
            _("%(month)s is outside the school year %(year)s (September %(first)s to August %(last)s).")
            % {"month": month.strftime("%Y-%m"), "year": school_year, "first": first.year, "last": last.year},
        )
    return month


def instalment_amounts(*, annual_amount: Decimal, instalments: int) -> list[Decimal]:
    """The instalments' amounts: equal shares rounded down to the fen, the remainder on the last."""
    annual_amount = Decimal(annual_amount).quantize(Decimal("0.01"))
    share = (annual_amount / instalments).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return [share] * (instalments - 1) + [annual_amount - share * (instalments - 1)]


def instalment_schedule(*, school_year: str, annual_amount: Decimal, instalments: int) -> list[tuple[int, datetime.date, Decimal]]:
    """(number, month, amount) of every instalment of a school year, in order."""
    if instalments not in (4, 12):
        raise field_error("instalments", _("A grant is paid in 12 monthly or 4 quarterly instalments."))
    first, _last = school_year_months(school_year)
    step = 12 // instalments
    amounts = instalment_amounts(annual_amount=annual_amount, instalments=instalments)
    return [(n, add_months(first, (n - 1) * step), amounts[n - 1]) for n in range(1, instalments + 1)]


def instalment_for(*, school_year: str, annual_amount: Decimal, instalments: int, month: datetime.date) -> tuple[int, Decimal] | None:
    """The instalment (number, amount) due in a month of the school year, or None (a quarterly
    grant pays nothing in the quarter's other months). A month outside the school year is refused."""
    month = instalment_month_check(school_year=school_year, month=month)
    for n, due, amount in instalment_schedule(school_year=school_year, annual_amount=annual_amount, instalments=instalments):
        if due == month:
            return n, amount
    return None
