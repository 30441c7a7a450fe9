"""Chinese working days (statutory holidays and adjusted working weekends) via chinesecalendar.

Years the library has no data for fall back to Monday–Friday, so a due date can always be computed.
"""

import datetime

import chinese_calendar


def is_working_day(day: datetime.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year outside the library's data
        return day.weekday() < 5


def add_working_days(start: datetime.date, n: int) -> datetime.date:
    """The date `n` working days after `start` (the start day itself is not counted)."""
    if n < 0:
        raise ValueError("n must not be negative")
    day, counted = start, 0
    while counted < n:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    day, counted = start, 0
    while day < end:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return counted
