"""The protection casework API (cases/protection/api.py): case-reports, cases, assessments,
case-plans, referrals and follow-ups with their actions; who reads and writes what (an outsider
for every endpoint), the access log of case reads, the masked reporter and its logged reveal, bad
input (a clear 400/403, nothing changed), the dashboard figures and the schema."""

import datetime
import functools
import json
from zoneinfo import ZoneInfo

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework.test import APIClient

from cases.children.models import Child
from cases.protection import services
from cases.protection.models import Assessment, Case, CaseNote, CasePlan, CaseReport, FollowUp, PlanMeasure, Referral
from institutions.models import Placement
from tests.factories import ChildFactory, InstitutionFactory, RegionFactory, UserFactory
from welfare.models import AuditLog, Region
from welfare.roles import Role

pytestmark = pytest.mark.django_db
D = datetime.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = D(2025, 3, 3)  # a Monday
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(at(TODAY), tick=False)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def post(user, url, data=None, **extra):
    return api(user).post(url, data or {}, format="json", **{**EN, **extra})


def get(user, url, **extra):
    return api(user).get(url, **{**EN, **extra})


def errors(response) -> str:
    return json.dumps(response.json(), ensure_ascii=False)


# --- people and records -------------------------------------------------------------------


@pytest.fixture
def second_county_official(regions):
    """A second official of our county: approves what the first one submitted."""
    return UserFactory(username="county2", role=Role.COUNTY_OFFICIAL, region=regions.county)


@pytest.fixture
def neighbour_director(regions):
    """The director of the next village in our township: no business with our cases."""
    return UserFactory(username="b_director", role=Role.VILLAGE_DIRECTOR, region=regions.village_b)


@pytest.fixture
def far_province(db):
    """Henan > Zhengzhou > Zhongyuan: outside our province."""
    province = RegionFactory(code="410000", name="河南省", level=Region.Level.PROVINCE)
    city = RegionFactory(code="410100", name="郑州市", level=Region.Level.CITY, parent=province)
    return RegionFactory(code="410102", name="中原区", level=Region.Level.COUNTY, parent=city)


@pytest.fixture
def other_city_county(regions):
    """A county of another city of our province (Jinan, Lixia)."""
    city = RegionFactory(code="370100", name="济南市", level=Region.Level.CITY, parent=regions.province)
    return RegionFactory(code="370102", name="历下区", level=Region.Level.COUNTY, parent=city)


@pytest.fixture
def home(regions):
    return InstitutionFactory(name="市儿童福利院", region=regions.county)


@pytest.fixture
def carer(home):
    return UserFactory(username="carer", role=Role.INSTITUTION_STAFF, region=None, institution=home)


@pytest.fixture
def other_carer(regions):
    shelter = InstitutionFactory(name="救助保护中心", region=regions.county)
    return UserFactory(username="other_carer", role=Role.INSTITUTION_STAFF, region=None, institution=shelter)


def file_report(by, region, **kw) -> CaseReport:
    values = dict(
        source="mandatory_report",
        region=region,
        concern="neglect",
        description="孩子长期无人照看",
        reporter_type="school",
        reporter_name="王老师",
        reporter_phone="13812345678",
        child_name="张小明",
    )
    values.update(kw)
    return services.report_file(by=by, data=services.ReportInput(**values))


@pytest.fixture
def report(village_director, regions):
    """A school's report about a child of village A, filed by the village director."""
    return file_report(village_director, regions.village)


@pytest.fixture
def case(county_official, village_director, child):
    """An open case of our child, the village director its caseworker."""
    return services.case_open(by=county_official, child=child, risk_level="medium", caseworker_id=village_director.pk)


@pytest.fixture
def other_case(outsider, other_child):
    return services.case_open(by=outsider, child=other_child, risk_level="high")


ASSESSMENT = {"assessed_on": "2025-03-01", "grade": "insufficient", "risk_level": "high",
              "assessors": ["张三", "李四", "王五"], "needs": {"safety": "夜间无人照看"}}
MEASURES = [
    {"domain": "safety", "action": "安排邻居夜间照看", "responsible": "村儿童主任", "due_on": "2025-03-31"},
    {"domain": "education", "action": "联系学校减免费用", "responsible": "镇社工站", "due_on": "2025-04-30", "status": "in_progress"},
]


# ==========================================================================================
# case-reports
# ==========================================================================================


def test_it_files_a_report_for_the_county_of_the_place_and_answers_the_filer_with_its_status(village_director, regions):
    response = post(village_director, "/api/case-reports/", {
        "source": "mandatory_report", "reporter_type": "school", "reporter_name": "王老师", "reporter_phone": "138 1234 5678",
        "child_name": "张小明", "region": regions.village.code, "concern": "neglect", "urgency": "urgent",
        "description": "孩子长期无人照看",
    })
    assert response.status_code == 201, response.content
    assert set(response.json()) == {"id", "status", "received_at", "respond_by", "concern", "child_name"}
    report = CaseReport.objects.get()
    assert (report.county, report.status, report.reporter_phone) == (regions.county, "received", "13812345678")
    # urgent: three working days, to the end of the third (Thursday 6 March)
    assert report.respond_by == at(D(2025, 3, 6), 23).replace(minute=59, second=59)


