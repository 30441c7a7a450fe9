"""The budget page on a 390 px phone in a real headless Chromium: the county official projects
next year, the charts draw (vendored ECharts), a what-if raise changes the year's total, and
nothing is wider than the phone."""

import datetime

import pytest
from django.utils import timezone

from benefits.payouts.services import payout_run_compute, payout_run_start
from tests.benefits.helpers import enrolled_child, std

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_county_official_projects_next_year_with_a_raise_on_a_phone(open_session, regions, county_official):
    last = timezone.localdate().year - 1
    std(regions.province, "orphan_scattered", 950, minimum=True)
    std(regions.county, "orphan_scattered", 1000)
    std(regions.county, "key_difficulty", 500)
    for i in range(6):
        enrolled_child(regions.village, regions.county, birth=datetime.date(2012, 1 + i, 1), start=f"{last - 1}-01-01")
        enrolled_child(regions.village, regions.county, "key_difficulty", birth=datetime.date(2013, 1, 1), start=f"{last - 1}-03-01")
    for month in range(1, 13):
        run, _created = payout_run_start(by=None, region=regions.county, month=datetime.date(last, month, 1), enqueue=False)
        payout_run_compute(run_id=run.id)

    county = open_session()
    county.login("county")
    page = county.goto("/benefits/budget/")
    page.wait_for_selector("[data-chart=projection] canvas")
    page.wait_for_selector("[data-chart=check] canvas")
    before = page.locator("[data-figure=total]").inner_text()
    assert "预算" in page.locator("h1").inner_text()
    county.shoot("budget-01-projection")
    page.fill("#b-raise", "10")
    page.locator("form.budget-form button[type=submit]").click()
    page.wait_for_url("**raise_percent=10**")
    page.wait_for_selector("[data-chart=projection] canvas")
    after = page.locator("[data-figure=total]").inner_text()
    assert float(after.replace(",", "")) > float(before.replace(",", ""))
    county.shoot("budget-02-what-if")
    page.fill("#b-raise", "-10")
    page.locator("form.budget-form button[type=submit]").click()
    page.wait_for_selector("[data-error=raise_percent]")
    assert "最低" in page.locator("[data-error=raise_percent]").inner_text()
    county.shoot("budget-03-below-minimum")
