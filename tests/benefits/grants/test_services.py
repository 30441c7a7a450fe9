import datetime
from decimal import Decimal

import pytest

from benefits.grants.models import Grant, GrantStandard
from benefits.grants.services import (
    grant_apply,
    grant_approve,
    grant_eligibility,
    grant_end,
    grant_reject,
    grant_renew,
    grant_standard_create,
)
from tests.benefits.grants.conftest import filing, orphan
from tests.factories import ChildFactory
from welfare.errors import ApplicationError, PermissionDeniedError


def _refused(fn, field):
    with pytest.raises(ApplicationError) as exc:
        fn()
    assert field in exc.value.field_errors, exc.value.field_errors
    return str(exc.value.field_errors[field])


def test_it_files_a_grant_routed_to_the_household_registration_county(student, regions, village_director):
    grant = grant_apply(by=village_director, data=filing(student, regions.township))
    assert (grant.status, grant.county, grant.received_region, grant.school_year) == ("submitted", regions.county, regions.township, "2026-2027")
    assert grant.annual_amount is None


def test_it_refuses_a_grant_for_a_child_never_recognised_as_an_orphan(regions, village_director):
    child = ChildFactory(region=regions.village, birth_date=datetime.date(2007, 3, 10))
    message = _refused(lambda: grant_apply(by=village_director, data=filing(child, regions.township)), "child")
    assert "orphan" in message
    assert Grant.objects.count() == 0


def test_it_refuses_an_orphan_recognised_only_after_turning_18(regions, village_director):
    child = orphan(regions.village, regions.county, since=datetime.date(2025, 6, 1))
    _refused(lambda: grant_apply(by=village_director, data=filing(child, regions.township)), "child")
    assert Grant.objects.count() == 0


def test_it_refuses_an_adopted_child_who_is_not_disabled(regions, village_director):
    child = orphan(regions.village, regions.county, end_reason="adoption")
    message = _refused(lambda: grant_apply(by=village_director, data=filing(child, regions.township)), "child")
    assert "adopted disabled orphan" in message
    assert Grant.objects.count() == 0


def test_it_grants_an_adopted_disabled_orphan(regions, village_director):
    child = orphan(regions.village, regions.county, category="adopted_disabled_orphan")
    assert grant_apply(by=village_director, data=filing(child, regions.township)).status == "submitted"


def test_it_refuses_an_orphan_under_18_and_one_past_the_highest_age(regions, student):
    young = orphan(regions.village, regions.county, birth=datetime.date(2009, 1, 5))
    _refused(lambda: grant_eligibility(child=young, school_year="2026-2027", study_level="university"), "child")
    old = orphan(regions.village, regions.county, birth=datetime.date(2000, 1, 5))
    _refused(lambda: grant_eligibility(child=old, school_year="2026-2027", study_level="master"), "school_year")
    _refused(lambda: grant_eligibility(child=student, school_year="2026-2027", study_level="high_school"), "study_level")


def test_it_refuses_a_school_year_already_granted(approved_grant, student, regions, township_supervisor):
    _refused(lambda: grant_apply(by=township_supervisor, data=filing(student, regions.township)), "school_year")
    assert Grant.objects.count() == 1


def test_it_refuses_a_badly_written_school_year_and_missing_proof(student, regions, village_director):
    _refused(lambda: grant_apply(by=village_director, data=filing(student, regions.township, school_year="2026-2028")), "school_year")
    _refused(lambda: grant_apply(by=village_director, data=filing(student, regions.township, enrolment_proof=" ")), "enrolment_proof")
    assert Grant.objects.count() == 0


def test_it_accepts_a_filing_at_any_township_of_the_province(student, regions):
    from tests.factories import UserFactory

    supervisor = UserFactory(username="other_sup", role="township_supervisor", region=regions.other_township)
    grant = grant_apply(by=supervisor, data=filing(None, regions.other_township, child_id_number=student.id_number))
    assert grant.county == regions.county and grant.received_region == regions.other_township