def test_the_screening_county_reads_the_report_in_full_with_the_reporter_masked(report, county_official, regions):
    response = get(county_official, f"/api/case-reports/{report.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["reporter_name"] == "王**"
    assert body["reporter_phone"] == "138****5678"
    assert (body["region"], body["county"], body["concern"], body["status"]) == (regions.village.code, regions.county.code, "neglect", "received")
    assert {"id", "source", "reporter_type", "child", "child_name", "urgency", "description", "police_notified_at",
            "received_at", "respond_by", "reason", "case", "serious"} <= set(body)
    assert "王老师" not in response.content.decode() and "13812345678" not in response.content.decode()
    listed = get(county_official, "/api/case-reports/").json()["results"]
    assert [(r["id"], r["reporter_name"], r["description"]) for r in listed] == [(report.pk, "王**", "孩子长期无人照看")]


def test_a_filer_who_does_not_screen_reads_only_the_status_of_their_report(report, village_director):
    for body in (get(village_director, f"/api/case-reports/{report.pk}/").json(),
                 get(village_director, "/api/case-reports/").json()["results"][0]):
        assert set(body) == {"id", "status", "received_at", "respond_by", "concern", "child_name"}
        assert body["status"] == "received"


@pytest.mark.parametrize("who", ["outsider", "outsider_director", "neighbour_director", "city_official", "carer"])
def test_it_hides_a_report_from_everyone_who_neither_filed_nor_screens_it(report, request, who):
    user = request.getfixturevalue(who)
    assert get(user, f"/api/case-reports/{report.pk}/").status_code == 404
    assert get(user, "/api/case-reports/").json()["results"] == []
    for action in ("screen_in", "screen_out", "callback", "reveal_reporter"):
        assert post(user, f"/api/case-reports/{report.pk}/{action}/", {"reason": "x", "note": "x"}).status_code == 404
    report.refresh_from_db()
    assert report.status == "received" and report.callback_note == ""


def test_it_reveals_the_reporter_to_the_screening_county_and_logs_it(report, county_official):
    response = post(county_official, f"/api/case-reports/{report.pk}/reveal_reporter/")
    assert response.status_code == 200
    assert response.json() == {"reporter_name": "王老师", "reporter_phone": "13812345678"}
    assert response["Cache-Control"] == "no-store"
    log = AuditLog.objects.get(action="case_report.reporter_revealed")
    assert (log.actor, log.target_id) == (county_official, str(report.pk))


@pytest.mark.parametrize("who", ["village_director", "township_supervisor"])
def test_it_reveals_the_reporter_to_no_one_but_the_screening_county(report, request, who):
    response = post(request.getfixturevalue(who), f"/api/case-reports/{report.pk}/reveal_reporter/")
    assert response.status_code == 403
    assert "screened by the county" in errors(response)
    assert not AuditLog.objects.filter(action="case_report.reporter_revealed").exists()


def test_it_refuses_a_sexual_abuse_report_without_the_police_time(village_director, regions):
    response = post(village_director, "/api/case-reports/", {
        "source": "mandatory_report", "child_name": "张小明", "region": regions.village.code, "concern": "sexual_abuse",
        "description": "x",
    })
    assert response.status_code == 400
    assert "police" in " ".join(response.json()["police_notified_at"])
    assert not CaseReport.objects.exists()


def test_it_refuses_a_report_dated_in_the_future(village_director, regions):
    response = post(village_director, "/api/case-reports/", {
        "source": "walk_in", "child_name": "张小明", "region": regions.village.code, "concern": "injury", "serious": True,
        "description": "x", "police_notified_at": "2025-03-04T09:00:00+08:00",
    })
    assert response.status_code == 400
    assert "future" in " ".join(response.json()["police_notified_at"])
    assert not CaseReport.objects.exists()


def test_it_refuses_a_child_the_filer_cannot_see_by_id(village_director, other_child, regions):
    response = post(village_director, "/api/case-reports/", {
        "source": "walk_in", "child": other_child.pk, "region": regions.other_village.code, "concern": "neglect", "description": "x",
    })
    assert response.status_code == 403
    assert not CaseReport.objects.exists()


def test_it_lets_only_a_city_official_record_a_hotline_ticket_for_a_county_of_the_city(
    village_director, city_official, regions, other_city_county
):
    ticket = {"source": "hotline", "reporter_type": "neighbour", "reporter_phone": "13900000000", "child_name": "小红",
              "concern": "abuse", "urgency": "immediate", "description": "邻居听见打骂"}
    refused = post(village_director, "/api/case-reports/", {**ticket, "region": regions.village.code})
    assert refused.status_code == 400
    assert "city" in " ".join(refused.json()["source"])
    outside = post(city_official, "/api/case-reports/", {**ticket, "region": other_city_county.code})
    assert outside.status_code == 400
    assert "county of your city" in " ".join(outside.json()["region"])
    assert not CaseReport.objects.exists()
    filed = post(city_official, "/api/case-reports/", {**ticket, "region": regions.other_county.code})
    assert filed.status_code == 201, filed.content
    body = filed.json()
    assert (body["county"], body["source"], body["reporter_phone"]) == (regions.other_county.code, "hotline", "139****0000")
    assert body["respond_by"].startswith("2025-03-04T10:00:00")  # immediate: 24 hours


def test_the_city_reads_its_hotline_tickets_and_records_the_callback(city_official, county_official, outsider, regions):
    ticket = file_report(city_official, regions.village, source="hotline", reporter_type="anonymous", reporter_name="")
    mandatory = file_report(county_official, regions.village)
    assert [r["id"] for r in get(city_official, "/api/case-reports/").json()["results"]] == [ticket.pk]
    assert get(city_official, f"/api/case-reports/{mandatory.pk}/").status_code == 404
    empty = post(city_official, f"/api/case-reports/{ticket.pk}/callback/", {"note": " "})
    assert empty.status_code == 400
    assert post(county_official, f"/api/case-reports/{ticket.pk}/callback/", {"note": "x"}).status_code == 403
    ticket.refresh_from_db()
    assert ticket.callback_at is None
    done = post(city_official, f"/api/case-reports/{ticket.pk}/callback/", {"note": "已告知来电人县里已受理"})
    assert done.status_code == 200
    assert done.json()["callback_note"] == "已告知来电人县里已受理"
    assert get(outsider, f"/api/case-reports/{ticket.pk}/").status_code == 404


def test_it_filters_reports_by_status_source_and_overdue(county_official, regions):
    late = file_report(county_official, regions.village, received_at=at(D(2025, 2, 1)))
    fresh = file_report(county_official, regions.village_b, source="walk_in")
    services.report_screen_out(by=county_official, report_id=fresh.pk, reason="重复线索")

    def ids(query):
        return [r["id"] for r in get(county_official, f"/api/case-reports/?{query}").json()["results"]]

    assert ids("overdue=true") == [late.pk]
    assert ids("overdue=false") == [fresh.pk]
    assert ids("status=screened_out") == [fresh.pk]
    assert ids("source=walk_in") == [fresh.pk]
    assert get(county_official, "/api/case-reports/?status=nonsense").status_code == 400


def test_it_screens_a_report_in_and_opens_a_case(report, county_official, village_director, child):
    response = post(county_official, f"/api/case-reports/{report.pk}/screen_in/",
                    {"child": child.pk, "risk_level": "high", "caseworker": village_director.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    case = Case.objects.get()
    assert (body["status"], body["case"], body["child"]) == ("screened_in", case.pk, child.pk)
    assert (case.child, case.risk_level, case.caseworker, case.opened_from, case.status) == (child, "high", village_director, "report", "open")
    assert case.next_follow_up_due == D(2025, 3, 17)  # high risk: two weeks


def test_a_second_report_of_the_child_joins_the_open_case(report, county_official, village_director, child, case):
    response = post(county_official, f"/api/case-reports/{report.pk}/screen_in/", {"child": child.pk})
    assert response.status_code == 200
    assert response.json()["case"] == case.pk
    assert Case.objects.count() == 1


def test_it_registers_a_new_child_when_screening_a_report_in(report, county_official, regions):
    response = post(county_official, f"/api/case-reports/{report.pk}/screen_in/", {
        "new_child": {"name": "张小明", "sex": "M", "birth_date": "2016-05-01", "region": regions.village.code},
        "risk_level": "medium",
    })
    assert response.status_code == 200, response.content
    child = Child.objects.get(name="张小明", birth_date=D(2016, 5, 1))
    assert Case.objects.get().child == child
    assert response.json()["child"] == child.pk


def test_it_refuses_a_new_child_with_a_bad_identity_number_and_changes_nothing(report, county_official, regions):
    response = post(county_official, f"/api/case-reports/{report.pk}/screen_in/", {
        "new_child": {"name": "张小明", "id_number": "370402201605010000", "region": regions.village.code},
    })
    assert response.status_code == 400
    assert "id_number" in response.json()
    report.refresh_from_db()
    assert report.status == "received" and not Case.objects.exists() and not Child.objects.filter(name="张小明").exists()


def test_it_refuses_to_screen_a_report_twice(report, county_official, child):
    assert post(county_official, f"/api/case-reports/{report.pk}/screen_in/", {"child": child.pk}).status_code == 200
    again = post(county_official, f"/api/case-reports/{report.pk}/screen_in/", {"child": child.pk, "risk_level": "low"})
    assert again.status_code == 400
    assert "already been screened" in errors(again)
    out = post(county_official, f"/api/case-reports/{report.pk}/screen_out/", {"reason": "无需介入"})
    assert out.status_code == 400
    report.refresh_from_db()
    assert (report.status, report.reason) == ("screened_in", "")
    assert Case.objects.get().risk_level == "medium"


def test_it_refuses_to_screen_out_without_a_reason(report, county_official):
    response = post(county_official, f"/api/case-reports/{report.pk}/screen_out/", {"reason": "  "})
    assert response.status_code == 400
    assert "reason" in response.json()
    report.refresh_from_db()
    assert report.status == "received"


def test_it_screens_a_report_out_with_a_reason(report, county_official):
    response = post(county_official, f"/api/case-reports/{report.pk}/screen_out/", {"reason": "经核实为误报"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reason"]) == ("screened_out", "经核实为误报")
    assert not Case.objects.exists()


@pytest.mark.parametrize("who", ["village_director", "township_supervisor"])
def test_it_lets_only_the_county_screen(report, child, request, who):
    user = request.getfixturevalue(who)
    assert post(user, f"/api/case-reports/{report.pk}/screen_in/", {"child": child.pk}).status_code == 403
    assert post(user, f"/api/case-reports/{report.pk}/screen_out/", {"reason": "x"}).status_code == 403
    report.refresh_from_db()
    assert report.status == "received" and not Case.objects.exists()


def test_it_answers_in_chinese_by_default_and_in_english_when_asked(report, county_official):
    chinese = api(county_official).post("/api/assessments/", {**ASSESSMENT, "case": 999999}, format="json")
    assert chinese.status_code == 400
    assert "没有" in errors(chinese)
    english = post(county_official, "/api/assessments/", {**ASSESSMENT, "case": 999999})
    assert "There is no case with this id." in errors(english)


# ==========================================================================================
# cases
# ==========================================================================================


def test_the_worklist_lists_open_cases_most_pressing_first_with_their_follow_up_state(county_official, regions):
    dues = {"late": D(2025, 3, 1), "soon": D(2025, 3, 10), "fine": D(2025, 5, 1)}
    made = {}
    for key, due in dues.items():
        kid = ChildFactory(region=regions.village_c, name=f"孩子{key}")
        made[key] = services.case_open(by=county_official, child=kid, risk_level="low")
        Case.objects.filter(pk=made[key].pk).update(next_follow_up_due=due)
    closed = services.case_open(by=county_official, child=ChildFactory(region=regions.village), risk_level="low")
    services.case_close(by=county_official, case_id=closed.pk, closure_reason="risk_resolved")
    response = get(county_official, "/api/cases/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["id"], r["follow_up_state"]) for r in rows] == [
        (made["late"].pk, "overdue"), (made["soon"].pk, "due_soon"), (made["fine"].pk, "ok")
    ]
    assert rows[0]["child_name"] == "孩子late"
    assert {"id", "child", "status", "risk_level", "opened_on", "opened_from", "caseworker", "closed_on",
            "closure_reason", "next_follow_up_due", "follow_up_state"} <= set(rows[0])
    assert [r["id"] for r in get(county_official, "/api/cases/?status=closed").json()["results"]] == [closed.pk]
    assert [r["id"] for r in get(county_official, "/api/cases/?follow_up_state=due_soon").json()["results"]] == [made["soon"].pk]
    assert not AuditLog.objects.filter(action="case.read").exists()  # a list is not a read of a case


@pytest.mark.parametrize("size", [3, 30])
def test_the_worklist_costs_the_same_two_queries_whatever_its_length(county_official, regions, django_assert_num_queries, size):
    kids = ChildFactory.create_batch(size, region=regions.village)
    Case.objects.bulk_create(
        Case(child=k, opened_on=TODAY, risk_level="high", caseworker=county_official, next_follow_up_due=TODAY) for k in kids
    )
    client = api(county_official)
    with django_assert_num_queries(2):  # the list's ids and the page's rows
        response = client.get("/api/cases/")
    assert len(response.json()["results"]) == size
    with django_assert_num_queries(0):  # the page is kept under the scope's data versions (cases/protection/listing.py)
        again = client.get("/api/cases/")
    assert again.json() == response.json()


def test_the_worklist_count_follows_every_write_of_a_case_or_a_move_of_its_child(county_official, regions, child):
    client = api(county_official)

    def count():
        return client.get("/api/cases/").json()["count"]

    assert count() == 0
    first = services.case_open(by=county_official, child=child, risk_level="low")
    assert count() == 1
    second = services.case_open(by=county_official, child=ChildFactory(region=regions.village_c), risk_level="low")
    assert count() == 2
    services.case_close(by=county_official, case_id=first.pk, closure_reason="risk_resolved")
    assert count() == 1
    mover = second.child
    mover.region = regions.other_village
    mover.save()  # the child moved county: the case goes with them
    assert count() == 0


def test_it_writes_an_access_log_row_for_every_read_of_a_case(case, township_supervisor):
    response = get(township_supervisor, f"/api/cases/{case.pk}/")
    assert response.status_code == 200
    assert response.json()["child"] == case.child_id
    log = AuditLog.objects.get(action="case.read")
    assert (log.actor, log.target_type, log.target_id) == (township_supervisor, "cases.case", str(case.pk))


@pytest.mark.parametrize(
    ("who", "answer"),
    [
        ("village_director", 200),  # the caseworker
        ("township_supervisor", 200),
        ("county_official", 200),
        ("neighbour_director", 404),
        ("outsider", 404),
        ("outsider_director", 404),
        ("city_official", 404),  # figures, no case content
        ("province_official", 404),
        ("carer", 404),  # no referral accepted
    ],
)
def test_who_reads_a_case(case, request, who, answer):
    user = request.getfixturevalue(who)
    assert get(user, f"/api/cases/{case.pk}/").status_code == answer
    assert len(get(user, "/api/cases/").json()["results"]) == (1 if answer == 200 else 0)
    assert AuditLog.objects.filter(action="case.read").count() == (1 if answer == 200 else 0)


def test_it_opens_a_case_by_hand_for_the_county_only(county_official, village_director, child):
    refused = post(village_director, "/api/cases/", {"child": child.pk})
    assert refused.status_code == 403
    response = post(county_official, "/api/cases/", {"child": child.pk, "risk_level": "low", "caseworker": village_director.pk})
    assert response.status_code == 201, response.content
    assert (response.json()["opened_from"], response.json()["caseworker"]) == ("manual", village_director.pk)
    second = post(county_official, "/api/cases/", {"child": child.pk})
    assert second.status_code == 400
    assert "already has an open case" in errors(second)
    assert Case.objects.count() == 1


def test_it_refuses_to_open_a_case_for_a_child_of_another_county(county_official, other_child):
    assert post(county_official, "/api/cases/", {"child": other_child.pk}).status_code == 403
    assert not Case.objects.exists()


def test_it_closes_and_reopens_a_case(case, county_official):
    closed = post(county_official, f"/api/cases/{case.pk}/close/", {"closure_reason": "risk_resolved"})
    assert closed.status_code == 200, closed.content
    assert (closed.json()["status"], closed.json()["closed_on"], closed.json()["follow_up_state"]) == ("closed", "2025-03-03", None)
    no_reason = post(county_official, f"/api/cases/{case.pk}/reopen/", {})
    assert no_reason.status_code == 400
    assert "reopened" in errors(no_reason)
    reopened = post(county_official, f"/api/cases/{case.pk}/reopen/", {"reason": "再次发现无人照看"})
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "open"


def test_it_refuses_to_close_a_case_with_a_live_referral_and_no_note(case, county_official):
    services.referral_send(by=county_official, case_id=case.pk, service="心理辅导", to_agency="县妇联")
    refused = post(county_official, f"/api/cases/{case.pk}/close/", {"closure_reason": "moved_away"})
    assert refused.status_code == 400
    assert "referral" in " ".join(refused.json()["closure_note"])
    case.refresh_from_db()
    assert case.status == "open"
    closed = post(county_official, f"/api/cases/{case.pk}/close/", {"closure_reason": "moved_away", "closure_note": "随父母迁往外省"})
    assert closed.status_code == 200


def test_it_refuses_a_closure_without_a_valid_reason(case, county_official):
    response = post(county_official, f"/api/cases/{case.pk}/close/", {"closure_reason": "bored"})
    assert response.status_code == 400
    assert "closure_reason" in response.json()
    case.refresh_from_db()
    assert case.status == "open"


def test_it_lets_only_the_county_close_reopen_or_assign(case, village_director, township_supervisor):
    for user in (village_director, township_supervisor):
        assert post(user, f"/api/cases/{case.pk}/close/", {"closure_reason": "risk_resolved"}).status_code == 403
        assert post(user, f"/api/cases/{case.pk}/assign/", {"caseworker": user.pk}).status_code == 403
    case.refresh_from_db()
    assert (case.status, case.caseworker.username) == ("open", "director")


def test_it_assigns_a_caseworker_of_the_childs_area_only(case, county_official, township_supervisor, outsider_director):
    response = post(county_official, f"/api/cases/{case.pk}/assign/", {"caseworker": township_supervisor.pk})
    assert response.status_code == 200
    assert response.json()["caseworker"] == township_supervisor.pk
    refused = post(county_official, f"/api/cases/{case.pk}/assign/", {"caseworker": outsider_director.pk})
    assert refused.status_code == 400
    assert "caseworker" in refused.json()
    case.refresh_from_db()
    assert case.caseworker == township_supervisor


def test_the_case_team_adds_notes(case, village_director, city_official, outsider):
    response = post(village_director, f"/api/cases/{case.pk}/notes/", {"text": "今日入户，孩子状态良好"})
    assert response.status_code == 201
    assert response.json()["text"] == "今日入户，孩子状态良好"
    assert post(village_director, f"/api/cases/{case.pk}/notes/", {"text": ""}).status_code == 400
    for user in (city_official, outsider):
        assert post(user, f"/api/cases/{case.pk}/notes/", {"text": "越权"}).status_code == 404
    assert list(CaseNote.objects.values_list("text", flat=True)) == ["今日入户，孩子状态良好"]


def test_an_outsider_finds_none_of_our_cases_actions(case, outsider):
    for action, data in (("close", {"closure_reason": "other", "closure_note": "x"}), ("reopen", {"reason": "x"}),
                         ("assign", {"caseworker": outsider.pk})):
        assert post(outsider, f"/api/cases/{case.pk}/{action}/", data).status_code == 404
    case.refresh_from_db()
    assert (case.status, case.caseworker.username) == ("open", "director")


# ==========================================================================================
# assessments
# ==========================================================================================


def test_an_assessment_is_written_submitted_and_approved_by_the_county(case, village_director, county_official):
    created = post(village_director, "/api/assessments/", {**ASSESSMENT, "case": case.pk})
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["grade"], body["assessors"], body["needs"]) == ("draft", "insufficient", ["张三", "李四", "王五"], {"safety": "夜间无人照看"})
    submitted = post(village_director, f"/api/assessments/{body['id']}/submit/")
    assert (submitted.status_code, submitted.json()["status"]) == (200, "submitted")
    approved = post(county_official, f"/api/assessments/{body['id']}/approve/")
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")
    case.refresh_from_db()
    assert case.risk_level == "high"  # the case takes the approved assessment's risk level
    assert [a["id"] for a in get(village_director, f"/api/assessments/?case={case.pk}").json()["results"]] == [body["id"]]


def test_nobody_approves_their_own_assessment(case, county_official, second_county_official):
    a = services.assessment_create(by=county_official, case_id=case.pk, data=services.AssessmentInput(
        assessed_on=D(2025, 3, 1), grade="normal", risk_level="low", assessors=["甲", "乙", "丙"]))
    services.assessment_submit(by=county_official, assessment_id=a.pk)
    own = post(county_official, f"/api/assessments/{a.pk}/approve/")
    assert own.status_code == 403
    assert "submitted themselves" in errors(own)
    a.refresh_from_db()
    assert a.status == "submitted"
    assert post(second_county_official, f"/api/assessments/{a.pk}/approve/").status_code == 200


def test_an_assessment_is_returned_with_a_comment_only(case, village_director, county_official):
    a = services.assessment_create(by=village_director, case_id=case.pk, data=services.AssessmentInput(
        assessed_on=D(2025, 3, 1), grade="normal", risk_level="low", assessors=["甲", "乙", "丙"]))
    services.assessment_submit(by=village_director, assessment_id=a.pk)
    bare = post(county_official, f"/api/assessments/{a.pk}/return/", {})
    assert bare.status_code == 400
    assert "comment" in bare.json()
    returned = post(county_official, f"/api/assessments/{a.pk}/return/", {"comment": "补充监护人意见"})
    assert (returned.status_code, returned.json()["status"], returned.json()["comment"]) == (200, "returned", "补充监护人意见")


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"assessors": ["张三", "李四"]}, "assessors", "three assessors"),
        ({"assessed_on": "2025-03-04"}, "assessed_on", "future"),
        ({"grade": "terrible"}, "grade", "valid choice"),
        ({"needs": {"money": "x"}}, "needs", "domain"),
    ],
)
def test_it_refuses_a_bad_assessment_and_saves_nothing(case, village_director, change, field, words):
    response = post(village_director, "/api/assessments/", {**ASSESSMENT, "case": case.pk, **change})
    assert response.status_code == 400
    assert words in " ".join(response.json()[field])
    assert not Assessment.objects.exists()


