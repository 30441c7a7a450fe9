"""The casework pages (/cases/protection/…) through the Django test client, in Chinese (the
default language): each page for the roles that use it, refused (403/404) to the others and to
an outsider (another county, another village's director, another institution); bad input
re-shows the form with the Chinese message and changes nothing; every read of a case page is
in the access log; the reporter is masked on the screening page until a logged reveal."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from cases.children.models import Child
from cases.protection import services
from cases.protection.models import Assessment, Case, CaseNote, CasePlan, CaseReport, FollowUp, Referral
from tests.factories import ChildFactory, InstitutionFactory, RegionFactory, UserFactory, id_number_for
from welfare.models import AuditLog, Region
from welfare.roles import Role

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
D = datetime.date


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def monday(time_machine):
    """Monday 2025-03-03, 10:00 in Shanghai (working days are plain weekdays that week)."""
    time_machine.move_to(datetime.datetime(2025, 3, 3, 10, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def director_b(regions):
    """The director of the neighbouring village of the same township."""
    return UserFactory(username="director_b", role=Role.VILLAGE_DIRECTOR, region=regions.village_b)


@pytest.fixture
def county_official_2(regions):
    return UserFactory(username="county2", role=Role.COUNTY_OFFICIAL, region=regions.county)


@pytest.fixture
def institution(regions):
    return InstitutionFactory(name="市中区未成年人救助保护中心", region=regions.county)


@pytest.fixture
def staff(institution):
    return UserFactory(username="shelter", role=Role.INSTITUTION_STAFF, region=None, institution=institution)


@pytest.fixture
def other_staff(regions):
    other = InstitutionFactory(name="薛城区儿童福利院", region=regions.other_county)
    return UserFactory(username="other_shelter", role=Role.INSTITUTION_STAFF, region=None, institution=other)


@pytest.fixture
def far_institution(db):
    """An institution of another province (Guizhou)."""
    province = RegionFactory(code="520000", name="贵州省", level=Region.Level.PROVINCE)
    city = RegionFactory(code="520100", name="贵阳市", level=Region.Level.CITY, parent=province)
    county = RegionFactory(code="520102", name="南明区", level=Region.Level.COUNTY, parent=city)
    return InstitutionFactory(name="贵阳市儿童福利院", region=county)


def file_report(by, region, **kw) -> CaseReport:
    data = {
        "source": "mandatory_report",
        "region": region,
        "concern": "neglect",
        "description": "孩子长期独自在家，无人照料",
        "reporter_type": "school",
        "reporter_name": "王小芳",
        "reporter_phone": "13812345678",
        "child_name": "张小明",
        **kw,
    }
    return services.report_file(by=by, data=services.ReportInput(**data))


@pytest.fixture
def report(regions, village_director):
    return file_report(village_director, regions.village)


@pytest.fixture
def case(report, child, county_official, village_director):
    """An open case of `child` (张小明, village A) with the village director as caseworker."""
    screened = services.report_screen_in(by=county_official, report_id=report.id, child=child, caseworker_id=village_director.id)
    return screened.case


def html(response) -> str:
    return response.content.decode()


def case_url(case, action: str = "") -> str:
    return f"/cases/protection/cases/{case.id}/" + (f"{action}/" if action else "")


def reads(case) -> int:
    return AuditLog.objects.filter(action="case.read", target_id=str(case.id)).count()


# --- 报告线索: the report form and its receipt ------------------------------------------------------


@pytest.mark.parametrize(
    "who", ["village_director", "township_supervisor", "county_official", "city_official", "province_official", "staff"]
)
def test_it_shows_the_report_form_to_everyone_signed_in_in_chinese(client, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get("/cases/protection/report/")
    assert response.status_code == 200
    assert "报告线索" in html(response) or "报告" in html(response)
    assert 'name="viewport"' in html(response)


def test_it_sends_an_anonymous_visitor_to_the_login_page(client):
    response = client.get("/cases/protection/report/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_report_form_lists_only_children_the_user_can_see(client, village_director, child, other_child):
    client.force_login(village_director)
    page = html(client.get("/cases/protection/report/"))
    assert "张小明" in page and "李小红" not in page
    assert 'value="370402001001"' in page  # the region picker offers the director's village


def test_a_director_files_a_report_and_the_receipt_shows_the_county_and_the_deadline(client, regions, village_director, child):
    client.force_login(village_director)
    response = client.post(
        "/cases/protection/report/",
        {
            "child": str(child.id),
            "region": "",
            "concern": "neglect",
            "urgency": "urgent",
            "source": "mandatory_report",
            "reporter_type": "village_committee",
            "reporter_name": "赵主任",
            "reporter_phone": "13900001111",
            "description": "父母外出务工，孩子无人照看",
        },
    )
    assert response.status_code == 302
    report = CaseReport.objects.get()
    assert response["Location"] == f"/cases/protection/reports/{report.id}/"
    assert (report.child, report.region, report.county, report.filed_by) == (child, regions.village, regions.county, village_director)
    receipt = html(client.get(response["Location"]))
    assert "市中区" in receipt
    # Urgent: three working days, to the end of Thursday.
    assert "2025-03-06 23:59" in receipt
    # The receipt shows what became of the report, not its content.
    assert "赵主任" not in receipt and "13900001111" not in receipt


def test_a_report_of_sexual_abuse_without_the_police_is_refused_in_chinese_and_nothing_is_filed(client, regions, village_director):
    client.force_login(village_director)
    response = client.post(
        "/cases/protection/report/",
        {"child_name": "小红", "region": regions.village.code, "concern": "sexual_abuse", "urgency": "immediate",
         "source": "mandatory_report", "reporter_type": "school", "description": "学校发现异常"},
    )
    assert response.status_code == 400
    assert "须先报警" in html(response)
    assert CaseReport.objects.count() == 0


def test_a_report_without_a_place_or_a_child_is_refused_with_chinese_messages(client, village_director):
    client.force_login(village_director)
    response = client.post(
        "/cases/protection/report/",
        {"region": "", "concern": "", "urgency": "normal", "source": "walk_in", "reporter_type": "other", "description": ""},
    )
    assert response.status_code == 400
    page = html(response)
    assert "请选择关注的问题" in page
    assert CaseReport.objects.count() == 0


def test_the_report_form_refuses_a_child_the_user_cannot_see(client, regions, village_director, other_child):
    client.force_login(village_director)
    response = client.post(
        "/cases/protection/report/",
        {"child": str(other_child.id), "region": regions.village.code, "concern": "neglect", "urgency": "normal",
         "source": "walk_in", "reporter_type": "other", "description": "x"},
    )
    assert response.status_code == 400
    assert "李小红" not in html(response)
    assert CaseReport.objects.count() == 0


def test_a_report_about_a_place_elsewhere_goes_to_that_county(client, regions, village_director):
    """A school in one village reports a child in another county."""
    client.force_login(village_director)
    response = client.post(
        "/cases/protection/report/",
        {"child_name": "小刚", "region": regions.other_village.code, "concern": "neglect", "urgency": "normal",
         "source": "mandatory_report", "reporter_type": "school", "description": "x"},
    )
    assert response.status_code == 302
    assert CaseReport.objects.get().county == regions.other_county
    assert "薛城区" in html(client.get(response["Location"]))


def test_the_receipt_is_not_found_by_someone_else(client, report, director_b, outsider, outsider_director, city_official):
    for user in (director_b, outsider, outsider_director, city_official):
        client.force_login(user)
        assert client.get(f"/cases/protection/reports/{report.id}/").status_code == 404


# --- the county's screening queue and screening page ------------------------------------------------


def test_the_queue_lists_unscreened_reports_nearest_deadline_first_with_the_overdue_marked(
    client, regions, village_director, county_official
):
    late = file_report(village_director, regions.village, child_name="王迟到", received_at=datetime.datetime(2025, 2, 1, 9, tzinfo=SHANGHAI))
    soon = file_report(village_director, regions.village_b, child_name="王紧急", urgency="immediate")
    later = file_report(village_director, regions.village_c, child_name="王一般")
    done = file_report(village_director, regions.village, child_name="王已筛")
    services.report_screen_out(by=county_official, report_id=done.id, reason="重复线索")
    file_report(village_director, regions.other_village, child_name="王外县")
    client.force_login(county_official)
    page = html(client.get("/cases/protection/screening/"))
    assert page.index("王迟到") < page.index("王紧急") < page.index("王一般")
    assert "王已筛" not in page and "王外县" not in page
    assert page.count("badge past_due") == 1  # the one past its deadline is marked 逾期
    assert f"/cases/protection/screening/{late.id}/" in page and soon and later


@pytest.mark.parametrize("who", ["village_director", "township_supervisor", "city_official", "province_official", "staff"])
def test_the_queue_is_refused_to_everyone_but_county_officials(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/cases/protection/screening/").status_code == 403


def test_the_queue_of_another_county_shows_nothing_of_ours(client, report, outsider):
    client.force_login(outsider)
    response = client.get("/cases/protection/screening/")
    assert response.status_code == 200 and "张小明" not in html(response)


def test_the_screening_page_masks_the_reporter_until_a_logged_reveal(client, report, county_official):
    client.force_login(county_official)
    page = html(client.get(f"/cases/protection/screening/{report.id}/"))
    assert "王小芳" not in page and "13812345678" not in page
    assert "王**" in page and "138****5678" in page
    assert "孩子长期独自在家" in page
    response = client.post(f"/cases/protection/screening/{report.id}/reporter/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert "王小芳" in html(response) and "13812345678" in html(response)
    row = AuditLog.objects.get(action="case_report.reporter_revealed")
    assert (row.actor, row.target_id) == (county_official, str(report.id))


def test_the_screening_page_and_its_actions_are_not_found_outside_the_county(
    client, report, outsider, village_director, township_supervisor, city_official, staff
):
    for user in (outsider, village_director, township_supervisor, city_official, staff):
        client.force_login(user)
        assert client.get(f"/cases/protection/screening/{report.id}/").status_code == 404
        assert client.post(f"/cases/protection/screening/{report.id}/reporter/").status_code == 404
        assert client.post(f"/cases/protection/screening/{report.id}/out/", {"reason": "越权"}).status_code == 404
        assert client.post(f"/cases/protection/screening/{report.id}/in/", {"child": "new", "risk_level": "high"}).status_code == 404
    report.refresh_from_db()
    assert report.status == "received" and not AuditLog.objects.filter(action="case_report.reporter_revealed").exists()


def test_screening_in_picks_the_child_found_by_name_and_opens_the_case(client, report, child, county_official, village_director):
    ChildFactory(region=child.region, name="张小明明")
    client.force_login(county_official)
    page = html(client.get(f"/cases/protection/screening/{report.id}/"))
    assert f'value="{child.id}"' in page and "张小明明" in page
    assert f'<option value="{village_director.id}"' in page  # the caseworker chooser
    response = client.post(
        f"/cases/protection/screening/{report.id}/in/",
        {"child": str(child.id), "risk_level": "high", "caseworker": str(village_director.id)},
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == case_url(case)
    assert (case.child, case.risk_level, case.caseworker) == (child, "high", village_director)
    report.refresh_from_db()
    assert (report.status, report.case) == ("screened_in", case)


def test_screening_in_registers_a_child_not_yet_recorded(client, regions, report, county_official):
    number = id_number_for(regions.village, D(2016, 5, 20), "F")
    client.force_login(county_official)
    response = client.post(
        f"/cases/protection/screening/{report.id}/in/",
        {"child": "new", "risk_level": "medium", "caseworker": "", "new-name": "张小明", "new-id_number": number,
         "new-region": str(regions.village.id), "new-household_region": "", "new-sex": "", "new-birth_date": ""},
    )
    assert response.status_code == 302
    child = Child.objects.with_id_number(number).get()
    assert Case.objects.get().child == child and child.region == regions.village


def test_screening_in_with_a_bad_identity_number_changes_nothing(client, regions, report, county_official):
    client.force_login(county_official)
    response = client.post(
        f"/cases/protection/screening/{report.id}/in/",
        {"child": "new", "risk_level": "medium", "new-name": "张小明", "new-id_number": "370402201605201234",
         "new-region": str(regions.village.id)},
    )
    assert response.status_code == 400
    assert "身份证号" in html(response)
    assert Child.objects.count() == 0 and Case.objects.count() == 0
    report.refresh_from_db()
    assert report.status == "received"


def test_screening_in_without_a_child_asks_for_one_in_chinese(client, report, county_official):
    client.force_login(county_official)
    response = client.post(f"/cases/protection/screening/{report.id}/in/", {"child": "", "risk_level": "medium"})
    assert response.status_code == 400
    assert "请选择儿童" in html(response)
    assert Case.objects.count() == 0


def test_screening_in_refuses_a_child_of_another_county(client, report, county_official, other_child):
    client.force_login(county_official)
    response = client.post(f"/cases/protection/screening/{report.id}/in/", {"child": str(other_child.id), "risk_level": "medium"})
    assert response.status_code == 400
    assert "李小红" not in html(response)
    assert Case.objects.count() == 0


def test_screening_out_without_a_reason_is_refused_in_chinese(client, report, county_official):
    client.force_login(county_official)
    response = client.post(f"/cases/protection/screening/{report.id}/out/", {"reason": "  "})
    assert response.status_code == 400
    assert "请填写不予受理的理由" in html(response)
    report.refresh_from_db()
    assert report.status == "received"


def test_screening_out_with_a_reason_leaves_the_queue(client, report, county_official):
    client.force_login(county_official)
    response = client.post(f"/cases/protection/screening/{report.id}/out/", {"reason": "经核实为误报"})
    assert response.status_code == 302 and response["Location"] == "/cases/protection/screening/"
    report.refresh_from_db()
    assert (report.status, report.reason) == ("screened_out", "经核实为误报")
    assert "张小明" not in html(client.get("/cases/protection/screening/"))
    # Screening it twice: a clear message.
    again = client.post(f"/cases/protection/screening/{report.id}/out/", {"reason": "再次"})
    assert again.status_code == 400 and "已经筛查" in html(again)


# --- my cases -----------------------------------------------------------------------------------


def test_my_cases_shows_a_director_only_the_cases_where_they_are_caseworker(
    client, regions, case, village_director, director_b, county_official
):
    other = ChildFactory(region=regions.village_b, name="刘小华")
    services.case_open(by=county_official, child=other, caseworker_id=director_b.id)
    client.force_login(village_director)
    page = html(client.get("/cases/protection/mine/"))
    assert "张小明" in page and "刘小华" not in page
    client.force_login(director_b)
    page = html(client.get("/cases/protection/mine/"))
    assert "刘小华" in page and "张小明" not in page


def test_my_cases_shows_the_county_the_open_cases_of_its_area_with_the_follow_up_badge(
    client, regions, case, county_official, time_machine
):
    closed = services.case_open(by=county_official, child=ChildFactory(region=regions.village_c, name="陈已结"))
    services.case_close(by=county_official, case_id=closed.id, closure_reason="risk_resolved")
    time_machine.move_to(datetime.datetime(2025, 4, 20, 10, tzinfo=SHANGHAI), tick=False)  # the monthly follow-up is late
    client.force_login(county_official)
    page = html(client.get("/cases/protection/mine/"))
    assert "张小明" in page and "陈已结" not in page
    assert "badge overdue" in page


def test_my_cases_is_paginated(client, regions, county_official):
    for n in range(35):
        services.case_open(by=county_official, child=ChildFactory(region=regions.village, name=f"儿童{n:02d}"))
    client.force_login(county_official)
    first = html(client.get("/cases/protection/mine/"))
    second = html(client.get("/cases/protection/mine/?page=2"))
    assert first.count('class="title"') == 30 and second.count('class="title"') == 5


def test_my_cases_and_the_queue_run_a_constant_number_of_queries(
    client, regions, village_director, county_official, django_assert_max_num_queries
):
    for n in range(12):
        kid = ChildFactory(region=regions.village, name=f"儿童{n:02d}")
        services.case_open(by=county_official, child=kid, caseworker_id=village_director.id)
        file_report(village_director, regions.village, child=kid)
    client.force_login(county_official)
    with django_assert_max_num_queries(12):
        assert client.get("/cases/protection/mine/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/cases/protection/screening/").status_code == 200


@pytest.mark.parametrize("who", ["city_official", "province_official", "staff"])
def test_my_cases_is_refused_to_roles_without_cases(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/cases/protection/mine/").status_code == 403


def test_my_cases_of_another_county_shows_nothing_of_ours(client, case, outsider, outsider_director):
    for user in (outsider, outsider_director):
        client.force_login(user)
        response = client.get("/cases/protection/mine/")
        assert response.status_code == 200 and "张小明" not in html(response)


# --- the case page ---------------------------------------------------------------------------------


def test_every_read_of_the_case_page_is_in_the_access_log(client, case, village_director):
    client.force_login(village_director)
    assert client.get(case_url(case)).status_code == 200
    assert client.get(case_url(case)).status_code == 200
    rows = AuditLog.objects.filter(action="case.read", target_id=str(case.id))
    assert rows.count() == 2 and {r.actor for r in rows} == {village_director}


@pytest.mark.parametrize("who", ["village_director", "township_supervisor", "county_official"])
def test_the_case_team_reads_the_case_page_with_its_timeline(client, request, case, who):
    client.force_login(request.getfixturevalue(who))
    page = html(client.get(case_url(case)))
    assert "张小明" in page and "孩子长期独自在家" in page
    # The reporter stays masked on the case page.
    assert "王小芳" not in page and "13812345678" not in page and "王**" in page


def test_the_case_page_is_not_found_by_anyone_outside_the_case(
    client, case, director_b, outsider, outsider_director, city_official, province_official, staff, other_staff
):
    for user in (director_b, outsider, outsider_director, city_official, province_official, staff, other_staff):
        client.force_login(user)
        assert client.get(case_url(case)).status_code == 404, user.username
    assert reads(case) == 0


def test_every_case_action_is_not_found_by_an_outsider_and_changes_nothing(client, case, outsider, director_b):
    posts = {
        "note": {"text": "越权"},
        "follow-up": {"done_on": "2025-03-01", "notes": "越权"},
        "assessment": {"assessed_on": "2025-03-01", "assessors": "甲\n乙\n丙", "grade": "missing", "risk_level": "high"},
        "plan": {"measures-TOTAL_FORMS": "1", "measures-INITIAL_FORMS": "0", "measures-0-domain": "safety",
                 "measures-0-action": "x", "measures-0-responsible": "x", "measures-0-due_on": "2025-04-01"},
        "referral": {"to_agency": "公安机关", "service": "x"},
        "assign": {"caseworker": str(outsider.id)},
        "close": {"closure_reason": "other", "closure_note": "越权"},
        "reopen": {"reason": "越权"},
    }
    for user in (outsider, director_b):
        client.force_login(user)
        for action, data in posts.items():
            assert client.post(case_url(case, action), data).status_code == 404, (user.username, action)
    case.refresh_from_db()
    assert case.status == "open"
    assert not CaseNote.objects.exists() and not Assessment.objects.exists() and not CasePlan.objects.exists()
    assert not Referral.objects.exists() and FollowUp.objects.filter(done_on__isnull=False).count() == 0


def test_a_note_is_added_and_an_empty_one_is_refused_in_chinese(client, case, village_director):
    client.force_login(village_director)
    response = client.post(case_url(case, "note"), {"text": "  "})
    assert response.status_code == 400 and "请填写记录内容" in html(response)
    assert not CaseNote.objects.exists()
    response = client.post(case_url(case, "note"), {"text": "与祖母电话沟通"})
    assert response.status_code == 302
    assert "与祖母电话沟通" in html(client.get(case_url(case)))


def test_a_follow_up_in_the_future_is_refused_and_one_done_today_schedules_the_next(client, case, village_director):
    client.force_login(village_director)
    response = client.post(case_url(case, "follow-up"), {"done_on": "2025-03-10", "notes": "x"})
    assert response.status_code == 400 and "不能晚于今天" in html(response)
    assert not FollowUp.objects.filter(done_on__isnull=False).exists()
    assert client.post(case_url(case, "follow-up"), {"done_on": "2025-03-03", "notes": "入户看望"}).status_code == 302
    case.refresh_from_db()
    assert case.next_follow_up_due == D(2025, 4, 3)


def test_an_assessment_needs_three_assessors_and_goes_through_submit_and_approval(
    client, case, village_director, county_official, county_official_2
):
    client.force_login(village_director)
    data = {"assessed_on": "2025-03-03", "assessors": "李主任\n王社工", "grade": "insufficient", "risk_level": "high",
            "need_safety": "夜间无人看护"}
    response = client.post(case_url(case, "assessment"), data)
    assert response.status_code == 400 and "请至少填写三名评估人员" in html(response)
    assert not Assessment.objects.exists()
    assert client.post(case_url(case, "assessment"), {**data, "assessors": "李主任\n王社工\n赵老师"}).status_code == 302
    assessment = Assessment.objects.get()
    assert assessment.needs == {"safety": "夜间无人看护"} and assessment.status == "draft"
    page = html(client.get(case_url(case)))
    assert "提交县级审核" in page and 'value="approve"' not in page
    assert client.post(f"/cases/protection/assessments/{assessment.id}/review/", {"action": "submit"}).status_code == 302
    # The county: approve or return; returning needs a comment.
    client.force_login(county_official)
    assert 'value="approve"' in html(client.get(case_url(case)))
    response = client.post(f"/cases/protection/assessments/{assessment.id}/review/", {"action": "return", "comment": ""})
    assert response.status_code == 400 and "请说明需要修改的内容" in html(response)
    assert client.post(f"/cases/protection/assessments/{assessment.id}/review/", {"action": "approve"}).status_code == 302
    assessment.refresh_from_db()
    case.refresh_from_db()
    assert (assessment.status, assessment.decided_by, case.risk_level) == ("approved", county_official, "high")


def test_nobody_approves_what_they_submitted(client, case, county_official):
    client.force_login(county_official)
    client.post(case_url(case, "assessment"), {"assessed_on": "2025-03-03", "assessors": "甲\n乙\n丙", "grade": "normal", "risk_level": "low"})
    assessment = Assessment.objects.get()
    client.post(f"/cases/protection/assessments/{assessment.id}/review/", {"action": "submit"})
    assert 'value="approve"' not in html(client.get(case_url(case)))
    assert client.post(f"/cases/protection/assessments/{assessment.id}/review/", {"action": "approve"}).status_code == 403
    assessment.refresh_from_db()
    assert assessment.status == "submitted"


def plan_data(*rows, **extra):
    data = {"measures-TOTAL_FORMS": str(len(rows)), "measures-INITIAL_FORMS": "0", "review_on": "", **extra}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"measures-{i}-{key}"] = value
    return data


def test_a_plan_needs_measures_with_due_dates_and_can_take_more_rows(client, case, village_director, county_official_2):
    client.force_login(village_director)
    response = client.post(case_url(case, "plan"), plan_data({"domain": "", "action": "", "responsible": "", "due_on": ""}))
    assert response.status_code == 400 and "至少需要一项措施" in html(response)
    row = {"domain": "safety", "action": "安排邻居夜间照看", "responsible": "村委会", "due_on": ""}
    response = client.post(case_url(case, "plan"), plan_data(row))
    assert response.status_code == 400 and "截止日期" in html(response)
    assert not CasePlan.objects.exists()
    # "Add a row" shows one more row and saves nothing.
    response = client.post(case_url(case, "plan"), plan_data(row, add_row="1"))
    assert response.status_code == 200 and 'name="measures-1-action"' in html(response) and not CasePlan.objects.exists()
    second = {"domain": "education", "action": "联系学校减免费用", "responsible": "东村小学", "due_on": "2025-04-30"}
    response = client.post(case_url(case, "plan"), plan_data({**row, "due_on": "2025-03-31"}, second))
    assert response.status_code == 302
    plan = CasePlan.objects.get()
    assert plan.version == 1 and plan.measures.count() == 2 and plan.review_on == D(2025, 9, 3)
    client.post(f"/cases/protection/plans/{plan.id}/review/", {"action": "submit"})
    client.force_login(county_official_2)
    assert client.post(f"/cases/protection/plans/{plan.id}/review/", {"action": "approve"}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == "approved"
    page = html(client.get(case_url(case)))
    assert "联系学校减免费用" in page and "计划已批准。" in page
    # A measure's progress: a status it does not know is refused beside the plan; one it knows is recorded.
    client.force_login(village_director)
    measure = plan.measures.get(action="联系学校减免费用")
    response = client.post(f"/cases/protection/measures/{measure.id}/progress/", {"status": "finished"})
    assert response.status_code == 400 and "请选择措施的进展状态。" in html(response)
    assert client.post(f"/cases/protection/measures/{measure.id}/progress/", {"status": "in_progress"}).status_code == 302
    measure.refresh_from_db()
    assert measure.status == "in_progress" and "措施进展已记录。" in html(client.get(case_url(case)))
    response = client.post(f"/cases/protection/plans/{plan.id}/review/", {"action": "sign"})
    assert response.status_code == 400 and "请选择提交、批准或退回。" in html(response)


def test_a_referral_outside_the_province_is_refused_and_the_institution_answers_its_own(
    client, case, village_director, institution, far_institution, staff, other_staff
):
    client.force_login(village_director)
    page = html(client.get(case_url(case)))
    assert "市中区未成年人救助保护中心" in page and "贵阳市儿童福利院" not in page
    response = client.post(case_url(case, "referral"), {"to_institution": str(far_institution.id), "service": "临时安置"})
    assert response.status_code == 400 and "本省" in html(response)
    response = client.post(case_url(case, "referral"), {"to_institution": "", "to_agency": "", "service": "临时安置"})
    assert response.status_code == 400
    assert not Referral.objects.exists()
    assert client.post(case_url(case, "referral"), {"to_institution": str(institution.id), "service": "临时安置", "consent": "祖母同意"}).status_code == 302
    referral = Referral.objects.get()
    # The other institution neither sees nor answers it.
    client.force_login(other_staff)
    assert "张小明" not in html(client.get("/cases/protection/referrals/"))
    assert client.post(f"/cases/protection/referrals/{referral.id}/answer/", {"outcome": "accept", "back": "inbox"}).status_code == 404
    # The institution referred to: declining needs a reason; accepting opens the case to it.
    client.force_login(staff)
    inbox = html(client.get("/cases/protection/referrals/"))
    assert "临时安置" in inbox and 'value="accept"' in inbox
    assert client.get(case_url(case)).status_code == 404
    response = client.post(f"/cases/protection/referrals/{referral.id}/answer/", {"outcome": "decline", "reason": "", "back": "inbox"})
    assert response.status_code == 400 and "请填写拒绝转介的理由" in html(response)
    assert client.post(f"/cases/protection/referrals/{referral.id}/answer/", {"outcome": "accept", "back": "inbox"}).status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.answered_by) == ("accepted", staff)
    page = html(client.get(case_url(case)))
    assert "张小明" in page and 'value="complete"' in page and 'name="text"' not in page
    assert reads(case) >= 1


def test_the_referral_inbox_is_only_for_institution_staff(client, village_director, county_official, city_official):
    for user in (village_director, county_official, city_official):
        client.force_login(user)
        assert client.get("/cases/protection/referrals/").status_code == 403


def test_closing_needs_a_reason_and_an_explanation_while_a_referral_is_live(client, case, village_director, county_official):
    services.referral_send(by=village_director, case_id=case.id, service="心理辅导", to_agency="妇联")
    client.force_login(village_director)
    assert 'name="closure_reason"' not in html(client.get(case_url(case)))
    assert client.post(case_url(case, "close"), {"closure_reason": "risk_resolved"}).status_code == 403
    client.force_login(county_official)
    response = client.post(case_url(case, "close"), {"closure_reason": "", "closure_note": ""})
    assert response.status_code == 400 and "请选择结案原因" in html(response)
    response = client.post(case_url(case, "close"), {"closure_reason": "risk_resolved", "closure_note": ""})
    assert response.status_code == 400 and "转介" in html(response)
    case.refresh_from_db()
    assert case.status == "open"
    assert client.post(case_url(case, "close"), {"closure_reason": "risk_resolved", "closure_note": "妇联已结束服务"}).status_code == 302
    case.refresh_from_db()
    assert (case.status, case.closure_reason) == ("closed", "risk_resolved")
    response = client.post(case_url(case, "reopen"), {"reason": ""})
    assert response.status_code == 400
    assert client.post(case_url(case, "reopen"), {"reason": "再次发现风险"}).status_code == 302
    case.refresh_from_db()
    assert case.status == "open"


def test_the_county_assigns_a_caseworker_of_the_childs_area_only(client, case, county_official, director_b, township_supervisor):
    client.force_login(county_official)
    page = html(client.get(case_url(case)))
    assert f'<option value="{township_supervisor.id}"' in page and f'<option value="{director_b.id}"' not in page
    response = client.post(case_url(case, "assign"), {"caseworker": str(director_b.id)})
    assert response.status_code == 400 and "村、乡镇或县" in html(response)
    assert client.post(case_url(case, "assign"), {"caseworker": str(township_supervisor.id)}).status_code == 302
    case.refresh_from_db()
    assert case.caseworker == township_supervisor


def test_a_sub_record_of_another_county_is_not_found(client, case, village_director, outsider):
    client.force_login(village_director)
    client.post(case_url(case, "assessment"), {"assessed_on": "2025-03-03", "assessors": "甲\n乙\n丙", "grade": "normal", "risk_level": "low"})
    assessment = Assessment.objects.get()
    client.force_login(outsider)
    assert client.post(f"/cases/protection/assessments/{assessment.id}/review/", {"action": "submit"}).status_code == 404
    assessment.refresh_from_db()
    assert assessment.status == "draft"


# --- the city's hotline page ---------------------------------------------------------------------


@pytest.fixture
def far_county(regions):
    """A county of another city of the province."""
    city = RegionFactory(code="370500", name="东营市", level=Region.Level.CITY, parent=regions.province)
    return RegionFactory(code="370502", name="东营区", level=Region.Level.COUNTY, parent=city)


def hotline_data(county, **kw):
    return {"county": county.code, "received_at": "", "child_name": "小强", "concern": "domestic_violence", "urgency": "urgent",
            "reporter_type": "neighbour", "reporter_name": "周先生", "reporter_phone": "13700002222",
            "description": "邻居听到孩子哭喊", **kw}


def test_the_city_records_a_hotline_ticket_for_one_of_its_counties(client, regions, city_official):
    client.force_login(city_official)
    page = html(client.get("/cases/protection/hotline/"))
    assert "市中区" in page and "薛城区" in page
    response = client.post("/cases/protection/hotline/", hotline_data(regions.other_county))
    assert response.status_code == 302
    ticket = CaseReport.objects.get()
    assert (ticket.source, ticket.county, ticket.filed_by) == ("hotline", regions.other_county, city_official)
    page = html(client.get("/cases/protection/hotline/"))
    assert "工单已登记并交办薛城区" in page
    assert "邻居听到孩子哭喊" in page and "周**" in page and "13700002222" not in page


def test_a_hotline_ticket_for_a_county_outside_the_city_is_refused_in_chinese(client, far_county, city_official):
    client.force_login(city_official)
    response = client.post("/cases/protection/hotline/", hotline_data(far_county))
    assert response.status_code == 400 and "本市" in html(response)
    assert not CaseReport.objects.exists()


def test_the_hotline_list_puts_tickets_past_their_deadline_first(client, regions, city_official, county_official):
    old = services.report_file(by=city_official, data=services.ReportInput(
        source="hotline", region=regions.county, concern="neglect", description="旧线索", child_name="王逾期",
        received_at=datetime.datetime(2025, 2, 3, 9, tzinfo=SHANGHAI)))
    services.report_file(by=city_official, data=services.ReportInput(
        source="hotline", region=regions.county, concern="neglect", description="新线索", child_name="王新"))
    client.force_login(city_official)
    page = html(client.get("/cases/protection/hotline/"))
    assert page.index("王逾期") < page.index("王新")
    assert page.count("badge past_due") == 1
    # Once screened, it is no longer supervised.
    services.report_screen_out(by=county_official, report_id=old.id, reason="已处理")
    assert html(client.get("/cases/protection/hotline/")).count("badge past_due") == 0


def test_the_city_records_the_callback_and_an_empty_one_is_refused(client, regions, city_official):
    ticket = services.report_file(by=city_official, data=services.ReportInput(
        source="hotline", region=regions.county, concern="neglect", description="x", child_name="小强"))
    client.force_login(city_official)
    response = client.post(f"/cases/protection/hotline/{ticket.id}/callback/", {"callback_note": ""})
    assert response.status_code == 400 and "请记录" in html(response)
    ticket.refresh_from_db()
    assert ticket.callback_at is None
    assert client.post(f"/cases/protection/hotline/{ticket.id}/callback/", {"callback_note": "已告知县里正在处理"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.callback_note == "已告知县里正在处理"


@pytest.mark.parametrize("who", ["village_director", "township_supervisor", "county_official", "province_official", "staff"])
def test_the_hotline_page_is_refused_to_everyone_but_the_city(client, request, regions, city_official, who):
    ticket = services.report_file(by=city_official, data=services.ReportInput(
        source="hotline", region=regions.county, concern="neglect", description="x", child_name="小强"))
    client.force_login(request.getfixturevalue(who))
    assert client.get("/cases/protection/hotline/").status_code == 403
    assert client.post("/cases/protection/hotline/", hotline_data(regions.county)).status_code == 403
    assert client.post(f"/cases/protection/hotline/{ticket.id}/callback/", {"callback_note": "x"}).status_code == 403
    assert CaseReport.objects.count() == 1


def test_another_citys_official_sees_and_calls_back_nothing_of_ours(client, regions, city_official, far_county):
    ticket = services.report_file(by=city_official, data=services.ReportInput(
        source="hotline", region=regions.county, concern="neglect", description="本市线索", child_name="小强"))
    other_city = UserFactory(username="other_city", role=Role.CITY_OFFICIAL, region=far_county.parent)
    client.force_login(other_city)
    assert "本市线索" not in html(client.get("/cases/protection/hotline/"))
    assert client.post(f"/cases/protection/hotline/{ticket.id}/callback/", {"callback_note": "越权"}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.callback_at is None


# --- the pages in English -------------------------------------------------------------------------


def test_the_pages_speak_english_when_asked(client, settings, village_director):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(village_director)
    response = client.post(
        "/cases/protection/report/",
        {"child_name": "X", "region": "370402001001", "concern": "trafficking", "urgency": "immediate",
         "source": "police", "reporter_type": "other", "description": "x"},
    )
    assert response.status_code == 400
    assert "reported to the police first" in html(response)


def test_no_page_holds_an_identity_number_in_full(client, case, child, county_official):
    client.force_login(county_official)
    for url in ("/cases/protection/mine/", case_url(case), f"/cases/protection/screening/{case.reports.get().id}/"):
        assert child.id_number not in html(client.get(url))
