"""Pages: standards, payout runs, enrollments and the recognition queues."""

import datetime

import pytest
import time_machine

from benefits.enrollments.models import Enrollment
from benefits.payouts.models import PayoutRun
from benefits.standards.models import WelfareStandard
from cases.applications.models import Application
from cases.applications.services import application_review, application_submit
from tests.benefits.helpers import enrolled_child, std
from tests.factories import ChildFactory


@pytest.fixture(autouse=True)
def english(client):
    """The pages follow the language cookie: these tests read the English source strings."""
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2025, 6, 16, 10, 0), tick=False):
        yield


def test_a_county_official_computes_checks_and_approves_a_month(client, regions, county_official, django_capture_on_commit_callbacks):
    std(regions.city, "orphan_scattered", 1400)
    enrolled_child(regions.village, regions.county)
    client.force_login(county_official)
    with django_capture_on_commit_callbacks(execute=True):
        res = client.post("/benefits/runs/", {"region": "370402", "month": "2025-05"})
    run = PayoutRun.objects.get()
    assert res.status_code == 302 and res.url == f"/benefits/runs/{run.id}/"
    page = client.get(res.url).content.decode()
    assert "1400.00" in page and "Approve the month" in page
    client.post(f"/benefits/runs/{run.id}/approve/")
    run.refresh_from_db()
    assert run.status == "approved"
    res = client.get(f"/benefits/runs/{run.id}/export.csv")
    assert res.status_code == 200 and res["Content-Type"].startswith("text/csv")


def test_a_future_month_is_refused_on_the_page(client, regions, county_official):
    client.force_login(county_official)
    res = client.get("/benefits/runs/")
    assert res.status_code == 200
    res = client.post("/benefits/runs/", {"region": "370402", "month": "2030-01"})
    assert res.status_code == 200 and "future" in res.content.decode()
    assert not PayoutRun.objects.exists()


def test_an_outsider_gets_404_for_our_run(client, regions, county_official, outsider):
    run = PayoutRun.objects.create(region=regions.county, month=datetime.date(2025, 5, 1), status="draft")
    client.force_login(outsider)
    assert client.get(f"/benefits/runs/{run.id}/").status_code == 404
    assert client.post(f"/benefits/runs/{run.id}/approve/").status_code == 404
    run.refresh_from_db()
    assert run.status == "draft"


def test_the_standards_page_lists_and_refuses_a_negative_amount(client, regions, city_official):
    std(regions.city, "orphan_scattered", 1400, document="枣民发")
    client.force_login(city_official)
    assert "枣民发" in client.get("/benefits/standards/").content.decode()
    res = client.post(
        "/benefits/standards/",
        {"std-region": "370400", "std-category": "orphan_scattered", "std-monthly_amount": "-1", "std-effective_from": "2025-07-01"},
    )
    assert res.status_code == 200 and "negative" in res.content.decode()
    assert WelfareStandard.objects.count() == 1
    res = client.post(
        "/benefits/standards/raise/",
        {"raise-regions": "370400", "raise-categories": ["orphan_scattered"], "raise-amount": "200",
         "raise-rounding": "yuan", "raise-effective_from": "2025-07-01"},
    )
    assert res.status_code == 302
    assert WelfareStandard.objects.filter(monthly_amount=1600).exists()


def test_the_enrollment_page_ends_an_enrollment(client, regions, county_official, outsider):
    child, enrollment = enrolled_child(regions.village, regions.county)
    client.force_login(outsider)
    assert client.get(f"/benefits/enrollments/{enrollment.id}/").status_code == 404
    client.force_login(county_official)
    assert child.name in client.get("/benefits/enrollments/").content.decode()
    res = client.post(f"/benefits/enrollments/{enrollment.id}/", {"action": "end", "end-reason": "ineligible", "end-on": "2025-06-10"})
    assert res.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == "ended" and enrollment.end_month == datetime.date(2025, 6, 1)


def test_the_township_and_county_queues_and_the_decision(client, regions, village_director, township_supervisor, county_official, outsider):
    child = ChildFactory(region=regions.village)
    client.force_login(village_director)
    res = client.post(
        "/cases/applications/new/", {"child_id_number": child.id_number, "category": "orphan_scattered", "received_region": "370402001"}
    )
    app = Application.objects.get()
    assert res.status_code == 302 and app.county == regions.county
    client.force_login(township_supervisor)
    assert child.name in client.get("/cases/applications/township/").content.decode()
    client.post(f"/cases/applications/{app.id}/", {"action": "review", "review-comment": "checked at home"})
    client.force_login(county_official)
    assert child.name in client.get("/cases/applications/county/").content.decode()
    res = client.post(f"/cases/applications/{app.id}/", {"action": "reject", "reject-reason": ""})
    assert res.status_code == 400
    res = client.post(f"/cases/applications/{app.id}/", {"action": "approve", "approve-start_month": ""})
    assert res.status_code == 302
    assert Enrollment.objects.get(child=child).start_month == datetime.date(2025, 7, 1)
    client.force_login(outsider)
    assert client.get(f"/cases/applications/{app.id}/").status_code == 404


def test_the_county_sees_applications_past_their_time_limit(client, regions, village_director, township_supervisor, county_official):
    child = ChildFactory(region=regions.village)
    with time_machine.travel(datetime.datetime(2025, 9, 26, 10, 0), tick=False):
        app = application_submit(by=village_director, child=child, category="orphan_scattered", received_region=regions.township)
        application_review(by=township_supervisor, application=app)
    # Filed on Friday 26 September 2025: the National Day holiday (1–8 October) and the adjusted
    # working weekend days (Sunday 28 September, Saturday 11 October) make the limit 16 October.
    assert app.due_on == datetime.date(2025, 10, 16)
    with time_machine.travel(datetime.datetime(2025, 10, 20, 10, 0), tick=False):
        client.force_login(county_official)
        page = client.get("/cases/applications/county/").content.decode()
    assert "past its time limit" in page
