"""The institution pages (/institutions/…) through the Django test client, in Chinese (the
default language): the institution's page (the home of its staff), admissions (a registered
child found by identity number, a new child without one), discharges, care records on the
child's page, inspections with findings, rectifications, safety meetings, staff and trainings;
refused (403/404) to another institution's staff, another county's official and village
directors; bad input re-shows the form with the Chinese message beside the field and changes
nothing; a double submit creates one record."""

import datetime

import pytest
from django.test import Client

from cases.children.models import Child
from institutions.models import CareRecord, Finding, Inspection, Institution, Placement, SafetyMeeting, Staff, Training
from tests.factories import ChildFactory, InstitutionFactory, UserFactory
from welfare.models import Notification
from welfare.roles import Role

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 5, 20, 10, 0), tick=False)
    return D(2026, 5, 20)


@pytest.fixture
def home(regions):
    return InstitutionFactory(name="南村儿童之家", kind=Institution.Kind.CHILDRENS_HOME, region=regions.village_c, capacity=30)


@pytest.fixture
def carer(home):
    return UserFactory(username="carer", role=Role.INSTITUTION_STAFF, region=None, institution=home)


@pytest.fixture
def other_carer(regions):
    """A carer of another institution of the same county."""
    shelter = InstitutionFactory(name="市中区未成年人救助保护中心", kind=Institution.Kind.RESCUE, region=regions.county)
    return UserFactory(username="other_carer", role=Role.INSTITUTION_STAFF, region=None, institution=shelter)


@pytest.fixture
def in_care(regions, home):
    child = ChildFactory(region=regions.village_c, name="王在院")
    return Placement.objects.create(child=child, institution=home, placed_on=D(2025, 1, 10), admission_reason="orphan")


@pytest.fixture
def finding(home, county_official):
    inspection = Inspection.objects.create(
        institution=home, inspected_on=D(2026, 4, 1), unannounced=True, inspectors="赵检查", level="county", inspected_by=county_official
    )
    return Finding.objects.create(inspection=inspection, text="消防通道堆放杂物", severity="high", fix_by=D(2026, 5, 1))


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


# --- the institution's page -------------------------------------------------------------------


def test_it_takes_institution_staff_from_their_home_tile_to_their_institution_page(carer, home, in_care, finding):
    client = signed_in(carer)
    home_page = html(client.get("/"))
    assert 'href="/institutions/mine/" data-key="my_institution"' in home_page
    response = client.get("/institutions/mine/")
    assert response.status_code == 302 and response["Location"] == f"/institutions/{home.id}/"
    page = html(client.get(f"/institutions/{home.id}/"))
    assert "南村儿童之家" in page and "王在院" in page
    assert "消防通道堆放杂物" in page and "已超期" in page
    assert f"/institutions/findings/{finding.id}/rectify/" in page
    assert f"/institutions/{home.id}/admit/" in page
    assert "未记录安全管理例会" in page  # no meeting this quarter: flagged
    assert f"/institutions/{home.id}/inspections/new/" not in page  # staff do not inspect themselves


def test_it_shows_a_county_official_the_institution_with_the_inspection_form_link(county_official, home, in_care):
    page = html(signed_in(county_official).get(f"/institutions/{home.id}/"))
    assert "王在院" in page
    assert f"/institutions/{home.id}/inspections/new/" in page


def test_it_lists_the_institutions_of_the_county_with_their_figures(county_official, home, in_care, finding):
    page = html(signed_in(county_official).get("/institutions/"))
    assert "南村儿童之家" in page
    assert f'href="/institutions/{home.id}/"' in page


