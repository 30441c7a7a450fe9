import datetime
import json

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from cases.checks.services import checks_flag_overdue
from cases.checks.tasks import checks_flag_overdue_task
from cases.children.models import CategoryMembership, Child
from tests.factories import CheckFactory, UserFactory
from welfare.models import Notification
from welfare.roles import Role

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def people(regions, village_director, township_supervisor, county_official, outsider, outsider_director):
    b_director = UserFactory(username="b_director", role=Role.VILLAGE_DIRECTOR, region=regions.village_b)
    c_director = UserFactory(username="c_director", role=Role.VILLAGE_DIRECTOR, region=regions.village_c)
    c_supervisor = UserFactory(username="c_supervisor", role=Role.TOWNSHIP_SUPERVISOR, region=regions.township_2)
    return type("People", (), dict(a=village_director, b=b_director, c=c_director, sup=township_supervisor, sup2=c_supervisor,
                                   county=county_official, outsider=outsider, outsider_director=outsider_director))


@pytest.fixture
def flagged(regions, left_behind, today):
    """Village A: one overdue, one due soon, one ok. Village B: one ok. Other county: one overdue."""
    return type("Flagged", (), dict(
        late=left_behind(regions.village, name="KID-LATE", next_check_due=D(2025, 2, 20)),
        soon=left_behind(regions.village, name="KID-SOON", next_check_due=D(2025, 3, 10)),
        fine=left_behind(regions.village, name="KID-FINE", next_check_due=D(2025, 5, 1)),
        b_fine=left_behind(regions.village_b, name="KID-B", next_check_due=D(2025, 5, 1)),
        far=left_behind(regions.other_village, name="KID-FAR", next_check_due=D(2025, 1, 1)),
    ))


def states():
    return dict(Child.objects.values_list("name", "check_state"))


def test_it_flags_overdue_and_due_soon_children_set_wise(flagged, today):
    result = checks_flag_overdue(today=today, notify=False)
    assert states() == {"KID-LATE": "overdue", "KID-SOON": "due_soon", "KID-FINE": "ok", "KID-B": "ok", "KID-FAR": "overdue"}
    assert (result.overdue, result.due_soon, result.changed) == (2, 1, 5)


def test_it_changes_nothing_when_run_twice_the_same_day(flagged, people, today):
    first = checks_flag_overdue(today=today)
    count = Notification.objects.count()
    second = checks_flag_overdue(today=today)
    assert first.changed == 5 and second.changed == 0
    assert Notification.objects.count() == count > 0


def test_it_notifies_again_on_the_next_day(flagged, people, today):
    checks_flag_overdue(today=today)
    checks_flag_overdue(today=today + datetime.timedelta(days=1))
    assert Notification.objects.filter(recipient=people.a).count() == 2


def test_it_tells_each_director_once_about_their_own_children_only(flagged, people, today):
    checks_flag_overdue(today=today)
    [note] = Notification.objects.filter(recipient=people.a)
    assert note.kind == "checks.director"
    assert "KID-LATE" in note.body and "KID-SOON" in note.body
    assert "KID-FINE" not in note.body and "KID-FAR" not in note.body and "KID-B" not in note.body
    assert note.link == "/cases/checks/"
    [far] = Notification.objects.filter(recipient=people.outsider_director)
    assert "KID-FAR" in far.body and "KID-LATE" not in far.body


def test_it_tells_the_township_supervisor_a_summary_and_nobody_else(flagged, people, today):
    checks_flag_overdue(today=today)
    [summary] = Notification.objects.filter(recipient=people.sup)
    assert summary.kind == "checks.supervisor"
    assert "东村社区" in summary.body and "KID-LATE" not in summary.body
    assert "1" in summary.title
    # Nothing flagged in village B or township 2; county officials and outsiders get no summary.
    for nobody in (people.b, people.c, people.sup2, people.county, people.outsider):
        assert not Notification.objects.filter(recipient=nobody).exists()


def test_it_writes_to_each_user_in_their_language(flagged, people, today):
    people.a.language = "en"
    people.a.save()
    checks_flag_overdue(today=today)
    note = Notification.objects.get(recipient=people.a)
    assert note.title.startswith("Checks in 东村社区: 1 overdue, 1 due soon")


def test_it_emails_when_configured_and_only_once(flagged, people, today, settings):
    settings.EMAIL_ENABLED = True
    people.a.email = "a@example.org"
    people.a.save()
    result = checks_flag_overdue(today=today)
    assert result.emails == 1
    assert [m.to for m in mail.outbox] == [["a@example.org"]]
    checks_flag_overdue(today=today)
    assert len(mail.outbox) == 1


