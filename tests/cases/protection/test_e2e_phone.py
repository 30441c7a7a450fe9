"""报告线索 and screening on a 390 px phone in a real headless Chromium: a village director files
a report about a child of the village, the county official screens it in from the queue."""

import pytest

from cases.protection.models import Case, CaseReport

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_director_reports_a_child_at_risk_and_the_county_screens_it_in_on_a_phone(
    open_session, regions, village_director, county_official, child
):
    director = open_session()
    director.login("director")
    page = director.goto("/cases/protection/report/")
    director.shoot("casework-01-report-form")
    page.select_option("#id_child", str(child.id))
    page.select_option("#id_concern", "neglect")
    page.check("input[name=urgency][value=urgent]")
    page.select_option("#id_reporter_type", "village_committee")
    page.fill("#id_reporter_name", "赵主任")
    page.fill("#id_reporter_phone", "13900001111")
    page.fill("#id_description", "父母外出务工，孩子连续三天独自在家")
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/cases/protection/reports/*/")
    report = CaseReport.objects.get()
    assert (report.child_id, report.county_id, report.urgency) == (child.id, regions.county.id, "urgent")
    assert "市中区" in page.locator("main").inner_text()
    director.shoot("casework-02-receipt")

    county = open_session()
    county.login("county")
    page = county.goto("/cases/protection/screening/")
    county.shoot("casework-03-screening-queue")
    page.locator(f"a[href='/cases/protection/screening/{report.id}/']").click()
    page.wait_for_url(f"**/cases/protection/screening/{report.id}/")
    main = page.locator("main").inner_text()
    assert "赵主任" not in main and "赵**" in main  # the reporter is masked
    county.shoot("casework-04-screening")
    form = page.locator("form[action$='/in/']")
    form.locator("input[name=risk_level][value=high]").check()
    form.locator("select[name=caseworker]").select_option(str(village_director.id))
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/cases/protection/cases/*/")
    case = Case.objects.get()
    assert (case.child_id, case.risk_level, case.caseworker_id) == (child.id, "high", village_director.id)
    assert "张小明" in page.locator("main").inner_text()
    county.shoot("casework-05-case")
