import datetime

import pytest

from cases.checks.models import Check
from cases.checks.services import CheckInput, check_record
from tests.factories import UserFactory
from welfare.errors import ApplicationError, PermissionDeniedError
from welfare.models import AuditLog
from welfare.roles import Role

pytestmark = pytest.mark.django_db
D = datetime.date


def test_it_records_a_check_and_moves_the_due_date_in_the_same_transaction(regions, village_director, left_behind, today):
    child = left_behind(regions.village, next_check_due=D(2025, 2, 1), check_state="overdue")
    data = CheckInput(
        checked_on=D(2025, 2, 27), kind="routine", risk_level="medium",
        caregiver="祖母", father_away=True, father_work_place="深圳", notes="家中安全",
    )
    check = check_record(by=village_director, child=child, data=data)
    child.refresh_from_db()
    assert (child.next_check_due, child.check_state) == (D(2025, 5, 27), "ok")
    assert check.checked_by == village_director and check.father_work_place == "深圳"
    assert AuditLog.objects.filter(action="check.recorded", target_id=str(check.id)).exists()


def test_it_lets_the_township_supervisor_record_a_check_for_a_village_director(regions, township_supervisor, village_director, left_behind, today):
    child = left_behind(regions.village)
    check = check_record(by=township_supervisor, child=child, data=CheckInput(checked_on=today, checked_by=village_director))
    assert check.checked_by == village_director


def _assert_nothing_saved(child, due):
    child.refresh_from_db()
    assert not Check.objects.exists()
    assert child.next_check_due == due


def test_it_refuses_a_check_dated_in_the_future(regions, village_director, left_behind, today):
    child = left_behind(regions.village, next_check_due=D(2025, 2, 1))
    with pytest.raises(ApplicationError) as err:
        check_record(by=village_director, child=child, data=CheckInput(checked_on=today + datetime.timedelta(days=1)))
    assert "future" in str(err.value.field_errors["checked_on"])
    _assert_nothing_saved(child, D(2025, 2, 1))


def test_it_refuses_a_check_dated_before_the_childs_birth(regions, village_director, left_behind, today):
    child = left_behind(regions.village, birth_date=D(2015, 3, 14), next_check_due=D(2025, 2, 1))
    with pytest.raises(ApplicationError) as err:
        check_record(by=village_director, child=child, data=CheckInput(checked_on=D(2015, 3, 13)))
    assert "2015-03-14" in str(err.value.field_errors["checked_on"])
    _assert_nothing_saved(child, D(2025, 2, 1))


def test_it_refuses_a_checker_who_works_outside_the_childs_region(regions, township_supervisor, left_behind, today):
    child = left_behind(regions.village, next_check_due=D(2025, 2, 1))
    neighbour = UserFactory(username="b_director", role=Role.VILLAGE_DIRECTOR, region=regions.village_b)
    with pytest.raises(ApplicationError) as err:
        check_record(by=township_supervisor, child=child, data=CheckInput(checked_on=today, checked_by=neighbour))
    assert "checked_by" in err.value.field_errors
    _assert_nothing_saved(child, D(2025, 2, 1))


def test_it_refuses_a_child_outside_the_users_scope(regions, outsider_director, left_behind, today):
    child = left_behind(regions.village, next_check_due=D(2025, 2, 1))
    with pytest.raises(PermissionDeniedError):
        check_record(by=outsider_director, child=child, data=CheckInput(checked_on=today))
    _assert_nothing_saved(child, D(2025, 2, 1))


def test_it_refuses_a_role_that_does_not_record_checks(regions, county_official, left_behind, today):
    child = left_behind(regions.village, next_check_due=D(2025, 2, 1))
    with pytest.raises(PermissionDeniedError):
        check_record(by=county_official, child=child, data=CheckInput(checked_on=today))
    _assert_nothing_saved(child, D(2025, 2, 1))


def test_it_refuses_an_unknown_kind_or_risk_level(regions, village_director, left_behind, today):
    child = left_behind(regions.village, next_check_due=D(2025, 2, 1))
    with pytest.raises(ApplicationError) as err:
        check_record(by=village_director, child=child, data=CheckInput(checked_on=today, kind="party", risk_level="extreme"))
    assert set(err.value.field_errors) == {"kind", "risk_level"}
    _assert_nothing_saved(child, D(2025, 2, 1))
