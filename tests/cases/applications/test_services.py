"""Recognition: filing rules, routing, review, approval into an enrollment, rejection, time limits."""

import datetime

import pytest
import time_machine
from django.test import override_settings
from django.utils import translation

from benefits.enrollments.models import Enrollment
from cases.applications.models import Application
from cases.applications.selectors import application_county_queue, application_overdue_list, application_township_queue
from cases.applications.services import application_approve, application_reject, application_review, application_submit
from cases.children.models import CategoryMembership
from tests.factories import ChildFactory, MembershipFactory, RegionFactory, UserFactory
from welfare.errors import ApplicationError, PermissionDeniedError
from welfare.models import Region
from welfare.roles import Role
from welfare.workdays import add_working_days

D = datetime.date


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2025, 6, 16, 10, 0), tick=False):
        yield


def submitted(director, child, category="orphan_scattered", township=None):
    return application_submit(by=director, child=child, category=category, received_region=township or child.region.parent)


def test_it_counts_chinese_working_days_across_national_day():
    # 2024: 1–7 October off, Sunday 29 September and Saturday 12 October are working days.
    assert add_working_days(D(2024, 9, 27), 10) == D(2024, 10, 16)
    assert add_working_days(D(2024, 9, 27), 1) == D(2024, 9, 29)
    assert add_working_days(D(2025, 6, 16), 10) == D(2025, 6, 30)


def test_it_falls_back_to_monday_to_friday_beyond_the_calendars_data():
    assert add_working_days(D(2099, 1, 2), 1) == D(2099, 1, 5)  # Friday → Monday


def test_an_application_is_routed_to_the_household_registration_county(regions, village_director):
    child = ChildFactory(region=regions.village, household_region=regions.other_village)
    app = submitted(village_director, child, "orphan_scattered", township=regions.township)
    assert app.county == regions.other_county
    assert app.due_on == D(2025, 6, 30)
    assert app in application_county_queue(user=UserFactory(username="c2", role=Role.COUNTY_OFFICIAL, region=regions.other_county))


@override_settings(APPLICATION_TIME_LIMIT_WORKING_DAYS=3)
def test_the_time_limit_is_a_setting(regions, village_director):
    assert submitted(village_director, ChildFactory(region=regions.village)).due_on == D(2025, 6, 19)


def test_key_difficulty_may_be_filed_only_within_the_province(regions):
    other_province = RegionFactory(code="440000", name="广东省", level=Region.Level.PROVINCE)
    city = RegionFactory(code="440100", name="广州市", level=Region.Level.CITY, parent=other_province)
    county = RegionFactory(code="440103", name="荔湾区", level=Region.Level.COUNTY, parent=city)
    town = RegionFactory(code="440103001", name="街道", level=Region.Level.TOWNSHIP, parent=county)
    far = UserFactory(username="far", role=Role.TOWNSHIP_SUPERVISOR, region=town)
    near = UserFactory(username="near", role=Role.TOWNSHIP_SUPERVISOR, region=regions.other_township)
    child = ChildFactory(region=regions.village)
    with pytest.raises(ApplicationError):
        application_submit(by=far, child_id_number=child.id_number, category="key_difficulty", received_region=town)
    # Same province, another county: allowed, decided by the child's county.
    app = application_submit(by=near, child_id_number=child.id_number, category="key_difficulty", received_region=regions.other_township)
    assert app.county == regions.county
    # Orphans: anywhere in the country.
    app2 = application_submit(by=far, child_id_number=child.id_number, category="orphan_scattered", received_region=town)
    assert app2.county == regions.county


def test_a_director_cannot_file_at_another_township(regions, village_director):
    with pytest.raises(ApplicationError):
        submitted(village_director, ChildFactory(region=regions.village), township=regions.other_township)


def test_an_unknown_identity_number_is_a_clear_error(regions, township_supervisor):
    with pytest.raises(ApplicationError) as exc:
        application_submit(by=township_supervisor, child_id_number="37040220150314001X", category="orphan_scattered", received_region=regions.township)
    assert "child_id_number" in exc.value.field_errors


def test_review_then_approval_enrolls_from_the_next_month_with_a_membership(regions, village_director, township_supervisor, county_official):
    child = ChildFactory(region=regions.village)
    MembershipFactory(child=child, category="key_difficulty", start_date=D(2024, 1, 1))
    app = submitted(village_director, child)
    assert app in application_township_queue(user=township_supervisor)
    application_review(by=township_supervisor, application=app, comment="visited")
    assert app not in application_township_queue(user=township_supervisor)
    application_approve(by=county_official, application=app)
    app.refresh_from_db()
    assert app.status == "approved" and app.decided_on == D(2025, 6, 16)
    enrollment = Enrollment.objects.get(child=child)
    assert (enrollment.category, enrollment.county, enrollment.start_month) == ("orphan_scattered", regions.county, D(2025, 7, 1))
    open_paid = CategoryMembership.objects.filter(child=child, end_date__isnull=True).values_list("category", flat=True)
    assert list(open_paid) == ["orphan_scattered"]  # the earlier paid category was ended


@override_settings(ENROLLMENT_START_MONTH_OFFSET=0)
def test_the_start_month_offset_is_a_setting(regions, village_director, township_supervisor, county_official):
    app = submitted(village_director, ChildFactory(region=regions.village))
    application_review(by=township_supervisor, application=app)
    application_approve(by=county_official, application=app)
    assert Enrollment.objects.get().start_month == D(2025, 6, 1)


def test_approving_twice_or_outside_ones_county_is_refused(regions, village_director, township_supervisor, county_official, outsider):
    app = submitted(village_director, ChildFactory(region=regions.village))
    application_review(by=township_supervisor, application=app)
    with pytest.raises(PermissionDeniedError):
        application_approve(by=outsider, application=app)
    application_approve(by=county_official, application=app)
    with translation.override("en"), pytest.raises(ApplicationError) as exc:
        application_approve(by=county_official, application=app)
    assert "already" in str(exc.value.message)
    assert Enrollment.objects.count() == 1


def test_the_county_must_wait_for_the_township_review(regions, village_director, county_official):
    app = submitted(village_director, ChildFactory(region=regions.village))
    with pytest.raises(ApplicationError):
        application_approve(by=county_official, application=app)
    assert not Enrollment.objects.exists()


def test_a_rejection_needs_a_reason(regions, village_director, county_official):
    app = submitted(village_director, ChildFactory(region=regions.village))
    with pytest.raises(ApplicationError):
        application_reject(by=county_official, application=app, reason="  ")
    application_reject(by=county_official, application=app, reason="Parents can support the child")
    app.refresh_from_db()
    assert app.status == "rejected" and app.reason == "Parents can support the child"
    assert not Enrollment.objects.exists()


def test_a_second_open_application_for_the_same_category_is_refused(regions, village_director):
    child = ChildFactory(region=regions.village)
    submitted(village_director, child)
    with pytest.raises(ApplicationError):
        submitted(village_director, child)
    assert Application.objects.count() == 1


def test_applications_past_their_limit_are_listed_for_the_county(regions, village_director, county_official, outsider):
    app = submitted(village_director, ChildFactory(region=regions.village))
    assert not application_overdue_list(user=county_official, today=D(2025, 6, 30)).exists()
    assert list(application_overdue_list(user=county_official, today=D(2025, 7, 1))) == [app]
    assert not application_overdue_list(user=outsider, today=D(2025, 7, 1)).exists()
