"""Two acceptances of one transfer at the same time, on the real PostgreSQL (committed rows)."""

import pytest
from django.db import connection
from django.utils import timezone

from benefits.enrollments.models import Enrollment, Transfer
from benefits.enrollments.services import transfer_accept, transfer_request
from tests.benefits.helpers import enrolled_child, std
from tests.concurrency import at_the_same_moment
from tests.factories import UserFactory
from welfare.errors import ApplicationError
from welfare.months import add_months, month_start
from welfare.roles import Role

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks on PostgreSQL"),
]


def test_two_acceptances_at_the_same_time_open_one_enrollment(regions, county_official):
    std(regions.city, "orphan_scattered", 1400)
    child, enrollment = enrolled_child(regions.village, regions.county)
    receiving = UserFactory(username="receiving", role=Role.COUNTY_OFFICIAL, region=regions.other_county)
    transfer = transfer_request(by=county_official, enrollment=enrollment, to_county=regions.other_county, reason="迁居")

    def accept():
        return transfer_accept(by=receiving, transfer_id=transfer.id, region=regions.other_village)

    # The enrollments table is held: the first acceptance stops half-way (the transfer locked, the
    # enrollment not yet ended), the second queues on the transfer: they truly overlap.
    results = at_the_same_moment({"a": accept, "b": accept}, hold="benefits_enrollment")
    accepted = [r for r in results.values() if isinstance(r, Transfer)]
    refused = [r for r in results.values() if isinstance(r, ApplicationError)]
    assert len(accepted) == 1 and len(refused) == 1, results
    assert Enrollment.objects.filter(child=child).count() == 2
    new = Enrollment.objects.get(child=child, status="active")
    assert (new.county_id, new.start_month) == (regions.other_county.id, add_months(month_start(timezone.localdate()), 1))
    assert Transfer.objects.get(id=transfer.id).new_enrollment_id == new.id
