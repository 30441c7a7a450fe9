"""An existing caseload registered with its dates through `POST /api/children/`: dated
categories, the last check, an allowance start month (cases.children.history)."""

import datetime

import pytest
import time_machine

from benefits.enrollments.models import Enrollment
from cases.checks.models import Check
from cases.children.models import CategoryMembership, Child
from tests.factories import id_number_for

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)


def post(api_client, user, body, **extra):
    api_client.force_authenticate(user)
    return api_client.post("/api/children/", body, format="json", **extra)


def body(regions, **more):
    return {"name": "赵小兰", "id_number": id_number_for(regions.village, datetime.date(2015, 3, 14), "F"), "region": regions.village.code, **more}


@time_machine.travel(TODAY)
def test_it_makes_a_child_last_checked_four_months_ago_overdue_at_once(api_client, admin_user, regions):
    response = post(
        api_client, admin_user,
        body(regions, categories=[{"code": "left_behind", "since": "2024-09-01"}], last_checked_on="2026-02-10"),
    )
    assert response.status_code == 201, response.json()
    row = response.json()
    assert row["check_state"] == "overdue" and row["next_check_due"] == "2026-05-10"
    assert row["categories"] == ["left_behind"]
    child = Child.objects.get(id=row["id"])
    assert child.registered_on == datetime.date(2024, 9, 1)
    assert CategoryMembership.objects.get(child=child).start_date == datetime.date(2024, 9, 1)
    check = Check.objects.get(child=child)
    assert check.checked_on == datetime.date(2026, 2, 10) and check.checked_by is None


@time_machine.travel(TODAY)
def test_it_keeps_the_rule_for_a_new_registration_with_plain_codes(api_client, village_director, regions):
    response = post(api_client, village_director, body(regions, categories=["left_behind"]))
    assert response.status_code == 201
    assert response.json()["next_check_due"] == "2026-09-15" and response.json()["check_state"] == "ok"
    assert not Check.objects.exists()


@time_machine.travel(TODAY)
def test_it_makes_a_check_due_soon_when_the_last_one_was_nearly_three_months_ago(api_client, village_director, regions):
    response = post(api_client, village_director, body(regions, categories=["left_behind"], last_checked_on="2026-03-20"))
    assert response.status_code == 201, response.json()
    assert response.json()["check_state"] == "due_soon" and response.json()["next_check_due"] == "2026-06-20"
    membership = CategoryMembership.objects.get(child_id=response.json()["id"])
    assert membership.start_date == datetime.date(2026, 3, 20)  # a plain code starts with the history


@time_machine.travel(TODAY)
def test_it_enrolls_a_paid_category_from_its_start_month(api_client, admin_user, regions):
    response = post(
        api_client, admin_user,
        body(regions, categories=[{"code": "orphan_scattered", "since": "2023-04-10", "start_month": "2023-05"}]),
    )
    assert response.status_code == 201, response.json()
    enrollment = Enrollment.objects.get(child_id=response.json()["id"])
    assert enrollment.start_month == datetime.date(2023, 5, 1) and enrollment.county == regions.county
    assert enrollment.category == "orphan_scattered" and enrollment.status == "active"
    assert CategoryMembership.objects.get(child_id=response.json()["id"]).start_date == datetime.date(2023, 4, 10)


@time_machine.travel(TODAY)
def test_it_refuses_an_allowance_start_month_from_a_village_director_and_writes_nothing(api_client, village_director, regions):
    response = post(
        api_client, village_director,
        body(regions, categories=[{"code": "orphan_scattered", "since": "2023-04-10", "start_month": "2023-05"}]),
    )
    assert response.status_code == 403
    assert not Child.objects.exists() and not Enrollment.objects.exists()


@pytest.mark.parametrize(
    ("categories", "last", "field", "words"),
    [
        ([{"code": "left_behind", "since": "2026-07-01"}], None, "categories", "未来"),
        ([{"code": "left_behind", "since": "2026-03-01"}], "2026-02-01", "categories", "走访"),
        ([{"code": "left_behind", "since": "2026-13-01"}], None, "categories", "YYYY-MM-DD"),
        (["left_behind"], "2026-07-01", "last_checked_on", "今天"),
        ([{"code": "left_behind", "start_month": "2025-01"}], None, "categories", "不是"),
    ],
)
@time_machine.travel(TODAY)
def test_it_refuses_a_bad_history_in_chinese_and_writes_nothing(api_client, admin_user, regions, categories, last, field, words):
    response = post(api_client, admin_user, body(regions, categories=categories, last_checked_on=last))
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert words in str(response.json()[field])
    assert not Child.objects.exists() and not Check.objects.exists() and not CategoryMembership.objects.exists()


@time_machine.travel(TODAY)
def test_it_answers_in_english_when_asked(api_client, admin_user, regions):
    response = post(
        api_client, admin_user, body(regions, categories=[{"code": "left_behind", "since": "2026-07-01"}]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "cannot begin in the future" in str(response.json()["categories"])


@time_machine.travel(TODAY)
def test_it_refuses_an_outsider_registering_history_in_another_county(api_client, outsider, regions):
    response = post(api_client, outsider, body(regions, categories=[{"code": "left_behind", "since": "2025-01-01"}]))
    assert response.status_code == 403
    assert not Child.objects.exists()