def test_it_approves_with_the_national_amount_paid_monthly(student, regions, village_director, county_official):
    grant = grant_apply(by=village_director, data=filing(student, regions.township))
    grant = grant_approve(by=county_official, grant_id=grant.id)
    assert (grant.status, grant.annual_amount, grant.instalments, grant.standard) == ("approved", Decimal("10000.00"), 12, None)


def test_the_most_specific_region_in_force_sets_the_amount_and_the_frequency(student, regions, village_director, county_official, province_official, city_official):
    grant_standard_create(by=province_official, region=regions.province, annual_amount="11000", effective_from=datetime.date(2025, 1, 1))
    city = grant_standard_create(
        by=city_official, region=regions.city, annual_amount="12000", effective_from=datetime.date(2026, 1, 1), frequency="quarterly"
    )
    grant_standard_create(by=city_official, region=regions.city, annual_amount="15000", effective_from=datetime.date(2026, 10, 1))
    grant = grant_apply(by=village_director, data=filing(student, regions.township))
    grant = grant_approve(by=county_official, grant_id=grant.id)
    # in force on 1 September 2026: the city's first version (the later one starts in October)
    assert (grant.annual_amount, grant.instalments, grant.standard) == (Decimal("12000.00"), 4, city)


def test_it_refuses_a_grant_standard_below_the_national_amount(regions, province_official):
    _refused(
        lambda: grant_standard_create(by=province_official, region=regions.province, annual_amount="9000", effective_from=datetime.date(2026, 1, 1)),
        "annual_amount",
    )
    assert GrantStandard.objects.count() == 0


def test_it_refuses_a_second_approval_and_changes_nothing(approved_grant, county_official):
    before = Grant.objects.get(id=approved_grant.id).decided_on
    message = _refused(lambda: grant_approve(by=county_official, grant_id=approved_grant.id), "status")
    assert "already been approved" in message
    assert Grant.objects.get(id=approved_grant.id).decided_on == before


def test_only_the_household_county_decides(student, regions, village_director, outsider):
    grant = grant_apply(by=village_director, data=filing(student, regions.township))
    with pytest.raises(PermissionDeniedError):
        grant_approve(by=outsider, grant_id=grant.id)
    with pytest.raises(PermissionDeniedError):
        grant_approve(by=village_director, grant_id=grant.id)
    assert Grant.objects.get(id=grant.id).status == "submitted"


def test_it_rejects_with_a_reason(student, regions, village_director, county_official):
    grant = grant_apply(by=village_director, data=filing(student, regions.township))
    _refused(lambda: grant_reject(by=county_official, grant_id=grant.id, reason=" "), "reason")
    grant = grant_reject(by=county_official, grant_id=grant.id, reason="未提供在读证明")
    assert (grant.status, grant.reason) == ("rejected", "未提供在读证明")
    # a rejected year may be filed again
    assert grant_apply(by=village_director, data=filing(grant.child, regions.township)).status == "submitted"


def test_it_ends_a_grant_from_a_month_of_its_school_year(approved_grant, county_official):
    _refused(lambda: grant_end(by=county_official, grant_id=approved_grant.id, reason="毕业", end_month="2027-09"), "end_month")
    grant = grant_end(by=county_official, grant_id=approved_grant.id, reason="退学", end_month="2026-12")
    assert (grant.status, grant.end_month) == ("ended", datetime.date(2026, 12, 1))


def test_it_renews_for_the_next_school_year(approved_grant, village_director):
    grant = grant_renew(
        by=village_director, grant_id=approved_grant.id, school="", study_level="", enrolment_proof="学生证 2027", received_region=None
    )
    assert (grant.school_year, grant.school, grant.status, grant.child_id) == ("2027-2028", "山东大学", "submitted", approved_grant.child_id)
