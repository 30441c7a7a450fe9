"""The grant pages in a real headless Chromium on a 390 px phone, in Chinese: a child director
files a grant, the county approves it; no page is wider than the phone."""

import re

import pytest

from benefits.grants.models import Grant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_director_files_and_the_county_approves_a_grant_on_a_phone(open_session, student, regions, village_director, county_official):
    director = open_session()
    director.login("director")
    page = director.goto(f"/benefits/grants/new/?child={student.id}")
    assert "申请助学金" in page.locator("h1").inner_text()
    page.fill("#id_school_year", "2026-2027")
    page.fill("#id_school", "山东大学")
    page.select_option("#id_study_level", "university")
    page.fill("#id_enrolment_proof", "学生证 2026001")
    director.shoot("grants-01-new")
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/benefits/grants/\d+/$"))
    grant = Grant.objects.get()
    assert grant.status == "submitted"
    director.shoot("grants-02-detail-director")

    county = open_session()
    county.login("county")
    page = county.goto(f"/benefits/grants/{grant.id}/")
    county.shoot("grants-03-detail-county")
    page.locator("button", has_text="批准助学金").click()
    page.wait_for_url(re.compile(rf"/benefits/grants/{grant.id}/$"))
    assert "10000.00" in page.content()
    county.goto("/benefits/grants/")
    county.shoot("grants-04-list")
    grant.refresh_from_db()
    assert grant.status == "approved"
