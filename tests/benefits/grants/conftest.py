"""Grant students: young people recognised as orphans before 18, now at school past 18."""

import datetime

import pytest
import time_machine

from benefits.enrollments.models import Enrollment
from benefits.grants.services import GrantInput, grant_apply, grant_approve
from cases.children.models import CategoryMembership
from tests.factories import ChildFactory

TODAY = datetime.date(2026, 10, 15)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 10, 15, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


def orphan(region, county, *, category="orphan_scattered", birth=datetime.date(2007, 3, 10), since=datetime.date(2015, 1, 1), end_reason="age", **kw):
    """A young person recognised as an orphan from `since` (a membership and an enrollment), the
    enrollment ended (by default when they turned 18)."""
    child = ChildFactory(region=region, birth_date=birth, **kw)
    eighteen = max(birth.replace(year=birth.year + 18, day=1), since.replace(day=1))
    CategoryMembership.objects.create(child=child, category=category, start_date=since, end_date=eighteen)
    Enrollment.objects.create(
        child=child, category=category, county=county, start_month=since.replace(day=1), end_month=eighteen,
        end_reason=end_reason, status=Enrollment.Status.ENDED,
    )
    return child


def filing(child, township, **kw) -> GrantInput:
    values = dict(
        received_region=township, school_year="2026-2027", school="山东大学", study_level="university",
        enrolment_proof="学生证 2026001", child=child,
    )
    values.update(kw)
    return GrantInput(**values)


@pytest.fixture
def student(regions):
    return orphan(regions.village, regions.county, name="王小华")


@pytest.fixture
def approved_grant(student, regions, village_director, county_official):
    grant = grant_apply(by=village_director, data=filing(student, regions.township))
    return grant_approve(by=county_official, grant_id=grant.id)
