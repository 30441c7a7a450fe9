"""The rules of protection casework (cases/protection/services.py) that hold whatever the caller:
deadlines, the police first, screening, one open case per child, approvals by someone else,
frozen plans, referrals, closing and reopening, follow-up intervals, hotline tickets, dates.
Every refusal leaves the database as it was."""

import datetime
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction

from cases.children.models import Child
from cases.protection.models import (
    Assessment,
    Case,
    CaseNote,
    CasePlan,
    CaseReport,
    FollowUp,
    PlanMeasure,
    Referral,
)
from cases.protection.services import (
    AssessmentInput,
    ReportInput,
    assessment_create,
    assessment_decide,
    assessment_submit,
    case_close,
    case_open,
    case_reopen,
    follow_up_record,
    plan_create,
    plan_decide,
    plan_submit,
    referral_answer,
    referral_send,
    report_file,
    report_screen_in,
    report_screen_out,
    respond_by_for,
)
from tests.concurrency import at_the_same_moment
from tests.factories import ChildFactory, InstitutionFactory, RegionFactory, UserFactory
from welfare.errors import ApplicationError, PermissionDeniedError
from welfare.models import AuditLog, Region
from welfare.roles import Role

pytestmark = pytest.mark.django_db
D = datetime.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = D(2025, 3, 3)  # a Monday