def test_outsiders_neither_read_nor_write_our_assessments(case, village_director, outsider, city_official, carer):
    a = services.assessment_create(by=village_director, case_id=case.pk, data=services.AssessmentInput(
        assessed_on=D(2025, 3, 1), grade="normal", risk_level="low", assessors=["甲", "乙", "丙"]))
    for user in (outsider, city_official, carer):
        assert get(user, f"/api/assessments/{a.pk}/").status_code == 404
        assert get(user, "/api/assessments/").json()["results"] == []
        assert post(user, f"/api/assessments/{a.pk}/submit/").status_code == 404
    assert post(outsider, "/api/assessments/", {**ASSESSMENT, "case": case.pk}).status_code == 403
    assert post(city_official, "/api/assessments/", {**ASSESSMENT, "case": case.pk}).status_code == 403
    assert Assessment.objects.count() == 1 and Assessment.objects.get().status == "draft"


# ==========================================================================================
# case-plans
# ==========================================================================================


def test_a_plan_is_written_with_its_measures_submitted_and_approved(case, village_director, county_official):
    created = post(village_director, "/api/case-plans/", {"case": case.pk, "measures": MEASURES, "review_on": "2025-09-01"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["version"], body["status"], body["review_on"]) == (1, "draft", "2025-09-01")
    assert [{k: m[k] for k in ("domain", "action", "responsible", "due_on", "status")} for m in body["measures"]] == [
        {**MEASURES[0], "status": "planned"}, MEASURES[1]
    ]
    assert all(isinstance(m["id"], int) for m in body["measures"])
    assert post(village_director, f"/api/case-plans/{body['id']}/submit/").json()["status"] == "submitted"
    approved = post(county_official, f"/api/case-plans/{body['id']}/approve/")
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")
    second = post(village_director, "/api/case-plans/", {"case": case.pk, "measures": MEASURES[:1]})
    assert second.json()["version"] == 2
    assert second.json()["review_on"] == "2025-09-03"  # six months on by default


def test_nobody_approves_their_own_plan(case, county_official):
    plan = services.plan_create(by=county_official, case_id=case.pk, measures=MEASURES)
    services.plan_submit(by=county_official, plan_id=plan.pk)
    response = post(county_official, f"/api/case-plans/{plan.pk}/approve/")
    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.status == "submitted"


def test_a_plan_is_returned_with_a_comment(case, village_director, county_official):
    plan = services.plan_create(by=village_director, case_id=case.pk, measures=MEASURES)
    services.plan_submit(by=village_director, plan_id=plan.pk)
    returned = post(county_official, f"/api/case-plans/{plan.pk}/return/", {"comment": "措施要写明时间"})
    assert (returned.status_code, returned.json()["status"]) == (200, "returned")


@pytest.mark.parametrize(
    ("measures", "words"),
    [
        ([], "at least one measure"),
        (None, "at least one measure"),
        ([{"domain": "safety", "action": "x", "responsible": "y"}], "Measure 1: give the due date"),
        ([MEASURES[0], {"domain": "health", "action": "", "responsible": "y", "due_on": "2025-04-01"}], "Measure 2"),
    ],
)
def test_it_refuses_a_plan_without_measures_or_with_an_incomplete_one(case, village_director, measures, words):
    data = {"case": case.pk} if measures is None else {"case": case.pk, "measures": measures}
    response = post(village_director, "/api/case-plans/", data)
    assert response.status_code == 400
    assert words in " ".join(response.json()["measures"])
    assert not CasePlan.objects.exists() and not PlanMeasure.objects.exists()


def test_outsiders_neither_read_nor_write_our_plans(case, village_director, outsider, neighbour_director, city_official):
    plan = services.plan_create(by=village_director, case_id=case.pk, measures=MEASURES)
    for user in (outsider, neighbour_director, city_official):
        assert get(user, f"/api/case-plans/{plan.pk}/").status_code == 404
        assert get(user, "/api/case-plans/").json()["results"] == []
        assert post(user, f"/api/case-plans/{plan.pk}/submit/").status_code == 404
        assert post(user, "/api/case-plans/", {"case": case.pk, "measures": MEASURES}).status_code == 403
    assert CasePlan.objects.count() == 1


# ==========================================================================================
# referrals
# ==========================================================================================


def test_an_institution_accepts_a_referral_then_reads_the_case_and_completes_it(case, village_director, carer, home):
    sent = post(village_director, "/api/referrals/", {"case": case.pk, "to_institution": home.pk, "service": "临时照料",
                                                      "consent": "祖母同意"})
    assert sent.status_code == 201, sent.content
    rid = sent.json()["id"]
    assert (sent.json()["status"], sent.json()["to_institution"]) == ("sent", home.pk)
    assert get(carer, f"/api/cases/{case.pk}/").status_code == 404  # not before it accepts
    assert [r["id"] for r in get(carer, "/api/referrals/").json()["results"]] == [rid]
    accepted = post(carer, f"/api/referrals/{rid}/accept/")
    assert (accepted.status_code, accepted.json()["status"]) == (200, "accepted")
    assert get(carer, f"/api/cases/{case.pk}/").status_code == 200
    assert get(carer, "/api/assessments/").json()["results"] == []  # the case, not its assessments
    assert post(carer, f"/api/cases/{case.pk}/notes/", {"text": "x"}).status_code == 403
    completed = post(carer, f"/api/referrals/{rid}/complete/")
    assert (completed.status_code, completed.json()["status"]) == (200, "completed")


def test_another_institution_neither_sees_nor_answers_a_referral(case, county_official, home, other_carer):
    referral = services.referral_send(by=county_official, case_id=case.pk, service="临时照料", to_institution=home)
    assert get(other_carer, f"/api/referrals/{referral.pk}/").status_code == 404
    assert get(other_carer, "/api/referrals/").json()["results"] == []
    for action in ("accept", "decline", "complete"):
        assert post(other_carer, f"/api/referrals/{referral.pk}/{action}/", {"reason": "x"}).status_code == 404
    referral.refresh_from_db()
    assert referral.status == "sent"


def test_a_referral_is_declined_with_a_reason_only(case, county_official, carer, home):
    referral = services.referral_send(by=county_official, case_id=case.pk, service="临时照料", to_institution=home)
    bare = post(carer, f"/api/referrals/{referral.pk}/decline/", {})
    assert bare.status_code == 400
    assert "reason" in bare.json()
    declined = post(carer, f"/api/referrals/{referral.pk}/decline/", {"reason": "床位已满"})
    assert (declined.status_code, declined.json()["status"], declined.json()["reason"]) == (200, "declined", "床位已满")


def test_the_case_team_records_an_outside_agencys_answer(case, village_director, county_official):
    referral = services.referral_send(by=county_official, case_id=case.pk, service="法律援助", to_agency="县法律援助中心")
    response = post(village_director, f"/api/referrals/{referral.pk}/accept/")
    assert (response.status_code, response.json()["status"]) == (200, "accepted")
    assert post(village_director, f"/api/referrals/{referral.pk}/accept/").status_code == 400  # already answered


def test_it_refuses_a_referral_to_an_institution_outside_the_province(case, village_director, far_province):
    far = InstitutionFactory(name="外省福利院", region=far_province)
    response = post(village_director, "/api/referrals/", {"case": case.pk, "to_institution": far.pk, "service": "安置"})
    assert response.status_code == 400
    assert "province" in " ".join(response.json()["to_institution"])
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"service": "安置"}, "to_agency"),  # no recipient
        ({"service": "安置", "to_agency": "县公安局", "to_institution": "HOME"}, "to_agency"),  # two
        ({"to_agency": "县公安局"}, "service"),
        ({"service": "安置", "to_institution": 999999}, "to_institution"),
    ],
)
def test_it_refuses_a_referral_without_one_recipient_or_a_service(case, village_director, home, data, field):
    data = {k: (home.pk if v == "HOME" else v) for k, v in data.items()}
    response = post(village_director, "/api/referrals/", {"case": case.pk, **data})
    assert response.status_code == 400
    assert field in response.json()
    assert not Referral.objects.exists()


