"""The REST API of standards, applications, enrollments, payout runs and payouts."""

import datetime

import pytest
import time_machine

from benefits.enrollments.models import Enrollment
from benefits.payouts.models import Payout, PayoutRun
from benefits.standards.models import WelfareStandard
from cases.applications.models import Application
from tests.benefits.helpers import enrolled_child, std
from tests.factories import ChildFactory, RegionFactory
from welfare.models import AuditLog, Region


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2025, 6, 16, 10, 0), tick=False):
        yield


@pytest.fixture
def as_user(api_client):
    def login(user):
        api_client.force_authenticate(user)
        return api_client

    return login


def test_it_creates_a_standard_and_answers_money_as_a_decimal_string(regions, city_official, as_user):
    res = as_user(city_official).post(
        "/api/standards/",
        {"region": "370400", "category": "orphan_scattered", "monthly_amount": "1600", "effective_from": "2025-01-01", "document": "枣民发"},
        format="json",
    )
    assert res.status_code == 201, res.json()
    assert res.json()["monthly_amount"] == "1600.00"
    assert res.json()["region"] == "370400"
    assert res.json()["refers_to"] is None


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"monthly_amount": "-5"}, "monthly_amount"),
        ({"monthly_amount": "lots"}, "monthly_amount"),
        ({"monthly_amount": "1600", "region": "999999"}, "region"),
        ({"monthly_amount": "1600", "effective_from": "2025-13-01"}, "effective_from"),
        ({"refers_to": "orphan_scattered"}, "refers_to"),
    ],
)
def test_it_answers_bad_standards_with_a_400_and_changes_nothing(regions, city_official, as_user, payload, field):
    body = {"region": "370400", "category": "orphan_scattered", "effective_from": "2025-01-01", **payload}
    res = as_user(city_official).post("/api/standards/", body, format="json")
    assert res.status_code == 400
    assert field in res.json()
    assert not WelfareStandard.objects.exists()


def test_it_raises_standards_through_the_api(regions, city_official, as_user):
    std(regions.city, "orphan_scattered", 1400, on="2020-01-01")
    res = as_user(city_official).post(
        "/api/standards/raise/",
        {"region": "370400", "categories": ["orphan_scattered"], "percent": "10", "effective_from": "2025-07-01", "rounding": "jiao"},
        format="json",
    )
    assert res.status_code == 201, res.json()
    assert [r["monthly_amount"] for r in res.json()] == ["1540.00"]


def test_an_outsider_cannot_see_or_set_our_county_standards(regions, county_official, outsider, as_user):
    std(regions.county, "orphan_scattered", 1500)
    assert as_user(outsider).get("/api/standards/").json()["count"] == 0
    res = as_user(outsider).post(
        "/api/standards/", {"region": "370402", "category": "orphan_scattered", "monthly_amount": "1", "effective_from": "2025-01-01"}, format="json"
    )
    assert res.status_code == 403
    assert as_user(county_official).get("/api/standards/").json()["count"] == 1


