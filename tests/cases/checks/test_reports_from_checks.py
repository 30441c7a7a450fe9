"""A check that finds a high risk, or notes a guardianship risk, puts one report in the county's
screening queue (source `check`), in the check's own transaction; once per check."""

import datetime

import pytest

from cases.checks.models import Check
from cases.protection.models import CaseReport

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def our_child(regions, left_behind, today):
    return left_behind(regions.village, next_check_due=D(2025, 2, 1), check_state="overdue")


def post(api_client, user, **data):
    api_client.force_authenticate(user)
    return api_client.post("/api/checks/", {"checked_on": "2025-02-28", **data}, format="json", HTTP_ACCEPT_LANGUAGE="en")


def test_it_puts_a_high_risk_check_in_the_countys_queue(api_client, village_director, our_child, regions):
    response = post(api_client, village_director, child=our_child.id, risk_level="high", safety_risk="河边无人看护")
    assert response.status_code == 201, response.content
    report = CaseReport.objects.get()
    check = Check.objects.get()
    assert (report.source, report.status, report.child_id, report.check_record_id) == ("check", "received", our_child.id, check.id)
    assert (report.county, report.region, report.urgency) == (regions.county, our_child.region, "urgent")
    assert "河边无人看护" in report.description


def test_it_puts_a_noted_guardianship_risk_in_the_queue_whatever_the_risk_level(api_client, village_director, our_child):
    response = post(api_client, village_director, child=our_child.id, risk_level="low", guardianship_risk="祖母卧床，无人照料")
    assert response.status_code == 201, response.content
    report = CaseReport.objects.get()
    assert (report.concern, report.urgency) == ("guardianship_missing", "normal")


def test_it_files_nothing_for_a_check_without_risk(api_client, village_director, our_child):
    assert post(api_client, village_director, child=our_child.id, risk_level="medium").status_code == 201
    assert not CaseReport.objects.exists()


def test_it_files_one_report_per_check_even_when_the_check_is_sent_twice(api_client, village_director, our_child):
    first = post(api_client, village_director, child=our_child.id, risk_level="high")
    again = post(api_client, village_director, child=our_child.id, risk_level="high")
    assert (first.status_code, again.status_code) == (201, 200)
    assert Check.objects.count() == 1
    assert CaseReport.objects.count() == 1


def test_it_files_no_report_when_the_check_is_refused(api_client, village_director, our_child):
    response = post(api_client, village_director, child=our_child.id, risk_level="high", checked_on="2030-01-01")
    assert response.status_code == 400
    assert not Check.objects.exists() and not CaseReport.objects.exists()
