"""The daily casework job (cases/protection/notifications.py): overdue follow-ups, measures past due
of the plan in force, plans past their reassessment date and reports past their deadline are told
to the caseworker, the township supervisor and the county officials, once per item and state."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.protection.models import Case, CaseReport, FollowUp
from cases.protection.notifications import casework_flag_overdue
from cases.protection.services import (
    AssessmentInput,
    ReportInput,
    assessment_create,
    assessment_decide,
    assessment_submit,
    case_close,
    case_open,
    plan_create,
    plan_decide,
    plan_submit,
    report_file,
    report_screen_out,
)
from cases.protection.tasks import casework_flag_overdue_task
from tests.factories import ChildFactory, UserFactory
from welfare.models import AuditLog, Notification
from welfare.roles import Role

pytestmark = pytest.mark.django_db
D = datetime.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
START = D(2025, 3, 3)  # a Monday


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def clock(time_machine):
    """`clock(day)` moves the frozen clock to 10:00 in Shanghai on that day; it starts on START."""

    def move(day: datetime.date) -> datetime.date:
        time_machine.move_to(at(day), tick=False)
        return day

    move(START)
    return move


@pytest.fixture
def people(regions, village_director, township_supervisor, county_official, outsider):
    """The team of a child of village A, and people who must hear nothing: the supervisor of the
    other township, a second village's director, the neighbouring county's official."""
    return type(
        "People",
        (),
        dict(
            worker=village_director,
            supervisor=township_supervisor,
            county=county_official,
            county_2=UserFactory(username="county_2", role=Role.COUNTY_OFFICIAL, region=regions.county),
            supervisor_2=UserFactory(username="supervisor_2", role=Role.TOWNSHIP_SUPERVISOR, region=regions.township_2),
            director_b=UserFactory(username="director_b", role=Role.VILLAGE_DIRECTOR, region=regions.village_b),
            outsider=outsider,
        ),
    )


def open_case(people, child, *, risk_level="medium") -> Case:
    return case_open(by=people.county, child=child, risk_level=risk_level, caseworker_id=people.worker.pk)


def approved_plan(people, case, *, measures, review_on=None):
    plan = plan_create(by=people.worker, case_id=case.pk, measures=measures, review_on=review_on)
    plan_submit(by=people.worker, plan_id=plan.pk)
    return plan_decide(by=people.county, plan_id=plan.pk, approve=True)


def measure(due_on: datetime.date, *, status="planned") -> dict:
    return {"domain": "safety", "action": "每周入户走访", "responsible": "村儿童主任", "due_on": due_on, "status": status}


def file_report(people, regions, child=None):
    data = ReportInput(
        source=CaseReport.Source.MANDATORY_REPORT,
        region=regions.village,
        concern=CaseReport.Concern.NEGLECT,
        description="孩子长期独自在家",
        reporter_type=CaseReport.ReporterType.SCHOOL,
        child=child,
        child_name="" if child else "不知名儿童",
    )
    return report_file(by=people.worker, data=data)


def told(user, kind: str | None = None) -> list[Notification]:
    qs = Notification.objects.filter(recipient=user, kind="casework")
    return list(qs.filter(dedupe_key__startswith=f"casework:{kind}:") if kind else qs)


def team_and_bystanders(people):
    return [people.worker, people.supervisor, people.county, people.county_2], [
        people.supervisor_2,
        people.director_b,
        people.outsider,
    ]


def test_it_tells_the_team_once_about_an_overdue_follow_up(people, child, clock):
    case = open_case(people, child)  # medium risk: the first follow-up is due a month on
    assert FollowUp.objects.get(case=case).due_on == D(2025, 4, 3)
    assert casework_flag_overdue(today=clock(D(2025, 4, 3))).follow_ups == 0  # due today is not late
    result = casework_flag_overdue(today=clock(D(2025, 4, 4)))
    assert (result.follow_ups, result.measures, result.plans, result.reports) == (1, 0, 0, 0)
    team, bystanders = team_and_bystanders(people)
    for user in team:
        [note] = told(user, "follow_up")
        assert str(case.pk) in note.link and "2025-04-03" in note.body
    for user in bystanders:
        assert told(user) == []
    assert result.notifications == 4
    assert AuditLog.objects.filter(action="casework.notifications_sent", record_count=4).count() == 1


def test_it_writes_to_each_recipient_in_their_language(people, child, clock):
    people.worker.language = "en"
    people.worker.save()
    open_case(people, child)
    casework_flag_overdue(today=clock(D(2025, 4, 4)))
    assert [n.title for n in told(people.worker)] == ["Case follow-up overdue"]
    assert [n.title for n in told(people.supervisor)] == ["个案回访已逾期"]


def test_it_tells_the_team_about_a_measure_past_due_of_the_approved_plan(people, child, clock):
    case = open_case(people, child, risk_level="low")
    plan = approved_plan(people, case, measures=[measure(D(2025, 3, 20)), measure(D(2025, 3, 20), status="done"), measure(D(2025, 5, 1))])
    result = casework_flag_overdue(today=clock(D(2025, 3, 21)))
    assert (result.follow_ups, result.measures, result.plans) == (0, 1, 0)
    team, bystanders = team_and_bystanders(people)
    for user in team:
        [note] = told(user, "measure")
        assert str(case.pk) in note.link and "2025-03-20" in note.body
    assert all(told(user) == [] for user in bystanders)
    assert plan.version == 1


def test_it_reads_measures_of_the_latest_approved_plan_only(people, child, regions, clock):
    superseded_case = open_case(people, child, risk_level="low")
    approved_plan(people, superseded_case, measures=[measure(D(2025, 3, 10))])
    approved_plan(people, superseded_case, measures=[measure(D(2025, 6, 1))])  # v2 in force: v1's late measure no longer counts
    in_review = open_case(people, ChildFactory(region=regions.village), risk_level="low")
    approved_plan(people, in_review, measures=[measure(D(2025, 3, 10))])
    v2 = plan_create(by=people.worker, case_id=in_review.pk, measures=[measure(D(2025, 6, 1))])
    plan_submit(by=people.worker, plan_id=v2.pk)  # not approved yet: v1 is still the plan in force
    unapproved = open_case(people, ChildFactory(region=regions.village), risk_level="low")
    plan_create(by=people.worker, case_id=unapproved.pk, measures=[measure(D(2025, 3, 10))])  # a draft binds nobody
    result = casework_flag_overdue(today=clock(D(2025, 3, 21)))
    assert result.measures == 1
    [note] = told(people.worker, "measure")
    assert str(in_review.pk) in note.link


def test_it_tells_the_team_when_the_plan_in_force_is_due_for_reassessment(people, child, regions, clock):
    case = open_case(people, child, risk_level="low")
    approved_plan(people, case, measures=[measure(D(2025, 9, 1))], review_on=D(2025, 4, 1))
    renewed = open_case(people, ChildFactory(region=regions.village), risk_level="low")
    approved_plan(people, renewed, measures=[measure(D(2025, 9, 1))], review_on=D(2025, 4, 1))
    approved_plan(people, renewed, measures=[measure(D(2025, 9, 1))], review_on=D(2025, 9, 1))  # reassessed: a new version
    assert casework_flag_overdue(today=clock(D(2025, 4, 1))).plans == 0
    result = casework_flag_overdue(today=clock(D(2025, 4, 2)))
    assert (result.follow_ups, result.measures, result.plans) == (0, 0, 1)
    team, bystanders = team_and_bystanders(people)
    for user in team:
        [note] = told(user, "plan")
        assert str(case.pk) in note.link and "2025-04-01" in note.body
    assert all(told(user) == [] for user in bystanders)


def test_it_tells_the_township_and_the_county_about_a_report_past_its_deadline(people, child, regions, clock):
    report = file_report(people, regions, child)
    screened = file_report(people, regions)
    report_screen_out(by=people.county, report_id=screened.pk, reason="已由派出所处置")
    assert report.respond_by == at(D(2025, 3, 17), 23).replace(minute=59, second=59)  # 10 working days
    assert casework_flag_overdue(today=clock(D(2025, 3, 17))).reports == 0
    result = casework_flag_overdue(today=clock(D(2025, 3, 18)))
    assert (result.follow_ups, result.measures, result.plans, result.reports) == (0, 0, 0, 1)
    for user in (people.supervisor, people.county, people.county_2):
        [note] = told(user, "report")
        assert note.link.startswith("/cases/protection/")
    # The report is nobody's case yet: the director who filed it is not told, nor anyone outside.
    for user in (people.worker, people.supervisor_2, people.director_b, people.outsider):
        assert told(user) == []


def test_running_it_again_the_same_day_or_the_next_adds_nothing(people, child, regions, clock):
    case = open_case(people, child)
    approved_plan(people, case, measures=[measure(D(2025, 3, 20))], review_on=D(2025, 4, 1))
    file_report(people, regions, child)
    first = casework_flag_overdue(today=clock(D(2025, 4, 10)))
    assert (first.follow_ups, first.measures, first.plans, first.reports) == (1, 1, 1, 1)
    count = Notification.objects.count()
    assert first.notifications == count == 4 + 4 + 4 + 3
    again = casework_flag_overdue(today=D(2025, 4, 10))
    next_day = casework_flag_overdue(today=clock(D(2025, 4, 11)))
    assert (again.follow_ups, again.notifications, next_day.follow_ups, next_day.notifications) == (1, 0, 1, 0)
    assert Notification.objects.count() == count
    assert AuditLog.objects.filter(action="casework.notifications_sent").count() == 1


def test_it_tells_the_team_again_when_the_due_date_has_changed(people, child, clock):
    case = open_case(people, child)  # follow-up due 2025-04-03
    casework_flag_overdue(today=clock(D(2025, 4, 10)))
    assert len(told(people.worker, "follow_up")) == 1
    # The approved assessment raises the risk: the same pending follow-up is now due in 2 weeks.
    assessment = assessment_create(
        by=people.worker,
        case_id=case.pk,
        data=AssessmentInput(assessed_on=D(2025, 4, 10), grade="improper", risk_level="high", assessors=["甲", "乙", "丙"]),
    )
    assessment_submit(by=people.worker, assessment_id=assessment.pk)
    assessment_decide(by=people.county, assessment_id=assessment.pk, approve=True)
    [pending] = FollowUp.objects.filter(case=case, done_on__isnull=True)
    assert pending.due_on == D(2025, 4, 24)
    assert casework_flag_overdue(today=D(2025, 4, 10)).notifications == 0  # not late any more
    result = casework_flag_overdue(today=clock(D(2025, 4, 25)))
    assert (result.follow_ups, result.notifications) == (1, 4)
    notes = told(people.worker, "follow_up")
    assert sorted(n.body for n in notes) == ["2025-04-03", "2025-04-24"]


def test_it_flags_nothing_of_a_closed_case(people, child, clock):
    case = open_case(people, child)
    approved_plan(people, case, measures=[measure(D(2025, 3, 20))], review_on=D(2025, 4, 1))
    case_close(by=people.county, case_id=case.pk, closure_reason=Case.ClosureReason.RISK_RESOLVED)
    result = casework_flag_overdue(today=clock(D(2025, 4, 10)))
    assert (result.follow_ups, result.measures, result.plans, result.reports, result.notifications) == (0, 0, 0, 0, 0)
    assert not Notification.objects.exists()


def _build(people, regions, clock, n: int) -> None:
    """`n` open cases, each with a late follow-up, a late measure and a plan past its review date,
    and `n` reports past their deadline — all late on 2025-04-10."""
    clock(START)
    for _i in range(n):
        child = ChildFactory(region=regions.village)
        case = open_case(people, child)
        approved_plan(people, case, measures=[measure(D(2025, 3, 20))], review_on=D(2025, 4, 1))
        file_report(people, regions, child)
    clock(D(2025, 4, 10))


def test_its_queries_do_not_grow_with_the_number_of_items(people, regions, clock, django_assert_num_queries):
    _build(people, regions, clock, 3)
    with CaptureQueriesContext(connection) as three:
        result = casework_flag_overdue(today=D(2025, 4, 10))
    assert (result.follow_ups, result.measures, result.plans, result.reports) == (3, 3, 3, 3)
    _build(people, regions, clock, 27)
    with django_assert_num_queries(len(three.captured_queries)):
        result = casework_flag_overdue(today=D(2025, 4, 10))
    assert (result.follow_ups, result.measures, result.plans, result.reports) == (30, 30, 30, 30)
    assert result.notifications == 27 * (4 + 4 + 4 + 3)


def test_the_celery_task_runs_the_job_and_returns_its_counts(people, child, regions, clock):
    case = open_case(people, child)
    approved_plan(people, case, measures=[measure(D(2025, 3, 20))], review_on=D(2025, 4, 1))
    file_report(people, regions, child)
    clock(D(2025, 4, 10))
    counts = casework_flag_overdue_task.apply(kwargs={"today": "2025-04-10"}).get()
    assert counts == {"follow_ups": 1, "measures": 1, "plans": 1, "reports": 1, "notifications": 15}
    assert Notification.objects.filter(kind="casework").count() == 15
    assert casework_flag_overdue_task.apply().get()["notifications"] == 0  # today by default: told already


def test_the_beat_schedule_runs_the_task_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["casework-flag-overdue"]
    assert entry["task"] == casework_flag_overdue_task.name
