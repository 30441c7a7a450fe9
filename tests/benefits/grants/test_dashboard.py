"""The dashboard's grant figures: students supported, by study level, money per month."""

import datetime

from benefits.payouts.models import PayoutRun
from benefits.payouts.services import payout_run_approve, payout_run_compute


def test_the_dashboard_counts_students_by_level_and_grant_money_per_month(client, api_client_for, approved_grant, regions, county_official):
    run = PayoutRun.objects.create(region=regions.county, month=datetime.date(2026, 10, 1))
    payout_run_compute(run_id=run.id)
    payout_run_approve(by=county_official, run_id=run.id)
    body = api_client_for(county_official).get("/api/dashboard/summary/?region=370402&date=2026-10-15").json()
    assert body["grants"] == {
        "students": 1, "by_study_level": {"university": 1}, "by_month": [{"month": "2026-10", "count": 2, "amount": "1666.66"}]
    }
    client.force_login(county_official)
    page = client.get("/cases/dashboard/?region=370402&date=2026-10-15").content.decode()
    assert 'id="grants"' in page and "1666.66" in page


def test_an_outsider_gets_no_grant_figures_of_our_county(api_client_for, approved_grant, outsider):
    assert api_client_for(outsider).get("/api/dashboard/summary/?region=370402&date=2026-10-15").status_code in (403, 404)
