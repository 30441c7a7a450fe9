import datetime

import pytest

from cases.checks.dates import check_state_for
from cases.checks.services import CheckInput, check_record, checks_states_update
from tests.cases.checks.conftest import at
from tests.factories import ChildFactory

D = datetime.date


@pytest.mark.parametrize(
    ("due", "state"),
    [
        (D(2025, 2, 28), "overdue"),  # the due date has passed
        (D(2025, 3, 1), "due_soon"),  # due today is not yet overdue
        (D(2025, 3, 15), "due_soon"),  # 14 days ahead: the last due-soon day
        (D(2025, 3, 16), "ok"),
        (None, None),
    ],
)
def test_it_derives_the_state_at_its_boundaries(due, state):
    assert check_state_for(due, today=D(2025, 3, 1)) == state


@pytest.mark.django_db
def test_it_uses_the_due_soon_setting(settings):
    settings.CHECK_DUE_SOON_DAYS = 3
    assert check_state_for(D(2025, 3, 4), today=D(2025, 3, 1)) == "due_soon"
    assert check_state_for(D(2025, 3, 5), today=D(2025, 3, 1)) == "ok"


@pytest.mark.django_db
@pytest.mark.parametrize(("checked_on", "due"), [(D(2023, 11, 30), D(2024, 2, 29)), (D(2024, 11, 30), D(2025, 2, 28)), (D(2024, 8, 31), D(2024, 11, 30))])
def test_it_moves_the_due_date_three_months_after_a_check_on_a_month_end(
    regions, village_director, left_behind, time_machine, checked_on, due
):
    time_machine.move_to(at(checked_on + datetime.timedelta(days=1)), tick=False)
    child = left_behind(regions.village, registered_on=D(2023, 9, 1))
    check_record(by=village_director, child=child, data=CheckInput(checked_on=checked_on))
    child.refresh_from_db()
    assert child.next_check_due == due
    assert child.check_state == "ok"


@pytest.mark.django_db
def test_it_uses_the_interval_setting(regions, village_director, left_behind, today, settings):
    settings.CHECK_INTERVAL_MONTHS = 1
    child = left_behind(regions.village)
    check_record(by=village_director, child=child, data=CheckInput(checked_on=D(2025, 1, 31)))
    child.refresh_from_db()
    assert child.next_check_due == D(2025, 2, 28)
    assert child.check_state == "overdue"


@pytest.mark.django_db
def test_it_schedules_the_first_check_three_months_after_registration(regions, left_behind, today):
    child = left_behind(regions.village, registered_on=D(2024, 11, 30))
    checks_states_update(today=today)
    child.refresh_from_db()
    assert (child.next_check_due, child.check_state) == (D(2025, 2, 28), "overdue")


@pytest.mark.django_db
def test_it_schedules_from_the_day_the_child_became_left_behind(regions, left_behind, today):
    child = left_behind(regions.village, registered_on=D(2023, 5, 1), start=D(2025, 1, 10))
    checks_states_update(today=today)
    child.refresh_from_db()
    assert (child.next_check_due, child.check_state) == (D(2025, 4, 10), "ok")


@pytest.mark.django_db
def test_it_keeps_the_latest_check_when_an_older_visit_is_entered_late(regions, village_director, left_behind, today):
    child = left_behind(regions.village)
    check_record(by=village_director, child=child, data=CheckInput(checked_on=D(2025, 2, 20)))
    check_record(by=village_director, child=child, data=CheckInput(checked_on=D(2024, 12, 1)))
    child.refresh_from_db()
    assert child.next_check_due == D(2025, 5, 20)


@pytest.mark.django_db
def test_it_does_not_track_a_child_who_is_not_left_behind(regions, village_director, today):
    child = ChildFactory(region=regions.village)
    check_record(by=village_director, child=child, data=CheckInput(checked_on=D(2025, 2, 1)))
    checks_states_update(today=today)
    child.refresh_from_db()
    assert (child.next_check_due, child.check_state) == (None, None)
