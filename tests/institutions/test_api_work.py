"""The API of institutions at work: placements (+ discharge), care-records, inspections
(+ rectify, findings past deadline), safety-meetings, staff (+ end), trainings, institutions —
writes by the institution's staff and the county only, reads scoped, the bad input of issue 16
answered 400/403 in Chinese (English with Accept-Language: en), nothing changed, never 500."""

import datetime

import pytest

from institutions.models import CareRecord, Finding, Inspection, Institution, Placement, SafetyMeeting, Staff, Training
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 5, 20, 10, 0), tick=False)


def _placed(child, home, on="2026-05-01"):
    return Placement.objects.create(
        child=child, institution=home, placed_on=datetime.date.fromisoformat(on), admission_reason="rescue"
    )


def _message(response) -> str:
    body = response.json()
    return " ".join(str(v) for values in body.values() for v in (values if isinstance(values, list) else [values]))


def test_it_admits_and_discharges_through_the_api(api_client, carer, county_official, home, child):
    api_client.force_authenticate(county_official)
    response = api_client.post(
        "/api/placements/",
        {
            "institution": home.id,
            "child": child.id,
            "placed_on": "2026-05-02",
            "admission_reason": "rescue",
            "reason": "街头救助",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {
        "id",
        "child",
        "institution",
        "placed_on",
        "reason",
        "admission_reason",
        "left_on",
        "discharge_reason",
    } <= set(body)
    api_client.force_authenticate(carer)
    done = api_client.post(
        f"/api/placements/{body['id']}/discharge/",
        {"left_on": "2026-05-10", "discharge_reason": "foster_family"},
        format="json",
    )
    assert done.status_code == 200, done.json()
    assert (done.json()["left_on"], done.json()["discharge_reason"]) == ("2026-05-10", "foster_family")


def test_it_admits_an_abandoned_infant_as_a_new_child(api_client, carer, home, regions):
    api_client.force_authenticate(carer)
    response = api_client.post(
        "/api/placements/",
        {
            "institution": home.id,
            "placed_on": "2026-05-02",
            "admission_reason": "abandoned",
            "new_child": {"name": "福小安", "sex": "F", "birth_date": "2026-04-01", "region": regions.village.code},
            "found_at": "东村路口",
            "police_report_number": "JB2026-0042",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["birth_date_estimated"] is True


def test_it_answers_a_second_open_placement_with_a_chinese_400(api_client, county_official, home, child, regions):
    _placed(child, home)
    centre = Institution.objects.create(name="市中区救助站", kind="rescue", region=regions.county)
    api_client.force_authenticate(county_official)
    response = api_client.post(
        "/api/placements/",
        {"institution": centre.id, "child": child.id, "placed_on": "2026-05-03", "admission_reason": "rescue"},
        format="json",
    )
    assert response.status_code == 400 and "child" in response.json()
    assert "已在" in _message(response) or "机构" in _message(response)
    assert Placement.objects.count() == 1


def test_it_answers_a_discharge_before_the_admission_with_400_in_chinese_or_english(api_client, carer, home, child):
    placement = _placed(child, home)
    api_client.force_authenticate(carer)
    url = f"/api/placements/{placement.id}/discharge/"
    zh = api_client.post(url, {"left_on": "2026-04-01", "discharge_reason": "adoption"}, format="json")
    assert zh.status_code == 400 and "left_on" in zh.json()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in _message(zh))
    en = api_client.post(
        url, {"left_on": "2026-04-01", "discharge_reason": "adoption"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert en.status_code == 400 and "admission" in _message(en)
    placement.refresh_from_db()
    assert placement.left_on is None


def test_it_refuses_an_admission_into_an_institution_outside_scope_with_403(
    api_client, outsider, other_carer, home, child
):
    for user in (outsider, other_carer):
        api_client.force_authenticate(user)
        response = api_client.post(
            "/api/placements/",
            {
                "institution": home.id,
                "child_id_number": child.id_number,
                "placed_on": "2026-05-02",
                "admission_reason": "rescue",
            },
            format="json",
        )
        assert response.status_code == 403, response.json()
    assert not Placement.objects.exists()


def test_it_records_an_inspection_and_the_institution_rectifies_through_the_api(
    api_client, county_official, carer, home
):
    api_client.force_authenticate(county_official)
    created = api_client.post(
        "/api/inspections/",
        {
            "institution": home.id,
            "inspected_on": "2026-04-01",
            "unannounced": True,
            "inspectors": "王科长",
            "findings": [{"text": "消防通道堆放杂物", "severity": "high", "fix_by": "2026-04-15"}],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["unannounced"] is True and body["findings"][0]["severity"] == "high"
    finding_id = body["findings"][0]["id"]
    api_client.force_authenticate(carer)
    late = api_client.get("/api/inspections/past_deadline/")
    assert late.status_code == 200 and [f["id"] for f in late.json()["results"]] == [finding_id]
    early = api_client.post(
        f"/api/inspections/{body['id']}/rectify/",
        {"finding": finding_id, "fixed_on": "2026-03-01", "fix_note": "已清理"},
        format="json",
    )
    assert early.status_code == 400 and "fixed_on" in early.json()
    ok = api_client.post(
        f"/api/inspections/{body['id']}/rectify/",
        {"finding": finding_id, "fixed_on": "2026-04-10", "fix_note": "已清理"},
        format="json",
    )
    assert ok.status_code == 200, ok.json()
    assert ok.json()["findings"][0]["fixed_on"] == "2026-04-10"


def test_it_refuses_an_inspection_outside_scope_and_by_the_institution_itself(api_client, outsider, carer, home):
    for user in (outsider, carer):
        api_client.force_authenticate(user)
        response = api_client.post(
            "/api/inspections/", {"institution": home.id, "inspected_on": "2026-04-01"}, format="json"
        )
        assert response.status_code == 403
    assert not Inspection.objects.exists()


def test_it_refuses_rectification_by_another_institution_and_hides_the_inspection(
    api_client, county_official, other_carer, outsider, home
):
    inspection = Inspection.objects.create(institution=home, inspected_on=datetime.date(2026, 4, 1))
    finding = Finding.objects.create(inspection=inspection, text="x", severity="low", fix_by=datetime.date(2026, 5, 1))
    for user in (other_carer, outsider):
        api_client.force_authenticate(user)
        assert api_client.get(f"/api/inspections/{inspection.id}/").status_code == 404
        response = api_client.post(
            f"/api/inspections/{inspection.id}/rectify/",
            {"finding": finding.id, "fixed_on": "2026-04-10", "fix_note": "x"},
            format="json",
        )
        assert response.status_code == 404
    finding.refresh_from_db()
    assert finding.fixed_on is None


def test_it_records_safety_meetings_care_records_staff_and_trainings(api_client, carer, home, child):
    placement = _placed(child, home)
    api_client.force_authenticate(carer)
    meeting = api_client.post(
        "/api/safety-meetings/",
        {"institution": home.id, "held_on": "2026-04-10", "attendees": "全体职工", "topics": "防溺水"},
        format="json",
    )
    assert meeting.status_code == 201, meeting.json()
    care = api_client.post(
        "/api/care-records/",
        {"placement": placement.id, "recorded_on": "2026-05-10", "domain": "education", "text": "入学"},
        format="json",
    )
    assert care.status_code == 201, care.json()
    staff = api_client.post(
        "/api/staff/",
        {"institution": home.id, "name": "周美玲", "position": "carer", "appointed_on": "2024-03-01"},
        format="json",
    )
    assert staff.status_code == 201, staff.json()
    training = api_client.post(
        "/api/trainings/",
        {"staff": staff.json()["id"], "title": "照护培训", "held_on": "2026-04-01", "hours": "6.0"},
        format="json",
    )
    assert training.status_code == 201, training.json()
    ended = api_client.post(f"/api/staff/{staff.json()['id']}/end/", {"left_on": "2026-05-01"}, format="json")
    assert ended.status_code == 200 and ended.json()["left_on"] == "2026-05-01"
    assert (SafetyMeeting.objects.count(), CareRecord.objects.count(), Training.objects.count()) == (1, 1, 1)


def test_it_refuses_a_training_of_a_staff_member_of_another_institution(api_client, carer, other_home):
    theirs = StaffFactory(name="薛城护理员", position="carer", region=other_home.region, institution=other_home)
    api_client.force_authenticate(carer)
    response = api_client.post(
        "/api/trainings/", {"staff": theirs.id, "title": "x", "held_on": "2026-04-01", "hours": "2"}, format="json"
    )
    assert response.status_code == 403
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["detail"])
    assert not Training.objects.exists()


def test_it_lets_nobody_else_write(
    api_client, home, child, village_director, township_supervisor, province_official, city_official
):
    placement = _placed(child, home)
    for user in (village_director, township_supervisor, province_official, city_official):
        api_client.force_authenticate(user)
        writes = [
            api_client.post(
                "/api/safety-meetings/",
                {"institution": home.id, "held_on": "2026-04-10", "attendees": "x", "topics": "y"},
                format="json",
            ),
            api_client.post(
                "/api/staff/", {"institution": home.id, "name": "周美玲", "position": "carer"}, format="json"
            ),
            api_client.post(
                "/api/care-records/",
                {"placement": placement.id, "recorded_on": "2026-05-10", "domain": "health", "text": "x"},
                format="json",
            ),
        ]
        assert [w.status_code for w in writes] == [403, 403, 403], user.role
    assert not SafetyMeeting.objects.exists() and not Staff.objects.exists() and not CareRecord.objects.exists()


def test_it_scopes_the_reads_of_the_new_resources(
    api_client, county_official, carer, other_carer, outsider, home, child
):
    placement = _placed(child, home)
    CareRecord.objects.create(
        child=child,
        institution=home,
        placement=placement,
        recorded_on=datetime.date(2026, 5, 10),
        domain="health",
        text="体检",
    )
    SafetyMeeting.objects.create(institution=home, held_on=datetime.date(2026, 4, 10), attendees="x", topics="y")
    for user, count in ((county_official, 1), (carer, 1), (other_carer, 0), (outsider, 0)):
        api_client.force_authenticate(user)
        for url in ("/api/care-records/", "/api/safety-meetings/", "/api/placements/"):
            assert api_client.get(url).json()["count"] == count, (user.username, url)


def test_the_county_records_and_the_staff_change_their_institution(
    api_client, county_official, carer, outsider, home, regions
):
    api_client.force_authenticate(county_official)
    created = api_client.post(
        "/api/institutions/",
        {"name": "中心街道儿童之家", "kind": "childrens_home", "region": regions.township.code},
        format="json",
    )
    assert created.status_code == 201, created.json()
    api_client.force_authenticate(carer)
    changed = api_client.patch(f"/api/institutions/{home.id}/", {"capacity": 90}, format="json")
    assert changed.status_code == 200 and changed.json()["capacity"] == 90
    api_client.force_authenticate(outsider)
    assert api_client.patch(f"/api/institutions/{home.id}/", {"capacity": 1}, format="json").status_code == 404
    refused = api_client.post(
        "/api/institutions/", {"name": "x", "kind": "welfare", "region": regions.county.code}, format="json"
    )
    assert refused.status_code == 403
    home.refresh_from_db()
    assert home.capacity == 90