def test_the_application_workflow_end_to_end(regions, village_director, township_supervisor, county_official, as_user):
    child = ChildFactory(region=regions.village)
    res = as_user(village_director).post(
        "/api/applications/", {"child": child.id, "category": "orphan_scattered", "received_region": "370402001"}, format="json"
    )
    assert res.status_code == 201, res.json()
    body = res.json()
    assert body["status"] == "submitted" and body["county"] == "370402"
    # 2025-06-16 (Mon) + 10 working days = 2025-06-30 (no holiday in between).
    assert body["due_on"] == "2025-06-30"
    app_id = body["id"]
    assert as_user(county_official).post(f"/api/applications/{app_id}/approve/", {}, format="json").status_code == 400
    res = as_user(township_supervisor).post(f"/api/applications/{app_id}/review/", {"comment": "ok"}, format="json")
    assert res.json()["status"] == "reviewed"
    res = as_user(county_official).post(f"/api/applications/{app_id}/approve/", {"bank_account": "6222000011112222"}, format="json")
    assert res.status_code == 200, res.json()
    enrollment = Enrollment.objects.get(child=child)
    assert enrollment.start_month == datetime.date(2025, 7, 1)  # the month after approval
    assert child.memberships.filter(category="orphan_scattered", end_date__isnull=True).exists()
    again = as_user(county_official).post(f"/api/applications/{app_id}/approve/", {}, format="json")
    assert again.status_code == 400
    assert "already been approved" in again.json()["status"][0]
    assert Enrollment.objects.filter(child=child).count() == 1
    # The enrollment is listed, month fields as YYYY-MM and the account masked.
    listed = as_user(county_official).get("/api/enrollments/").json()["results"][0]
    assert listed["start_month"] == "2025-07" and listed["bank_account"].endswith("2222") and "*" in listed["bank_account"]


def test_an_outsider_cannot_approve_our_application(regions, village_director, outsider, as_user):
    child = ChildFactory(region=regions.village)
    app = as_user(village_director).post(
        "/api/applications/", {"child": child.id, "category": "orphan_scattered", "received_region": "370402001"}, format="json"
    ).json()
    res = as_user(outsider).post(f"/api/applications/{app['id']}/approve/", {}, format="json")
    assert res.status_code == 404
    assert Application.objects.get(id=app["id"]).status == "submitted"


def test_a_child_with_a_paid_enrollment_cannot_apply_again(regions, village_director, county_official, as_user):
    child, _e = enrolled_child(regions.village, regions.county)
    res = as_user(village_director).post(
        "/api/applications/", {"child": child.id, "category": "key_difficulty", "received_region": "370402001"}, format="json"
    )
    assert res.status_code == 400
    assert "child" in res.json()
    assert not Application.objects.exists()


def test_an_orphan_application_can_be_filed_in_another_province_by_identity_number(regions, as_user):
    from tests.factories import UserFactory
    from welfare.roles import Role

    gd = RegionFactory(code="440000", name="广东省", level=Region.Level.PROVINCE)
    gz = RegionFactory(code="440100", name="广州市", level=Region.Level.CITY, parent=gd)
    cty = RegionFactory(code="440103", name="荔湾区", level=Region.Level.COUNTY, parent=gz)
    town = RegionFactory(code="440103001", name="沙面街道", level=Region.Level.TOWNSHIP, parent=cty)
    far_supervisor = UserFactory(username="gd_sup", role=Role.TOWNSHIP_SUPERVISOR, region=town)
    child = ChildFactory(region=regions.village)
    res = as_user(far_supervisor).post(
        "/api/applications/",
        {"child_id_number": child.id_number, "category": "de_facto_unsupported", "received_region": "440103001"},
        format="json",
    )
    assert res.status_code == 201, res.json()
    assert res.json()["county"] == "370402"  # routed to the household-registration county
    res = as_user(far_supervisor).post(
        "/api/applications/",
        {"child_id_number": child.id_number, "category": "key_difficulty", "received_region": "440103001"},
        format="json",
    )
    assert res.status_code == 400  # key difficulty: within the province only
    # The far supervisor sees the application they received but not the child's other records.
    assert as_user(far_supervisor).get("/api/applications/").json()["count"] == 1