def test_it_sends_no_email_unless_configured(flagged, people, today, settings):
    settings.EMAIL_ENABLED = False
    people.a.email = "a@example.org"
    people.a.save()
    checks_flag_overdue(today=today)
    assert mail.outbox == []


def test_it_takes_a_child_off_the_list_when_left_behind_ends(regions, left_behind, today):
    child = left_behind(regions.village, next_check_due=D(2025, 2, 20), check_state="overdue")
    CategoryMembership.objects.filter(child=child).update(end_date=D(2025, 2, 25), end_reason="父亲返乡")
    result = checks_flag_overdue(today=today)
    child.refresh_from_db()
    assert (child.next_check_due, child.check_state) == (None, None)
    assert result.untracked == 1


def test_it_ends_left_behind_at_sixteen_with_the_reason(regions, left_behind, today):
    child = left_behind(regions.village, birth_date=D(2009, 2, 28), next_check_due=D(2025, 4, 1), check_state="ok")
    young = left_behind(regions.village, birth_date=D(2009, 3, 2), next_check_due=D(2025, 4, 1), check_state="ok")
    result = checks_flag_overdue(today=today)
    child.refresh_from_db()
    young.refresh_from_db()
    membership = CategoryMembership.objects.get(child=child)
    assert (membership.end_date, membership.end_reason) == (D(2025, 2, 27), "Turned 16")
    assert (child.next_check_due, child.check_state) == (None, None)
    assert young.next_check_due == D(2025, 4, 1)
    assert result.aged_out == 1
    assert membership.history.count() == 2


def test_it_puts_a_newly_left_behind_child_on_the_list_from_their_last_check(regions, left_behind, today):
    child = left_behind(regions.village, registered_on=D(2024, 6, 1), start=D(2024, 10, 1))
    CheckFactory(child=child, checked_on=D(2024, 12, 31))
    checks_flag_overdue(today=today)
    child.refresh_from_db()
    assert (child.next_check_due, child.check_state) == (D(2025, 3, 31), "ok")


def test_the_command_runs_the_job_for_a_given_day(flagged, people, capsys):
    call_command("flag_overdue_checks", "--today", "2025-03-01")
    out = json.loads(capsys.readouterr().out)
    assert (out["today"], out["overdue"], out["due_soon"]) == ("2025-03-01", 2, 1)
    assert out["director_notifications"] == 2 and out["supervisor_notifications"] == 1


def test_the_command_refuses_a_bad_date(db):
    with pytest.raises(CommandError):
        call_command("flag_overdue_checks", "--today", "2025-02-30")


def test_the_celery_task_runs_the_same_job(flagged, people, today):
    result = checks_flag_overdue_task.apply(kwargs={"today": "2025-03-01"}).get()
    assert result["overdue"] == 2
    assert Notification.objects.filter(recipient=people.a).count() == 1


def test_the_beat_schedule_runs_the_task_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["flag-overdue-checks"]
    assert entry["task"] == checks_flag_overdue_task.name


def test_the_sql_and_python_village_lists_agree(flagged, today):
    from cases.checks.selectors import _village_flags_python, _village_flags_sql
    from cases.checks.services import checks_states_update

    checks_states_update(today=today)
    soon = today + datetime.timedelta(days=14)
    by_sql = sorted(_village_flags_sql(today=today, soon=soon), key=lambda v: v.village_id)
    by_python = sorted(_village_flags_python(today=today, soon=soon), key=lambda v: v.village_id)
    assert by_sql == by_python
    assert [(v.code, v.overdue, v.due_soon) for v in by_sql] == [("370402001001", 1, 1), ("370403001001", 1, 0)]
    assert by_sql[0].overdue_lines == "KID-LATE · 2025-02-20"


def test_a_director_hears_how_many_more_there_are_beyond_the_list(regions, people, left_behind, today, settings):
    from welfare.notifications import NOTIFICATION_LIST_LIMIT

    for n in range(NOTIFICATION_LIST_LIMIT + 3):
        left_behind(regions.village, name=f"KID-{n:02d}", next_check_due=D(2025, 2, 1))
    checks_flag_overdue(today=today)
    note = Notification.objects.get(recipient=people.a)
    assert note.body.count("KID-") == NOTIFICATION_LIST_LIMIT
    assert "3" in note.body.splitlines()[-1]