def test_an_outsider_neither_reads_nor_sends_our_referrals(case, county_official, outsider, city_official):
    referral = services.referral_send(by=county_official, case_id=case.pk, service="心理辅导", to_agency="县妇联")
    for user in (outsider, city_official):
        assert get(user, f"/api/referrals/{referral.pk}/").status_code == 404
        assert post(user, f"/api/referrals/{referral.pk}/accept/").status_code == 404
        assert post(user, "/api/referrals/", {"case": case.pk, "to_agency": "x", "service": "x"}).status_code == 403
    assert Referral.objects.count() == 1


# ==========================================================================================
# follow-ups
# ==========================================================================================


def test_a_follow_up_is_recorded_and_the_next_one_scheduled(case, village_director):
    before = get(village_director, f"/api/follow-ups/?case={case.pk}").json()["results"]
    assert [(r["due_on"], r["done_on"]) for r in before] == [("2025-04-03", None)]  # scheduled when the case opened
    response = post(village_director, "/api/follow-ups/", {"case": case.pk, "done_on": "2025-03-03", "notes": "入户看望"})
    assert response.status_code == 201, response.content
    assert (response.json()["id"], response.json()["done_on"], response.json()["notes"], response.json()["done_by"]) == (
        before[0]["id"], "2025-03-03", "入户看望", village_director.pk
    )
    case.refresh_from_db()
    assert case.next_follow_up_due == D(2025, 4, 3)  # medium risk: monthly
    rows = get(village_director, f"/api/follow-ups/?case={case.pk}").json()["results"]
    assert [(r["due_on"], r["done_on"]) for r in rows] == [("2025-04-03", None), ("2025-04-03", "2025-03-03")]
    assert [r["done_on"] for r in get(village_director, "/api/follow-ups/?done=false").json()["results"]] == [None]
    assert [r["done_on"] for r in get(village_director, "/api/follow-ups/?done=true").json()["results"]] == ["2025-03-03"]


