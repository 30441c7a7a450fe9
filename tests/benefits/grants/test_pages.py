"""Pages under /benefits/grants/: list, filing, detail with the county's decision; the run page
and the bank file show grant lines apart."""

import datetime

import pytest

from benefits.grants.models import Grant
from benefits.grants.services import grant_apply
from benefits.payouts.models import PayoutRun
from benefits.payouts.services import payout_run_approve, payout_run_compute
from tests.benefits.grants.conftest import filing


@pytest.fixture(autouse=True)
def english(client):
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def test_a_director_files_and_the_county_approves_on_the_pages(client, student, regions, village_director, county_official):
    client.force_login(village_director)
    assert client.get("/benefits/grants/new/").status_code == 200
    res = client.post(
        "/benefits/grants/new/",
        {"child_id_number": student.id_number, "received_region": "370402001", "school_year": "2026-2027",
         "school": "山东大学", "study_level": "university", "enrolment_proof": "学生证"},
    )
    grant = Grant.objects.get()
    assert res.status_code == 302 and res.url == f"/benefits/grants/{grant.id}/"
    assert "山东大学" in client.get("/benefits/grants/").content.decode()
    client.force_login(county_official)
    page = client.get(res.url).content.decode()
    assert "Approve the grant" in page
    assert client.post(res.url, {"action": "approve"}).status_code == 302
    assert Grant.objects.get().status == "approved"
    again = client.post(res.url, {"action": "approve"})
    assert again.status_code == 400 and "already been approved" in again.content.decode()


def test_a_refused_filing_shows_the_message_and_keeps_nothing(client, regions, village_director):
    from tests.factories import ChildFactory

    child = ChildFactory(region=regions.village, birth_date=datetime.date(2007, 1, 1))
    client.force_login(village_director)
    res = client.post(
        f"/benefits/grants/new/?child={child.id}",
        {"child": child.id, "received_region": "370402001", "school_year": "2026-2027", "school": "X", "study_level": "college",
         "enrolment_proof": "card"},
    )
    assert res.status_code == 400 and "never recognised as an orphan" in res.content.decode()
    assert Grant.objects.count() == 0


def test_a_filing_without_a_number_or_with_an_unknown_township_code_is_refused_beside_the_fields(client, regions, village_director):
    client.force_login(village_director)
    res = client.post(
        "/benefits/grants/new/",
        {"received_region": "999999999", "school_year": "2026-2027", "school": "X", "study_level": "college", "enrolment_proof": "card"},
    )
    page = res.content.decode()
    assert res.status_code == 400
    assert "Enter the child&#x27;s full 18-character identity number." in page and "There is no region with this code." in page
    assert Grant.objects.count() == 0


def test_the_county_rejects_with_a_reason_and_ends_an_approved_grant(client, approved_grant, student, regions, village_director, county_official):
    client.force_login(county_official)
    url = f"/benefits/grants/{approved_grant.id}/"
    assert client.post(url, {"action": "end", "end-reason": "", "end-end_month": ""}).status_code == 400
    assert client.post(url, {"action": "end", "end-reason": "毕业", "end-end_month": "2026-12"}).status_code == 302
    assert Grant.objects.get(id=approved_grant.id).status == "ended"
    other = grant_apply(by=village_director, data=filing(student, regions.township, school_year="2027-2028"))
    assert client.post(f"/benefits/grants/{other.id}/", {"action": "reject", "reject-reason": "无在读证明"}).status_code == 302
    assert Grant.objects.get(id=other.id).status == "rejected"


def test_an_outsider_gets_404(client, approved_grant, outsider):
    client.force_login(outsider)
    assert client.get(f"/benefits/grants/{approved_grant.id}/").status_code == 404
    assert client.post(f"/benefits/grants/{approved_grant.id}/", {"action": "end", "end-reason": "x"}).status_code == 404
    assert "王小华" not in client.get("/benefits/grants/").content.decode()


def test_the_run_page_and_the_bank_file_show_grant_lines_apart(client, approved_grant, regions, county_official):
    run = PayoutRun.objects.create(region=regions.county, month=datetime.date(2026, 10, 1))
    payout_run_compute(run_id=run.id)
    client.force_login(county_official)
    page = client.get(f"/benefits/runs/{run.id}/").content.decode()
    assert "Education grants (apart from allowances)" in page and "1666.66" in page
    payout_run_approve(by=county_official, run_id=run.id)
    res = client.get(f"/benefits/runs/{run.id}/export.csv")
    text = b"".join(res.streaming_content).decode("utf-8-sig") if res.streaming else res.content.decode("utf-8-sig")
    lines = [line for line in text.splitlines() if "Education grant" in line]
    assert len(lines) == 2 and "2026-2027, instalment 1" in lines[0] and "833.33" in lines[0]
