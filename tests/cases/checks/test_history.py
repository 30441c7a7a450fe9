"""The due-date rule with an existing caseload's history: one rule (cases.checks.dates.check_due_from)
in Python and in the daily job's SQL, counting from a migrated child's real dates."""

import datetime

import pytest
import time_machine

from cases.checks.dates import check_due_date_for, check_due_from
from cases.checks.models import Check
from cases.checks.services import checks_imported_record, checks_schedule_children, checks_states_update
from cases.children.models import Child
from tests.factories import ChildFactory, MembershipFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)


def test_the_rule_counts_from_the_latest_of_registration_category_and_last_check():
    d = datetime.date
    assert check_due_from(registered_on=d(2026, 6, 15), became_on=d(2026, 6, 15), last_checked_on=None) == d(2026, 9, 15)
    # A new registration: a visit dated before registering never pulls the due date back.
    assert check_due_from(registered_on=d(2026, 6, 15), became_on=d(2026, 6, 15), last_checked_on=d(2026, 2, 1)) == d(2026, 9, 15)
    # A migrated child: registered (entered the caseload) on its first date, checked since.
    assert check_due_from(registered_on=d(2024, 9, 1), became_on=d(2024, 9, 1), last_checked_on=d(2026, 2, 10)) == d(2026, 5, 10)
    assert check_due_from(registered_on=d(2024, 9, 1), became_on=d(2025, 11, 30), last_checked_on=None) == d(2026, 2, 28)


@time_machine.travel(TODAY)
def test_an_imported_last_check_schedules_the_child_and_the_daily_job_agrees(regions, county_official):
    child = ChildFactory(region=regions.village, birth_date=datetime.date(2015, 3, 14), registered_on=datetime.date(2024, 9, 1))
    MembershipFactory(child=child, category="left_behind", start_date=datetime.date(2024, 9, 1))
    assert checks_imported_record(by=county_official, last_checks={child.id: datetime.date(2026, 2, 10)}) == 1
    assert checks_schedule_children(child_ids=[child.id], today=TODAY) == 1
    child.refresh_from_db()
    assert (child.next_check_due, child.check_state) == (datetime.date(2026, 5, 10), "overdue")
    assert check_due_date_for(child=child, today=TODAY) == child.next_check_due
    checks_states_update(today=TODAY, recompute=True)
    assert Child.objects.get(id=child.id).next_check_due == datetime.date(2026, 5, 10)
    imported = Check.objects.get(child=child)
    assert imported.checked_by is None and imported.kind == "routine" and imported.history.count() == 1


def test_only_a_role_that_records_or_imports_may_record_an_imported_check(regions, city_official):
    from welfare.errors import PermissionDeniedError

    child = ChildFactory(region=regions.village)
    with pytest.raises(PermissionDeniedError):
        checks_imported_record(by=city_official, last_checks={child.id: datetime.date(2026, 2, 10)})
    assert not Check.objects.exists()


@time_machine.travel(TODAY)
def test_scheduling_leaves_children_who_are_not_left_behind_untracked(regions):
    child = ChildFactory(region=regions.village, birth_date=datetime.date(2015, 3, 14))
    MembershipFactory(child=child, category="key_difficulty")
    assert checks_schedule_children(child_ids=[child.id], today=TODAY) == 0
    child.refresh_from_db()
    assert (child.next_check_due, child.check_state) == (None, None)