def test_it_refuses_a_follow_up_before_the_case_opened(case, village_director):
    response = post(village_director, "/api/follow-ups/", {"case": case.pk, "done_on": "2025-03-02"})
    assert response.status_code == 400
    assert "before the case opened" in " ".join(response.json()["done_on"])
    assert not FollowUp.objects.filter(done_on__isnull=False).exists()


def test_it_refuses_a_follow_up_in_the_future_and_saves_nothing(case, village_director):
    response = post(village_director, "/api/follow-ups/", {"case": case.pk, "done_on": "2025-03-04"})
    assert response.status_code == 400
    assert "future" in " ".join(response.json()["done_on"])
    assert not FollowUp.objects.filter(done_on__isnull=False).exists()


def test_an_outsider_neither_reads_nor_records_our_follow_ups(case, outsider, neighbour_director, carer):
    follow_up = FollowUp.objects.get(case=case)
    for user in (outsider, neighbour_director, carer):
        assert get(user, f"/api/follow-ups/{follow_up.pk}/").status_code == 404
        assert get(user, "/api/follow-ups/").json()["results"] == []
        assert post(user, "/api/follow-ups/", {"case": case.pk, "done_on": "2025-03-02"}).status_code == 403
    assert not FollowUp.objects.filter(done_on__isnull=False).exists()