@pytest.mark.parametrize("who", ["other_carer", "outsider"])
def test_it_refuses_an_outsider_every_page_of_the_institution(request, who, home, in_care, finding):
    user = request.getfixturevalue(who)
    client = signed_in(user)
    staff = Staff.objects.create(name="刘护理", position="carer", region=home.region, institution=home)
    urls = [
        f"/institutions/{home.id}/",
        f"/institutions/{home.id}/admit/",
        f"/institutions/{home.id}/inspections/new/",
        f"/institutions/{home.id}/safety-meetings/new/",
        f"/institutions/{home.id}/staff/new/",
        f"/institutions/placements/{in_care.id}/discharge/",
        f"/institutions/placements/{in_care.id}/care/",
        f"/institutions/findings/{finding.id}/rectify/",
        f"/institutions/staff/{staff.id}/end/",
        f"/institutions/staff/{staff.id}/trainings/new/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (403, 404), url
        assert "王在院" not in html(response) and "消防通道" not in html(response), url
        response = client.post(
            url, {"left_on": "2026-05-01", "discharge_reason": "adoption", "fixed_on": "2026-05-02", "fix_note": "x", "text": "x"}
        )
        assert response.status_code in (403, 404), url
    in_care.refresh_from_db()
    finding.refresh_from_db()
    staff.refresh_from_db()
    assert in_care.left_on is None and finding.fixed_on is None and staff.left_on is None
    assert not CareRecord.objects.exists() and not Training.objects.exists()


def test_it_refuses_village_directors_the_institution_pages(village_director, home):
    client = signed_in(village_director)
    for url in ("/institutions/", f"/institutions/{home.id}/", "/institutions/findings/overdue/", "/institutions/mine/"):
        assert client.get(url).status_code == 403, url


# --- admissions ---------------------------------------------------------------------------------


def _admit_new(client, home, regions, **extra):
    data = {
        "form_token": "t-admit-1",
        "child_kind": "new",
        "name": "党福安",
        "sex": "M",
        "birth_date": "2026-03-01",
        "region": regions.village_c.code,
        "found_at": "南村卫生室门口",
        "police_report_number": "枣公立字〔2026〕17号",
        "admission_reason": "abandoned",
        "placed_on": "2026-05-18",
        "admit": "1",
        **extra,
    }
    return client.post(f"/institutions/{home.id}/admit/", data)


def test_it_admits_an_abandoned_infant_without_an_identity_number_once_on_a_double_submit(carer, home, regions):
    client = signed_in(carer)
    first = _admit_new(client, home, regions)
    assert first.status_code == 302, html(first)[:2000]
    second = _admit_new(client, home, regions)
    assert second.status_code == 302
    placement = Placement.objects.get(institution=home)
    assert placement.child.name == "党福安" and placement.child.id_number is None
    assert placement.admission_reason == "abandoned" and placement.police_report_number == "枣公立字〔2026〕17号"
    assert Child.objects.filter(name="党福安").count() == 1
    assert "党福安" in html(client.get(f"/institutions/{home.id}/"))


def test_it_finds_a_registered_child_by_full_identity_number_shows_it_masked_and_admits_it(carer, home, regions):
    child = ChildFactory(region=regions.village, name="张小明")
    client = signed_in(carer)
    found = client.post(f"/institutions/{home.id}/admit/", {"child_kind": "registered", "child_id_number": child.id_number, "find": "1"})
    assert found.status_code == 200
    page = html(found)
    assert "张*明" in page or "张小明" not in page.split("data-found")[1][:200]
    assert child.id_number[-4:] in page
    response = client.post(
        f"/institutions/{home.id}/admit/",
        {
            "form_token": "t-admit-2",
            "child_kind": "registered",
            "child_id_number": child.id_number,
            "admission_reason": "orphan",
            "placed_on": "2026-05-19",
            "admit": "1",
        },
    )
    assert response.status_code == 302, html(response)[:2000]
    assert Placement.objects.get(child=child, left_on__isnull=True).institution == home


def test_it_refuses_a_second_open_placement_beside_the_field_and_changes_nothing(carer, home, in_care):
    client = signed_in(carer)
    response = client.post(
        f"/institutions/{home.id}/admit/",
        {
            "form_token": "t-admit-3",
            "child_kind": "registered",
            "child_id_number": in_care.child.id_number,
            "admission_reason": "orphan",
            "placed_on": "2026-05-19",
            "admit": "1",
        },
    )
    assert response.status_code == 400
    assert 'class="error"' in html(response)
    assert Placement.objects.filter(child=in_care.child).count() == 1


def test_it_refuses_an_admission_with_an_unknown_identity_number_in_chinese(carer, home):
    response = signed_in(carer).post(
        f"/institutions/{home.id}/admit/", {"child_kind": "registered", "child_id_number": "370402201503141234", "find": "1"}
    )
    assert response.status_code == 400
    assert not Placement.objects.exists()


# --- discharges and care records ----------------------------------------------------------------


def test_it_discharges_a_child_and_refuses_a_date_before_the_admission(carer, home, in_care):
    client = signed_in(carer)
    url = f"/institutions/placements/{in_care.id}/discharge/"
    assert client.get(url).status_code == 200
    bad = client.post(url, {"form_token": "t-d-1", "left_on": "2024-01-01", "discharge_reason": "adoption"})
    assert bad.status_code == 400 and 'id="id_left_on_error"' in html(bad)
    in_care.refresh_from_db()
    assert in_care.left_on is None
    good = client.post(url, {"form_token": "t-d-2", "left_on": "2026-05-19", "discharge_reason": "adoption", "note": "收养登记完成"})
    assert good.status_code == 302, html(good)[:2000]
    in_care.refresh_from_db()
    assert in_care.left_on == D(2026, 5, 19) and in_care.discharge_reason == "adoption"


def test_it_transfers_a_child_to_another_institution_of_the_county(carer, other_carer, home, in_care):
    target = other_carer.institution
    client = signed_in(carer)
    url = f"/institutions/placements/{in_care.id}/discharge/"
    assert target.name in html(client.get(url))
    response = client.post(
        url, {"form_token": "t-d-3", "left_on": "2026-05-19", "discharge_reason": "transfer", "transferred_to": str(target.id)}
    )
    assert response.status_code == 302, html(response)[:2000]
    in_care.refresh_from_db()
    assert in_care.discharge_reason == "transfer" and in_care.transferred_to == target


def test_it_adds_a_care_record_once_and_shows_it_on_the_childs_timeline(carer, home, in_care):
    client = signed_in(carer)
    url = f"/institutions/placements/{in_care.id}/care/"
    data = {"form_token": "t-c-1", "recorded_on": "2026-05-19", "domain": "health", "text": "体检正常，体重 18 公斤。"}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert CareRecord.objects.filter(child=in_care.child).count() == 1
    page = html(client.get(f"/cases/children/{in_care.child_id}/"))
    assert "体检正常，体重 18 公斤。" in page and 'id="care"' in page


def test_it_refuses_a_care_record_without_text_and_saves_nothing(carer, in_care):
    response = signed_in(carer).post(f"/institutions/placements/{in_care.id}/care/", {"form_token": "t-c-2", "recorded_on": "2026-05-19", "domain": "health", "text": ""})
    assert response.status_code == 400 and 'class="error"' in html(response)
    assert not CareRecord.objects.exists()


# --- inspections and rectifications -------------------------------------------------------------


def test_it_lets_a_county_official_record_an_unannounced_inspection_with_findings_once(county_official, home):
    client = signed_in(county_official)
    url = f"/institutions/{home.id}/inspections/new/"
    assert client.get(url).status_code == 200
    data = {
        "form_token": "t-i-1",
        "inspected_on": "2026-05-19",
        "unannounced": "1",
        "inspectors": "赵检查、钱检查",
        "summary": "夜间暗访",
        "findings-TOTAL_FORMS": "2",
        "findings-INITIAL_FORMS": "0",
        "findings-MIN_NUM_FORMS": "0",
        "findings-MAX_NUM_FORMS": "30",
        "findings-0-text": "值班记录缺失",
        "findings-0-severity": "medium",
        "findings-0-fix_by": "2026-06-19",
        "findings-1-text": "",
        "findings-1-severity": "medium",
        "findings-1-fix_by": "",
    }
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    inspection = Inspection.objects.get(institution=home)
    assert inspection.unannounced is True
    assert list(inspection.findings.values_list("text", "fix_by")) == [("值班记录缺失", D(2026, 6, 19))]


def test_it_refuses_institution_staff_the_inspection_form(carer, home):
    assert signed_in(carer).get(f"/institutions/{home.id}/inspections/new/").status_code == 403


def test_it_lets_the_institution_rectify_a_finding_and_refuses_a_date_before_it(carer, county_official, finding, home):
    client = signed_in(carer)
    url = f"/institutions/findings/{finding.id}/rectify/"
    bad = client.post(url, {"form_token": "t-r-1", "fixed_on": "2026-03-01", "fix_note": "已清理"})
    assert bad.status_code == 400 and 'class="error"' in html(bad)
    finding.refresh_from_db()
    assert finding.fixed_on is None
    good = client.post(url, {"form_token": "t-r-2", "fixed_on": "2026-05-19", "fix_note": "已清理杂物"})
    assert good.status_code == 302, html(good)[:2000]
    finding.refresh_from_db()
    assert finding.fixed_on == D(2026, 5, 19)
    # The county sees it fixed.
    page = html(signed_in(county_official).get(f"/institutions/{home.id}/"))
    assert "已整改" in page and "已清理杂物" in page


def test_it_lists_findings_past_their_deadline_for_the_institution_and_the_county(carer, county_official, outsider, finding):
    assert "消防通道堆放杂物" in html(signed_in(carer).get("/institutions/findings/overdue/"))
    assert "消防通道堆放杂物" in html(signed_in(county_official).get("/institutions/findings/overdue/"))
    assert "消防通道堆放杂物" not in html(signed_in(outsider).get("/institutions/findings/overdue/"))


# --- safety meetings, staff and trainings -------------------------------------------------------


def test_it_records_a_safety_meeting_once_and_lifts_this_quarters_flag(carer, home):
    client = signed_in(carer)
    assert "本季度尚未召开" in html(client.get(f"/institutions/{home.id}/"))
    url = f"/institutions/{home.id}/safety-meetings/new/"
    data = {"form_token": "t-s-1", "held_on": "2026-05-19", "attendees": "院长、护理员", "topics": "消防演练"}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert SafetyMeeting.objects.filter(institution=home).count() == 1
    page = html(client.get(f"/institutions/{home.id}/"))
    assert "消防演练" in page and "本季度尚未召开" not in page


def test_it_adds_a_staff_member_records_a_training_and_an_end_of_service(carer, home):
    client = signed_in(carer)
    response = client.post(
        f"/institutions/{home.id}/staff/new/",
        {"form_token": "t-st-1", "name": "刘护理", "position": "carer", "appointed_on": "2026-05-01", "phone": "13800000001"},
    )
    assert response.status_code == 302, html(response)[:2000]
    staff = Staff.objects.get(institution=home, name="刘护理")
    response = client.post(
        f"/institutions/staff/{staff.id}/trainings/new/", {"form_token": "t-tr-1", "title": "安全管理培训", "held_on": "2026-05-10", "hours": "6"}
    )
    assert response.status_code == 302, html(response)[:2000]
    assert staff.trainings.get().hours == 6
    bad = client.post(f"/institutions/staff/{staff.id}/end/", {"form_token": "t-e-1", "left_on": "2026-04-01"})
    assert bad.status_code == 400
    staff.refresh_from_db()
    assert staff.left_on is None
    good = client.post(f"/institutions/staff/{staff.id}/end/", {"form_token": "t-e-2", "left_on": "2026-05-19"})
    assert good.status_code == 302
    staff.refresh_from_db()
    assert staff.left_on == D(2026, 5, 19)


# --- the dashboards ---------------------------------------------------------------------------


def test_it_links_the_county_dashboards_institution_figures_to_pages_that_answer(county_official, regions, home, in_care, finding):
    import re

    client = signed_in(county_official)
    page = html(client.get("/cases/dashboard/"))
    assert "机构工作情况" in page
    assert f'href="/institutions/findings/overdue/?region={regions.county.code}"' in page
    links = set(re.findall(r'href="(/institutions/[^"]*)"', page))
    assert links
    for link in links:
        response = client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200, link
    overdue = html(client.get(f"/institutions/findings/overdue/?region={regions.county.code}"))
    assert "消防通道堆放杂物" in overdue
    assert "消防通道堆放杂物" not in html(client.get(f"/institutions/findings/overdue/?region={regions.township.code}"))


def test_it_shows_the_past_deadline_notification_in_the_inbox_linked_from_the_institution_page(carer, home, finding):
    from institutions.inspections.notifications import findings_flag_past_deadline

    findings_flag_past_deadline(today=D(2026, 5, 20))
    client = signed_in(carer)
    assert 'href="/cases/checks/notifications/"' in html(client.get(f"/institutions/{home.id}/"))
    inbox = html(client.get("/cases/checks/notifications/"))
    assert "消防通道堆放杂物" in inbox
    note = Notification.objects.get(recipient=carer)
    followed = client.post(f"/cases/checks/notifications/{note.id}/read/", {"follow": "1"})
    assert followed.status_code == 302 and followed["Location"] == f"/institutions/{home.id}/"


def test_it_shows_the_institution_page_in_a_constant_number_of_queries(carer, home, regions, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(carer)
    Placement.objects.create(child=ChildFactory(region=regions.village_c), institution=home, placed_on=D(2026, 1, 5))
    Staff.objects.create(name="刘护理", position="carer", region=home.region, institution=home)
    Inspection.objects.create(institution=home, inspected_on=D(2026, 1, 20))  # the findings' prefetch runs from one
    with CaptureQueriesContext(connection) as one:
        client.get(f"/institutions/{home.id}/")
    for n in range(8):
        Placement.objects.create(child=ChildFactory(region=regions.village_c), institution=home, placed_on=D(2026, 1, 5))
        staff = Staff.objects.create(name=f"护理员{n}", position="carer", region=home.region, institution=home)
        Training.objects.create(staff=staff, title="安全培训", held_on=D(2026, 3, 1), hours=4)
        inspection = Inspection.objects.create(institution=home, inspected_on=D(2026, 2, n + 1))
        Finding.objects.create(inspection=inspection, text=f"问题{n}", severity="low", fix_by=D(2026, 6, 1))
        SafetyMeeting.objects.create(institution=home, held_on=D(2026, 4, n + 1), attendees="院长", topics="消防")
    with django_assert_num_queries(len(one)):
        client.get(f"/institutions/{home.id}/")


def test_it_shows_the_demo_institution_user_children_care_records_findings_meetings_and_staff(time_machine):
    from demo.seed import demo_seed

    demo_seed()
    from welfare.models import User

    client = signed_in(User.objects.get(username="institution_staff"))
    page = html(client.get("/institutions/mine/", follow=True))
    assert "枣庄市儿童福利院" in page
    assert "二楼消防通道堆放杂物" in page and "已超期" in page  # one past its deadline
    assert "部分儿童健康档案未及时更新" in page  # one open
    assert "安全管理例会" in page and "院长、护理员、社工、安全员" in page
    assert "本年培训 1 次" in page  # the staff's trainings this year
    placement = Placement.objects.filter(institution__name="枣庄市儿童福利院", care_records__isnull=False).first()
    assert placement is not None
    child_page = html(client.get(f"/cases/children/{placement.child_id}/"))
    assert 'id="care"' in child_page and "照护记录" in child_page
