"""The budget page /benefits/budget/ and its xlsx exports."""

import datetime
import io

import pytest
import time_machine
from openpyxl import load_workbook

from benefits.payouts.services import payout_run_compute, payout_run_start
from tests.benefits.helpers import enrolled_child, std
from welfare.models import AuditLog

pytestmark = pytest.mark.django_db

URL = "/benefits/budget/"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 3, 15, 10, 0), tick=False):
        yield


@pytest.fixture
def caseload(regions):
    """Two orphans of our county paid 1000 a month since 2023, with the runs of 2025 computed."""
    std(regions.province, "orphan_scattered", 950, minimum=True)
    std(regions.county, "orphan_scattered", 1000)
    enrolled_child(regions.village, regions.county, birth=datetime.date(2015, 3, 14), start="2023-01-01")
    enrolled_child(regions.village, regions.county, birth=datetime.date(2009, 5, 20), start="2023-01-01")
    for month in range(1, 13):
        run, _created = payout_run_start(by=None, region=regions.county, month=datetime.date(2025, month, 1), enqueue=False)
        payout_run_compute(run_id=run.id)


def test_it_shows_the_projection_the_chart_and_the_check_of_last_year(client, county_official, regions, caseload):
    client.force_login(county_official)
    response = client.get(URL, {"region": regions.county.code, "year": 2027})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-chart="projection"' in body and 'data-chart="check"' in body
    assert "vendor/echarts/echarts.common.min.js" in body
    assert 'data-figure="year-total">17,000.00' in body
    assert 'data-month="2027-06"' in body
    # 2025 projected from its first day equals what the runs paid: no difference.
    assert 'data-figure="check-difference">0.00' in body
    assert 'id="new-enrollments"' in body
    assert "http://" not in body.replace("http://testserver", "") and "https://" not in body


def test_it_speaks_chinese_by_default(client, county_official, regions, caseload):
    client.force_login(county_official)
    body = client.get(URL, {"region": regions.county.code}).content.decode()
    assert "预算" in body and "新增" in body


def test_it_shows_a_bad_year_on_the_form_without_failing(client, county_official, regions):
    client.force_login(county_official)
    response = client.get(URL, {"region": regions.county.code, "year": "2040"})
    assert response.status_code == 400
    assert 'data-error="year"' in response.content.decode()


def test_it_shows_nothing_of_another_county(client, outsider, regions, caseload):
    client.force_login(outsider)
    assert client.get(URL, {"region": regions.county.code}).status_code == 404
    assert client.get(f"{URL}export/projection.xlsx", {"region": regions.county.code}).status_code == 404


@pytest.mark.parametrize("role_fixture", ["village_director", "township_supervisor"])
def test_it_refuses_directors_and_supervisors(client, request, regions, role_fixture):
    client.force_login(request.getfixturevalue(role_fixture))
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}export/projection.xlsx").status_code == 403


def test_it_exports_the_months_to_excel_and_logs_it(client, county_official, regions, caseload):
    client.force_login(county_official)
    response = client.get(f"{URL}export/projection.xlsx", {"region": regions.county.code, "year": 2027, "raise_percent": "10"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 12 + 1  # headings, the months, the year
    assert rows[1][0] == "2027-01"
    assert rows[-1][-1] == 2 * 1100 * 5 + 1100 * 7  # everyone raised 10 % from January
    log = AuditLog.objects.get(action="budget.export")
    assert log.actor == county_official and log.record_count == 13
    assert log.detail["region"] == regions.county.code and log.detail["raise_percent"] == "10.00"


def test_it_exports_the_check_of_last_year(client, city_official, regions, caseload):
    client.force_login(city_official)
    response = client.get(f"{URL}export/check.xlsx", {"region": regions.city.code})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][:4] == ("2025-01", 2000, 2000, 0)
    assert AuditLog.objects.filter(action="budget.export", detail__table="check").exists()