def at(day: datetime.date, hour: int = 10, minute: int = 0, second: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def frozen(request):
    """The clock stands at 10:00 on TODAY in Shanghai (the tests with threads on PostgreSQL keep
    the real clock: they wait for real locks)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return None
    request.getfixturevalue("time_machine").move_to(at(TODAY), tick=False)
    return TODAY


@pytest.fixture
def county_2(regions):
    """A second county official of the same county: approves what the first submitted."""
    return UserFactory(username="county_2", role=Role.COUNTY_OFFICIAL, region=regions.county)


def snapshot() -> dict:
    """Everything a refused call could have changed."""
    return {
        "reports": list(CaseReport.objects.order_by("id").values_list("id", "status", "case_id", "child_id", "reason")),
        "cases": list(
            Case.objects.order_by("id").values_list(
                "id", "status", "risk_level", "caseworker_id", "closed_on", "closure_reason", "closure_note", "next_follow_up_due"
            )
        ),
        "assessments": list(Assessment.objects.order_by("id").values_list("id", "status", "submitted_by_id", "decided_by_id")),
        "plans": list(CasePlan.objects.order_by("id").values_list("id", "version", "status", "review_on", "decided_by_id")),
        "measures": list(PlanMeasure.objects.order_by("id").values_list("id", "plan_id", "status", "due_on", "action")),
        "referrals": list(Referral.objects.order_by("id").values_list("id", "status", "answered_by_id", "reason")),
        "follow_ups": list(FollowUp.objects.order_by("id").values_list("id", "due_on", "done_on")),
        "notes": CaseNote.objects.count(),
        "children": Child.objects.count(),
        "audit": AuditLog.objects.count(),
    }


@contextmanager
def refused(error=ApplicationError, field: str | None = None):
    """The call inside is refused with `error` (naming `field`), and nothing has changed."""
    before = snapshot()
    with pytest.raises(error) as info:
        yield info
    if field is not None:
        assert field in info.value.field_errors, info.value.field_errors
    assert snapshot() == before


def report_data(region, **overrides) -> ReportInput:
    values = dict(
        source=CaseReport.Source.MANDATORY_REPORT,
        region=region,
        concern=CaseReport.Concern.NEGLECT,
        description="孩子长期独自在家，无人照料",
        reporter_type=CaseReport.ReporterType.SCHOOL,
        reporter_name="王老师",
        reporter_phone="13800000000",
        child_name="张小明",
    )
    values.update(overrides)
    return ReportInput(**values)


def a_case(county_official, child, *, risk_level="medium", caseworker=None) -> Case:
    return case_open(by=county_official, child=child, risk_level=risk_level, caseworker_id=caseworker.pk if caseworker else None)


LATER = D(2025, 5, 1)


def measure(due_on=LATER, **overrides) -> dict:
    return {"domain": "safety", "action": "每周入户走访", "responsible": "村儿童主任", "due_on": due_on, **overrides}


def assessment_data(**overrides) -> AssessmentInput:
    values = dict(assessed_on=TODAY, grade="improper", risk_level="high", assessors=["甲", "乙", "丙"], needs={"safety": "夜间无人看护"})
    values.update(overrides)
    return AssessmentInput(**values)


# --- reports: deadlines and the police ----------------------------------------------------------


def test_an_immediate_report_must_be_answered_within_24_hours():
    assert respond_by_for(urgency="immediate", received_at=at(D(2025, 9, 30), 22, 15)) == at(D(2025, 10, 1), 22, 15)


def test_an_urgent_report_has_three_chinese_working_days():
    # National Day: 1–8 October 2025 are holidays, Saturday 11 October is a working day.
    assert respond_by_for(urgency="urgent", received_at=at(D(2025, 9, 30))) == at(D(2025, 10, 11), 23, 59, 59)


def test_a_normal_report_has_ten_chinese_working_days():
    # Spring Festival: 28 January – 4 February 2025 off, Sunday 26 January and Saturday 8 February worked.
    assert respond_by_for(urgency="normal", received_at=at(D(2025, 1, 24))) == at(D(2025, 2, 13), 23, 59, 59)


def test_a_filed_report_carries_its_deadline_and_goes_to_the_county_of_the_place(regions, village_director):
    report = report_file(by=village_director, data=report_data(regions.village, urgency="urgent"))
    assert report.respond_by == at(D(2025, 3, 6), 23, 59, 59)
    assert (report.county, report.status, report.received_at) == (regions.county, "received", at(TODAY))


@pytest.mark.parametrize(
    ("concern", "serious"),
    [("sexual_abuse", False), ("trafficking", False), ("abandonment", False), ("injury", True)],
)
def test_some_concerns_are_told_to_the_police_first(regions, village_director, concern, serious):
    with refused(field="police_notified_at"):
        report_file(by=village_director, data=report_data(regions.village, concern=concern, serious=serious))
    told = at(TODAY, 8)
    report = report_file(by=village_director, data=report_data(regions.village, concern=concern, serious=serious, police_notified_at=told))
    assert report.police_notified_at == told


def test_a_minor_injury_needs_no_police(regions, village_director):
    report = report_file(by=village_director, data=report_data(regions.village, concern="injury", serious=False))
    assert report.police_notified_at is None


# --- screening ------------------------------------------------------------------------------------


def test_screening_in_opens_a_case_with_its_first_follow_up(regions, village_director, county_official, child):
    report = report_file(by=village_director, data=report_data(regions.village, child=child))
    report = report_screen_in(by=county_official, report_id=report.pk, risk_level="high", caseworker_id=village_director.pk)
    case = report.case
    assert (report.status, report.screened_by, case.child, case.status, case.opened_from) == (
        "screened_in", county_official, child, "open", "report",
    )
    assert (case.caseworker, case.risk_level, case.opened_on, case.next_follow_up_due) == (village_director, "high", TODAY, D(2025, 3, 17))
    assert list(FollowUp.objects.filter(case=case).values_list("due_on", "done_on")) == [(D(2025, 3, 17), None)]


def test_screening_in_a_second_report_of_the_child_joins_the_open_case(regions, village_director, county_official, child):
    first = report_file(by=village_director, data=report_data(regions.village, child=child))
    second = report_file(by=village_director, data=report_data(regions.village, child=child, concern="malnutrition"))
    case = report_screen_in(by=county_official, report_id=first.pk).case
    joined = report_screen_in(by=county_official, report_id=second.pk, risk_level="high")
    assert joined.case == case
    assert Case.objects.filter(child=child).count() == 1
    assert set(case.reports.values_list("id", flat=True)) == {first.pk, second.pk}
    assert FollowUp.objects.filter(case=case).count() == 1


def test_the_database_refuses_a_second_open_case_for_a_child(county_official, child):
    a_case(county_official, child)
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(child=child, opened_on=TODAY)
    assert Case.objects.filter(child=child).count() == 1
    with refused(field="child"):
        a_case(county_official, child)


def test_a_report_is_screened_only_once(regions, village_director, county_official, child):
    report = report_file(by=village_director, data=report_data(regions.village, child=child))
    report_screen_in(by=county_official, report_id=report.pk)
    with refused(field="status"):
        report_screen_in(by=county_official, report_id=report.pk)
    with refused(field="status"):
        report_screen_out(by=county_official, report_id=report.pk, reason="重复报告")
    out = report_file(by=village_director, data=report_data(regions.village))
    report_screen_out(by=county_official, report_id=out.pk, reason="已由派出所处置")
    with refused(field="status"):
        report_screen_in(by=county_official, report_id=out.pk, child=child)


def test_screening_out_needs_a_reason(regions, village_director, county_official):
    report = report_file(by=village_director, data=report_data(regions.village))
    with refused(field="reason"):
        report_screen_out(by=county_official, report_id=report.pk, reason="  ")
    report_screen_out(by=county_official, report_id=report.pk, reason="不属于本县")
    report.refresh_from_db()
    assert (report.status, report.reason) == ("screened_out", "不属于本县")


def test_only_the_county_the_report_went_to_screens_it(regions, village_director, township_supervisor, outsider, child):
    report = report_file(by=village_director, data=report_data(regions.village, child=child))
    for who in (outsider, township_supervisor, village_director):
        with refused(PermissionDeniedError):
            report_screen_in(by=who, report_id=report.pk)
        with refused(PermissionDeniedError):
            report_screen_out(by=who, report_id=report.pk, reason="不属于本县")


# --- approvals: never one's own ------------------------------------------------------------------


def test_nobody_approves_the_assessment_they_submitted(county_official, county_2, child):
    case = a_case(county_official, child)
    assessment = assessment_create(by=county_official, case_id=case.pk, data=assessment_data())
    assessment_submit(by=county_official, assessment_id=assessment.pk)
    with refused(PermissionDeniedError):
        assessment_decide(by=county_official, assessment_id=assessment.pk, approve=True)
    assessment_decide(by=county_2, assessment_id=assessment.pk, approve=True)
    assessment.refresh_from_db()
    case.refresh_from_db()
    assert (assessment.status, assessment.decided_by, case.risk_level) == ("approved", county_2, "high")


def test_nobody_approves_the_plan_they_submitted(county_official, county_2, child):
    case = a_case(county_official, child)
    plan = plan_create(by=county_official, case_id=case.pk, measures=[measure()])
    plan_submit(by=county_official, plan_id=plan.pk)
    with refused(PermissionDeniedError):
        plan_decide(by=county_official, plan_id=plan.pk, approve=True)
    assert plan_decide(by=county_2, plan_id=plan.pk, approve=True).status == "approved"


def test_an_approved_plan_is_frozen_and_a_change_is_a_new_version(village_director, county_official, child):
    case = a_case(county_official, child, caseworker=village_director)
    v1 = plan_create(by=village_director, case_id=case.pk, measures=[measure(action="每周入户走访")])
    plan_submit(by=village_director, plan_id=v1.pk)
    plan_decide(by=county_official, plan_id=v1.pk, approve=True)
    with refused(field="status"):
        plan_submit(by=village_director, plan_id=v1.pk)
    with refused(field="status"):
        plan_decide(by=county_official, plan_id=v1.pk, approve=False, comment="再改改")
    v2 = plan_create(by=village_director, case_id=case.pk, measures=[measure(action="联系学校心理老师")])
    assert (v2.version, v2.status) == (2, "draft")
    v1.refresh_from_db()
    assert (v1.status, list(v1.measures.values_list("action", flat=True))) == ("approved", ["每周入户走访"])


@pytest.mark.parametrize(
    "measures",
    [
        [],
        None,
        [measure(due_on=None)],
        [measure(due_on="2025-13-01")],
        [measure(), measure(due_on="")],
        [{"domain": "safety", "action": "每周入户走访", "responsible": "村儿童主任"}],
    ],
    ids=["no-measures", "none", "no-due-date", "bad-due-date", "second-without-due-date", "due-date-missing"],
)
def test_a_plan_needs_measures_each_with_a_due_date(county_official, child, measures):
    case = a_case(county_official, child)
    with refused(field="measures"):
        plan_create(by=county_official, case_id=case.pk, measures=measures)


# --- referrals ------------------------------------------------------------------------------------


@pytest.fixture
def far_institution(db):
    province = RegionFactory(code="410000", name="河南省", level=Region.Level.PROVINCE)
    city = RegionFactory(code="410100", name="郑州市", level=Region.Level.CITY, parent=province)
    county = RegionFactory(code="410102", name="中原区", level=Region.Level.COUNTY, parent=city)
    return InstitutionFactory(name="郑州儿童福利院", region=county)


def test_a_referral_to_an_institution_outside_the_province_is_refused(regions, county_official, child, far_institution):
    case = a_case(county_official, child)
    with refused(field="to_institution"):
        referral_send(by=county_official, case_id=case.pk, service="临时照料", to_institution=far_institution)
    near = InstitutionFactory(name="薛城区未成年人救助保护中心", region=regions.other_county)
    referral = referral_send(by=county_official, case_id=case.pk, service="临时照料", to_institution=near)
    assert (referral.status, referral.to_institution) == ("sent", near)


def test_institution_staff_answer_only_referrals_to_their_institution(regions, county_official, child):
    home = InstitutionFactory(name="市中区儿童福利院", region=regions.county)
    other = InstitutionFactory(name="薛城区救助站", region=regions.other_county)
    staff = UserFactory(username="home_staff", role=Role.INSTITUTION_STAFF, region=None, institution=home)
    stranger = UserFactory(username="other_staff", role=Role.INSTITUTION_STAFF, region=None, institution=other)
    case = a_case(county_official, child)
    to_home = referral_send(by=county_official, case_id=case.pk, service="临时照料", to_institution=home)
    to_school = referral_send(by=county_official, case_id=case.pk, service="复学", to_agency="市中区实验小学")
    with refused(PermissionDeniedError):
        referral_answer(by=stranger, referral_id=to_home.pk, outcome="accept")
    with refused(PermissionDeniedError):
        referral_answer(by=staff, referral_id=to_school.pk, outcome="accept")
    with refused(PermissionDeniedError):
        referral_answer(by=county_official, referral_id=to_home.pk, outcome="accept")  # the institution answers, not the county
    with refused(field="reason"):
        referral_answer(by=staff, referral_id=to_home.pk, outcome="decline")
    assert referral_answer(by=staff, referral_id=to_home.pk, outcome="accept").status == "accepted"
    assert referral_answer(by=county_official, referral_id=to_school.pk, outcome="accept").status == "accepted"


# --- closing and reopening ----------------------------------------------------------------------


def test_closing_with_a_live_referral_needs_a_note(county_official, child):
    case = a_case(county_official, child)
    referral_send(by=county_official, case_id=case.pk, service="心理疏导", to_agency="县妇联")
    with refused(field="closure_note"):
        case_close(by=county_official, case_id=case.pk, closure_reason="risk_resolved")
    closed = case_close(by=county_official, case_id=case.pk, closure_reason="moved_away", note="随父母迁往外省，转介由迁入地接续")
    assert (closed.status, closed.closed_on, closed.closure_reason) == ("closed", TODAY, "moved_away")


def test_reopening_keeps_the_history_of_the_case(village_director, county_official, child):
    case = a_case(county_official, child, caseworker=village_director)
    assessment = assessment_create(by=village_director, case_id=case.pk, data=assessment_data())
    case_close(by=county_official, case_id=case.pk, closure_reason="risk_resolved")
    reopened = case_reopen(by=county_official, case_id=case.pk, reason="监护人再次外出务工")
    assert (reopened.pk, reopened.status, reopened.closed_on, reopened.next_follow_up_due) == (case.pk, "open", None, D(2025, 4, 3))
    assert (reopened.closure_reason, reopened.closure_note) == ("", "")  # the closure stays in the history
    assert list(reopened.assessments.all()) == [assessment]
    assert reopened.history.filter(status="closed", closure_reason="risk_resolved").exists()
    assert CaseNote.objects.filter(case=case, text__contains="监护人再次外出务工").exists()
    assert Case.objects.filter(child=child).count() == 1


def test_reopening_is_refused_while_the_child_has_another_open_case(county_official, child):
    old = a_case(county_official, child)
    case_close(by=county_official, case_id=old.pk, closure_reason="risk_resolved")
    a_case(county_official, child)
    with refused(field="status"):
        case_reopen(by=county_official, case_id=old.pk, reason="重新评估")
    with refused(field="reason"):
        case_reopen(by=county_official, case_id=old.pk, reason=" ")


# --- follow-ups ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("risk_level", "due"), [("high", D(2025, 3, 17)), ("medium", D(2025, 4, 3)), ("low", D(2025, 6, 3))])
def test_follow_ups_are_scheduled_by_risk_level(county_official, village_director, child, risk_level, due):
    case = a_case(county_official, child, risk_level=risk_level, caseworker=village_director)
    assert case.next_follow_up_due == due
    done = follow_up_record(by=village_director, case_id=case.pk, done_on=TODAY, notes="入户走访，情况稳定")
    assert (done.done_on, done.done_by) == (TODAY, village_director)
    assert FollowUp.objects.get(case=case, done_on__isnull=True).due_on == due


def test_follow_up_intervals_come_from_the_settings(county_official, child, settings):
    settings.CASE_FOLLOW_UP_HIGH_DAYS = 7
    settings.CASE_FOLLOW_UP_MEDIUM_MONTHS = 2
    assert a_case(county_official, child, risk_level="high").next_follow_up_due == D(2025, 3, 10)
    other = ChildFactory(region=child.region)
    assert a_case(county_official, other, risk_level="medium").next_follow_up_due == D(2025, 5, 3)


def test_a_follow_up_schedules_the_next_from_the_day_it_was_done(county_official, village_director, child, time_machine):
    case = a_case(county_official, child, risk_level="high", caseworker=village_director)  # due 17 March
    time_machine.move_to(at(D(2025, 3, 20)), tick=False)
    follow_up_record(by=village_director, case_id=case.pk, done_on=D(2025, 3, 19))
    case.refresh_from_db()
    assert case.next_follow_up_due == D(2025, 4, 2)
    assert list(FollowUp.objects.filter(case=case).order_by("id").values_list("due_on", "done_on")) == [
        (D(2025, 3, 17), D(2025, 3, 19)),
        (D(2025, 4, 2), None),
    ]


# --- hotline tickets -----------------------------------------------------------------------------


def test_only_the_city_records_a_hotline_ticket(regions, village_director, county_official):
    for who in (village_director, county_official):
        with refused(field="source"):
            report_file(by=who, data=report_data(regions.county, source="hotline", reporter_type="anonymous", reporter_name=""))


def test_the_city_assigns_a_hotline_ticket_only_to_its_own_counties(regions, city_official):
    other_city = RegionFactory(code="370500", name="东营市", level=Region.Level.CITY, parent=regions.province)
    elsewhere = RegionFactory(code="370502", name="东营区", level=Region.Level.COUNTY, parent=other_city)
    with refused(field="region"):
        report_file(by=city_official, data=report_data(elsewhere, source="hotline", reporter_type="anonymous", reporter_name=""))
    ticket = report_file(by=city_official, data=report_data(regions.other_county, source="hotline", reporter_type="anonymous", reporter_name=""))
    assert (ticket.source, ticket.county) == ("hotline", regions.other_county)


# --- dates in the future -------------------------------------------------------------------------


def test_dates_in_the_future_are_refused(regions, village_director, county_official, child):
    tomorrow = at(TODAY + datetime.timedelta(days=1))
    with refused(field="received_at"):
        report_file(by=village_director, data=report_data(regions.village, received_at=tomorrow))
    with refused(field="police_notified_at"):
        report_file(by=village_director, data=report_data(regions.village, concern="sexual_abuse", police_notified_at=tomorrow))
    case = a_case(county_official, child, caseworker=village_director)
    with refused(field="assessed_on"):
        assessment_create(by=village_director, case_id=case.pk, data=assessment_data(assessed_on=TODAY + datetime.timedelta(days=1)))
    with refused(field="done_on"):
        follow_up_record(by=village_director, case_id=case.pk, done_on=TODAY + datetime.timedelta(days=1))


# --- two screenings at the same moment, on PostgreSQL ---------------------------------------------
# The case table is held until both screenings wait on a lock (the first on the table, the other
# on it or on the report the first holds); then they race.

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks on PostgreSQL")


@pytest.mark.django_db(transaction=True)
@on_postgresql
def test_two_county_officials_screening_one_report_at_once_open_one_case(regions, village_director, county_official, county_2, child):
    report = report_file(by=village_director, data=report_data(regions.village, child=child))
    results = at_the_same_moment(
        {
            "a": lambda: report_screen_in(by=county_official, report_id=report.pk),
            "b": lambda: report_screen_in(by=county_2, report_id=report.pk, risk_level="high"),
        },
        hold="cases_case",
    )
    screened = [r for r in results.values() if isinstance(r, CaseReport)]
    refusals = [r for r in results.values() if isinstance(r, ApplicationError)]
    assert len(screened) == 1 and len(refusals) == 1, results
    assert "status" in refusals[0].field_errors
    [case] = Case.objects.filter(child=child)
    report.refresh_from_db()
    assert (report.status, report.case, report.screened_by_id) == ("screened_in", case, screened[0].screened_by_id)
    assert FollowUp.objects.filter(case=case).count() == 1
    assert AuditLog.objects.filter(action="case_report.screened_in").count() == 1


@pytest.mark.django_db(transaction=True)
@on_postgresql
def test_two_reports_of_one_child_screened_in_at_once_open_one_case(regions, village_director, county_official, county_2, child):
    first = report_file(by=village_director, data=report_data(regions.village, child=child))
    second = report_file(by=village_director, data=report_data(regions.village, child=child, concern="malnutrition"))
    results = at_the_same_moment(
        {
            "a": lambda: report_screen_in(by=county_official, report_id=first.pk),
            "b": lambda: report_screen_in(by=county_2, report_id=second.pk),
        },
        hold="cases_case",
    )
    assert all(isinstance(r, CaseReport) for r in results.values()), results
    [case] = Case.objects.filter(child=child)
    assert set(CaseReport.objects.values_list("status", "case_id")) == {("screened_in", case.pk)}
    assert FollowUp.objects.filter(case=case).count() == 1
    assert AuditLog.objects.filter(action="case.opened").count() == 1
