"""Staff added and ended, trainings recorded, training coverage."""

import datetime
from decimal import Decimal

import pytest

from institutions.figures import institution_figures
from institutions.models import Staff, Training
from institutions.staffing.services import staff_add, staff_end, training_record
from tests.factories import StaffFactory
from welfare.errors import ApplicationError, PermissionDeniedError

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 5, 20, 10, 0), tick=False)


D = datetime.date


def test_the_institution_adds_and_ends_its_staff(carer, home):
    staff = staff_add(
        by=carer, institution=home, name="周美玲", position="carer", appointed_on=D(2024, 3, 1), phone="138 0000 0000"
    )
    assert (staff.region, staff.institution, staff.phone) == (home.region, home, "13800000000")
    with pytest.raises(ApplicationError) as exc:
        staff_end(by=carer, staff=staff, left_on=D(2024, 2, 1))
    assert "left_on" in exc.value.field_errors
    staff_end(by=carer, staff=staff, left_on=D(2026, 5, 1))
    staff.refresh_from_db()
    assert staff.left_on == D(2026, 5, 1)


def test_it_refuses_a_staff_member_of_another_institution(carer, other_carer, home, other_home, outsider):
    theirs = StaffFactory(name="薛城护理员", position="carer", region=other_home.region, institution=other_home)
    with pytest.raises(PermissionDeniedError):
        staff_end(by=carer, staff=theirs, left_on=D(2026, 5, 1))
    with pytest.raises(PermissionDeniedError):
        training_record(by=carer, staff=theirs, title="消防培训", held_on=D(2026, 4, 1), hours=4)
    with pytest.raises(PermissionDeniedError):
        staff_add(by=outsider, institution=home, name="x", position="carer", appointed_on=None)
    theirs.refresh_from_db()
    assert theirs.left_on is None and not Training.objects.exists() and Staff.objects.count() == 1


def test_it_records_trainings_with_hours_and_counts_coverage(carer, home):
    trained = staff_add(by=carer, institution=home, name="周美玲", position="carer", appointed_on=D(2024, 3, 1))
    staff_add(by=carer, institution=home, name="吴建国", position="social_worker", appointed_on=D(2025, 3, 1))
    training = training_record(by=carer, staff=trained, title="儿童照护培训", held_on=D(2026, 4, 1), hours="6.5")
    assert training.hours == Decimal("6.5")
    with pytest.raises(ApplicationError) as exc:
        training_record(by=carer, staff=trained, title="", held_on=D(2026, 6, 1), hours=0)
    assert set(exc.value.field_errors) == {"title", "held_on", "hours"}
    figures = institution_figures(institution=home)
    assert (figures.staff_in_post, figures.staff_trained_this_year, figures.training_coverage) == (2, 1, 0.5)
