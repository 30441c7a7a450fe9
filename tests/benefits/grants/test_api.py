"""The `grants` API: fields, filing, the county's actions, refusals in Chinese, scope."""

import pytest

from benefits.grants.models import Grant
from benefits.grants.services import grant_apply
from tests.benefits.grants.conftest import filing
from tests.factories import ChildFactory

FIELDS = {"id", "child", "kind", "school", "study_level", "school_year", "annual_amount", "instalments", "status"}


def _post(client, student, **kw):
    body = {
        "child": student.id, "received_region": "370402001", "school_year": "2026-2027", "school": "山东大学",
        "study_level": "university", "enrolment_proof": "学生证 2026001",
    }
    body.update(kw)
    return client.post("/api/grants/", body, format="json")


def test_it_files_approves_and_lists_a_grant(api_client_for, student, village_director, county_official):
    res = _post(api_client_for(village_director), student)
    assert res.status_code == 201, res.json()
    assert FIELDS <= set(res.json()) and res.json()["kind"] == "orphan_education" and res.json()["status"] == "submitted"
    county = api_client_for(county_official)
    res = county.post(f"/api/grants/{res.json()['id']}/approve/")
    assert res.status_code == 200 and res.json()["annual_amount"] == "10000.00" and res.json()["instalments"] == 12
    listed = county.get("/api/grants/?status=approved").json()
    assert listed["count"] == 1 and listed["results"][0]["child"] == student.id


def test_bad_input_answers_400_in_chinese_and_changes_nothing(api_client_for, regions, student, village_director, county_official):
    client = api_client_for(village_director)
    not_orphan = ChildFactory(region=regions.village, birth_date=student.birth_date)
    res = _post(client, not_orphan)
    assert res.status_code == 400 and "孤儿" in str(res.json())
    res = _post(client, student, school_year="2026-2028")
    assert res.status_code == 400 and "school_year" in res.json()
    assert Grant.objects.count() == 0
    grant_id = _post(client, student).json()["id"]
    assert _post(client, student).status_code == 400  # the school year already filed
    county = api_client_for(county_official)
    assert county.post(f"/api/grants/{grant_id}/approve/").status_code == 200
    second = county.post(f"/api/grants/{grant_id}/approve/")
    assert second.status_code == 400 and "已" in str(second.json())
    res = county.post(f"/api/grants/{grant_id}/end/", {"reason": "毕业", "end_month": "2027-10"}, format="json")
    assert res.status_code == 400 and "end_month" in res.json()
    assert Grant.objects.get().status == "approved"


def test_english_on_request(api_client_for, regions, village_director):
    client = api_client_for(village_director)
    not_orphan = ChildFactory(region=regions.village)
    res = client.post(
        "/api/grants/",
        {"child": not_orphan.id, "received_region": "370402001", "school_year": "2026-2027", "school": "X",
         "study_level": "university", "enrolment_proof": "card"},
        format="json", HTTP_ACCEPT_LANGUAGE="en",
    )
    assert res.status_code == 400 and "orphan" in str(res.json())


def test_an_outsider_neither_sees_nor_decides(api_client_for, student, regions, village_director, outsider, outsider_director):
    grant = grant_apply(by=village_director, data=filing(student, regions.township))
    client = api_client_for(outsider)
    assert client.get("/api/grants/").json()["count"] == 0
    assert client.get(f"/api/grants/{grant.id}/").status_code == 404
    assert client.post(f"/api/grants/{grant.id}/approve/").status_code == 404
    # filing for a child of another county by id: 403
    assert _post(api_client_for(outsider_director), student, received_region="370403001").status_code == 403
    assert Grant.objects.get().status == "submitted"


def test_a_director_may_file_but_not_decide(api_client_for, student, regions, village_director):
    grant = grant_apply(by=village_director, data=filing(student, regions.township))
    res = api_client_for(village_director).post(f"/api/grants/{grant.id}/approve/")
    assert res.status_code == 403
    assert Grant.objects.get().status == "submitted"


def test_the_payout_run_answers_its_grant_totals_apart(api_client_for, approved_grant, regions, county_official):
    import datetime

    from benefits.payouts.models import PayoutRun
    from benefits.payouts.services import payout_run_compute

    run = PayoutRun.objects.create(region=regions.county, month=datetime.date(2026, 10, 1))
    payout_run_compute(run_id=run.id)
    body = api_client_for(county_official).get(f"/api/payout-runs/{run.id}/").json()
    assert (body["grant_count"], body["grant_total"], body["totals_by_category"]) == (2, "1666.66", {})


@pytest.mark.parametrize("year", ["2026", "abc", "2030-2031"])
def test_a_school_year_badly_written_or_too_far_is_refused(api_client_for, student, village_director, year):
    res = _post(api_client_for(village_director), student, school_year=year)
    assert res.status_code == 400 and "school_year" in res.json()
