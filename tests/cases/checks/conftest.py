"""Helpers for the check tests: left-behind children and a fixed "today" (Asia/Shanghai)."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.factories import ChildFactory, MembershipFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def left_behind():
    """Make a left-behind child: `left_behind(region, registered_on=..., next_check_due=...)`."""

    def make(region, *, registered_on=datetime.date(2024, 1, 10), start=None, next_check_due=None, check_state=None, **kw):
        child = ChildFactory(region=region, registered_on=registered_on, next_check_due=next_check_due, check_state=check_state, **kw)
        MembershipFactory(child=child, category="left_behind", start_date=start or registered_on)
        return child

    return make


@pytest.fixture
def today(time_machine):
    """Freeze the clock on 2025-03-01 10:00 in Shanghai."""
    day = datetime.date(2025, 3, 1)
    time_machine.move_to(at(day), tick=False)
    return day


@pytest.fixture(autouse=True)
def english(client, settings):
    """Messages are asserted in English (the source strings); pages follow the language cookie."""
    from django.utils import translation

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield
