"""Issue 19: a check sent twice (a double tap, a retried request) is recorded once. The same
child, date and kind recorded by the same user within CHECK_REPEAT_WINDOW_MINUTES answers the
first check (200, not a new 201), also when the requests arrive at the same moment."""

import datetime
import threading

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from cases.checks.models import Check
from cases.checks.services import CheckInput, check_record
from tests.cases.checks.conftest import at
from tests.factories import UserFactory
from welfare.roles import Role

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def our_child(regions, left_behind, today):
    return left_behind(regions.village, next_check_due=D(2025, 2, 1), check_state="overdue")


def post(api_client, user, **data):
    api_client.force_authenticate(user)
    payload = {"checked_on": "2025-02-28", "kind": "routine", **data}
    return api_client.post("/api/checks/", payload, format="json", HTTP_ACCEPT_LANGUAGE="en")


def test_it_answers_ten_identical_requests_with_the_first_check(api_client, village_director, our_child):
    first = post(api_client, village_director, child=our_child.id)
    assert first.status_code == 201
    answers = [post(api_client, village_director, child=our_child.id) for _ in range(9)]
    assert {a.status_code for a in answers} == {200}
    assert {a.json()["id"] for a in answers} == {first.json()["id"]}
    assert Check.objects.count() == 1


def test_it_records_another_kind_another_date_or_another_user(api_client, village_director, township_supervisor, our_child):
    assert post(api_client, village_director, child=our_child.id).status_code == 201
    assert post(api_client, village_director, child=our_child.id, kind="safety").status_code == 201
    assert post(api_client, village_director, child=our_child.id, checked_on="2025-02-27").status_code == 201
    assert post(api_client, township_supervisor, child=our_child.id).status_code == 201
    assert Check.objects.count() == 4


def test_it_records_the_same_check_again_after_the_window(api_client, village_director, our_child, time_machine, settings):
    settings.CHECK_REPEAT_WINDOW_MINUTES = 10
    assert post(api_client, village_director, child=our_child.id).status_code == 201
    time_machine.move_to(at(D(2025, 3, 1), hour=10) + datetime.timedelta(minutes=11), tick=False)
    assert post(api_client, village_director, child=our_child.id).status_code == 201
    assert Check.objects.count() == 2


def test_the_service_answers_the_first_check_and_says_so(village_director, our_child):
    first = check_record(by=village_director, child=our_child, data=CheckInput(checked_on=D(2025, 2, 28)))
    again = check_record(by=village_director, child=our_child, data=CheckInput(checked_on=D(2025, 2, 28), notes="again"))
    assert (again.id, again.is_repeat, first.is_repeat) == (first.id, True, False)
    assert Check.objects.get().notes == ""


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks of PostgreSQL")
def test_it_records_one_check_for_ten_requests_at_the_same_moment(regions, left_behind, today):
    child = left_behind(regions.village, next_check_due=D(2025, 2, 1), check_state="overdue")
    director = UserFactory(username="director", role=Role.VILLAGE_DIRECTOR, region=regions.village)
    start = threading.Barrier(10)
    answers: list = []

    def send():
        try:
            client = APIClient()
            start.wait(timeout=20)
            answers.append(post(client, director, child=child.id).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answers) == [200] * 9 + [201]
    assert Check.objects.filter(child=child).count() == 1