# ==========================================================================================
# the dashboard's figures
# ==========================================================================================


def test_the_dashboard_summary_counts_open_cases_by_risk_and_overdue_reports(
    county_official, city_official, regions, child, outsider, other_child
):
    services.case_open(by=county_official, child=child, risk_level="high")
    services.case_open(by=county_official, child=ChildFactory(region=regions.village_c), risk_level="low")
    services.case_open(by=outsider, child=other_child, risk_level="low")
    file_report(county_official, regions.village, received_at=at(D(2025, 2, 1)))  # past its deadline
    file_report(county_official, regions.village)
    ours = get(county_official, f"/api/dashboard/summary/?region={regions.county.code}").json()
    assert ours["open_cases_by_risk"] == {"low": 1, "medium": 0, "high": 1}
    assert ours["case_reports_overdue"] == 1
    city = get(city_official, f"/api/dashboard/summary/?region={regions.city.code}").json()
    assert city["open_cases_by_risk"] == {"low": 2, "medium": 0, "high": 1}


# ==========================================================================================
# the schema
# ==========================================================================================

DESIGN_FIELDS = {
    "/api/case-reports/": {"id", "source", "reporter_type", "reporter_name", "reporter_phone", "child", "child_name",
                           "region", "concern", "urgency", "description", "police_notified_at", "received_at",
                           "respond_by", "status", "reason", "case"},
    "/api/cases/": {"id", "child", "status", "risk_level", "opened_on", "opened_from", "caseworker", "closed_on",
                    "closure_reason", "next_follow_up_due", "follow_up_state"},
    "/api/assessments/": {"id", "case", "assessed_on", "grade", "risk_level", "assessors", "needs", "status"},
    "/api/case-plans/": {"id", "case", "version", "measures", "review_on", "status"},
    "/api/referrals/": {"id", "case", "to_institution", "to_agency", "service", "status", "reason"},
    "/api/follow-ups/": {"id", "case", "due_on", "done_on", "notes"},
}
DESIGN_PATHS = [
    *((p, "get") for p in DESIGN_FIELDS),
    *((p, "post") for p in DESIGN_FIELDS),
    *((f"/api/case-reports/{{id}}/{a}/", "post") for a in ("screen_in", "screen_out", "callback", "reveal_reporter")),
    *((f"/api/cases/{{id}}/{a}/", "post") for a in ("close", "reopen", "assign", "notes")),
    *((f"/api/{r}/{{id}}/{a}/", "post") for r in ("assessments", "case-plans") for a in ("submit", "approve", "return")),
    *((f"/api/referrals/{{id}}/{a}/", "post") for a in ("accept", "decline", "complete")),
    ("/api/cases/{id}/", "get"),
]