def test_a_payout_run_is_asked_for_computed_approved_and_exported(regions, county_official, as_user, django_capture_on_commit_callbacks):
    std(regions.city, "orphan_scattered", 1400)
    child, _e = enrolled_child(regions.village, regions.county)
    client = as_user(county_official)
    with django_capture_on_commit_callbacks(execute=True):  # the queued computation runs (eager Celery)
        res = client.post("/api/payout-runs/", {"region": "370402", "month": "2025-05"}, format="json")
    assert res.status_code in (201, 202), res.json()
    run_id = res.json()["id"]
    assert res.json()["month"] == "2025-05"
    again = client.post("/api/payout-runs/", {"region": "370402", "month": "2025-05"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == run_id
    assert PayoutRun.objects.count() == 1
    detail = client.get(f"/api/payout-runs/{run_id}/").json()
    assert detail["status"] == "draft" and detail["total_amount"] == "1400.00" and detail["payout_count"] == 1
    assert client.get(f"/api/payout-runs/{run_id}/export/?format=csv").status_code == 400  # not approved yet
    assert client.post(f"/api/payout-runs/{run_id}/approve/").json()["status"] == "approved"
    payouts = client.get("/api/payouts/?month=2025-05").json()
    assert payouts["count"] == 1 and payouts["results"][0]["amount"] == "1400.00" and payouts["results"][0]["month"] == "2025-05"
    res = client.get(f"/api/payout-runs/{run_id}/export/?format=csv")
    assert res.status_code == 200
    text = res.content.decode("utf-8-sig")
    assert child.id_number not in text and child.id_number[-4:] in text
    full = client.get(f"/api/payout-runs/{run_id}/export/?format=csv&full_id_numbers=1").content.decode("utf-8-sig")
    assert child.id_number in full and "6222020000001234" in full
    assert AuditLog.objects.filter(action="payout_run.exported").count() == 2
    assert PayoutRun.objects.get(id=run_id).status == "exported"
    xlsx = client.get(f"/api/payout-runs/{run_id}/export/?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


@pytest.mark.parametrize(
    "payload, code",
    [
        ({"region": "370402", "month": "2025-08"}, 400),  # the future
        ({"region": "370402", "month": "May"}, 400),
        ({"region": "370402001", "month": "2025-05"}, 400),  # not a county
        ({"region": "370403", "month": "2025-05"}, 403),  # outside one's scope
    ],
)
def test_bad_payout_run_requests_are_refused_clearly(regions, county_official, as_user, payload, code):
    res = as_user(county_official).post("/api/payout-runs/", payload, format="json")
    assert res.status_code == code
    assert not PayoutRun.objects.exists()


def test_an_outsider_sees_no_runs_or_payouts_of_ours(regions, county_official, outsider, as_user, django_capture_on_commit_callbacks):
    std(regions.city, "orphan_scattered", 1400)
    enrolled_child(regions.village, regions.county)
    with django_capture_on_commit_callbacks(execute=True):
        run = as_user(county_official).post("/api/payout-runs/", {"region": "370402", "month": "2025-05"}, format="json").json()
    assert as_user(outsider).get("/api/payout-runs/").json()["count"] == 0
    assert as_user(outsider).get(f"/api/payout-runs/{run['id']}/").status_code == 404
    assert as_user(outsider).get("/api/payouts/").json()["count"] == 0
    assert as_user(outsider).post(f"/api/payout-runs/{run['id']}/approve/").status_code == 404
    assert Payout.objects.count() == 1


def test_a_county_official_enrolls_an_existing_caseload_from_a_past_month(regions, county_official, as_user):
    child = ChildFactory(region=regions.village)
    res = as_user(county_official).post(
        "/api/enrollments/", {"child": child.id, "category": "orphan_institution", "start_month": "2019-03"}, format="json"
    )
    assert res.status_code == 201, res.json()
    assert res.json()["start_month"] == "2019-03" and res.json()["county"] == "370402"
    dup = as_user(county_official).post(
        "/api/enrollments/", {"child": child.id, "category": "orphan_scattered", "start_month": "2019-03"}, format="json"
    )
    assert dup.status_code == 400


def test_the_village_director_cannot_enroll(regions, village_director, as_user):
    child = ChildFactory(region=regions.village)
    res = as_user(village_director).post(
        "/api/enrollments/", {"child": child.id, "category": "orphan_institution", "start_month": "2019-03"}, format="json"
    )
    assert res.status_code == 403
