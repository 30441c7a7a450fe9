import datetime

import pytest
from django.contrib.messages import get_messages

from cases.applications.models import Application
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db


def _application(regions, child, status="submitted"):
    return Application.objects.create(
        child=child,
        category="orphan_scattered",
        received_region=regions.township,
        county=regions.county,
        status=status,
        submitted_on=datetime.date(2025, 3, 3),
        due_on=datetime.date(2025, 3, 17),
    )


def test_it_lets_the_county_approve_in_the_admin_and_enrolls_the_child(client, regions, county_official):
    county_official.is_staff = True
    county_official.save()
    application = _application(regions, ChildFactory(region=regions.village), status="reviewed")
    client.force_login(county_official)
    response = client.post(
        "/admin/cases/application/", {"action": "approve_selected", "_selected_action": [application.id]}, follow=True
    )
    assert response.status_code == 200
    application.refresh_from_db()
    assert application.status == "approved"
    assert application.child.enrollments.filter(status="active", category="orphan_scattered").exists()


def test_it_reports_each_refusal_and_changes_nothing_for_it(client, regions, county_official):
    county_official.is_staff = True
    county_official.save()
    application = _application(regions, ChildFactory(region=regions.village), status="submitted")
    client.force_login(county_official)
    response = client.post(
        "/admin/cases/application/", {"action": "review_selected", "_selected_action": [application.id]}, follow=True
    )
    application.refresh_from_db()
    assert application.status == "submitted"  # a county official may not do the township review
    assert any(m.level_tag == "error" for m in get_messages(response.wsgi_request))