@functools.cache
def generated_schema() -> dict:
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


@pytest.mark.parametrize(("path", "method"), DESIGN_PATHS, ids=[f"{m} {p}" for p, m in DESIGN_PATHS])
def test_the_schema_has_every_casework_path(path, method):
    assert method in generated_schema()["paths"].get(path, {}), f"{method.upper()} {path} is missing"


@pytest.mark.parametrize("path", list(DESIGN_FIELDS))
def test_the_schema_has_every_casework_field(path):
    schema = generated_schema()
    page = _resolve(schema, schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"])
    item = _resolve(schema, page["properties"]["results"]["items"])
    assert not DESIGN_FIELDS[path] - set(item["properties"])


def test_the_schema_documents_the_dashboards_casework_figures():
    schema = generated_schema()
    operation = schema["paths"]["/api/dashboard/summary/"]["get"]
    body = _resolve(schema, operation["responses"]["200"]["content"]["application/json"]["schema"])
    assert {"open_cases_by_risk", "case_reports_overdue"} <= set(body["properties"])


def test_a_placement_is_not_needed_for_an_institution_to_read_an_accepted_case(case, county_official, carer, home):
    """Institution staff read the cases they accepted, whether or not the child is placed with them."""
    referral = services.referral_send(by=county_official, case_id=case.pk, service="心理辅导", to_institution=home)
    services.referral_answer(by=carer, referral_id=referral.pk, outcome="accept")
    assert not Placement.objects.exists()
    assert [r["id"] for r in get(carer, "/api/cases/").json()["results"]] == [case.pk]
