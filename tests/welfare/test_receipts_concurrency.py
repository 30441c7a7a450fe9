"""Two requests with the same client_uuid at the same moment (a phone that sends again while the
first send is still on its way): the second waits on the receipt's unique index until the first
commits, then answers the first one's result. Real PostgreSQL, committed rows, two connections."""

import datetime
import threading
import uuid

import psycopg
import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

import cases.checks.api
from cases.checks.models import Check
from tests.concurrency import database_url, waiting_on_lock
from tests.factories import ChildFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks on PostgreSQL"),
]


def test_two_sends_of_the_same_label_at_once_record_one_check(village_director, regions, monkeypatch):
    child = ChildFactory(region=regions.village)
    label = str(uuid.uuid4())
    in_view, go = threading.Event(), threading.Event()
    real_record = cases.checks.api.check_record

    def slow_record(**kwargs):
        in_view.set()
        assert go.wait(30)
        return real_record(**kwargs)

    monkeypatch.setattr(cases.checks.api, "check_record", slow_record)
    answers: dict[str, object] = {}

    def send(name: str) -> None:
        try:
            client = APIClient()
            client.force_login(village_director)
            body = {"child": child.id, "checked_on": datetime.date.today().isoformat(), "client_uuid": label}
            answers[name] = client.post("/api/checks/", body, format="json")
        finally:
            connections.close_all()

    first = threading.Thread(target=send, args=("first",))
    first.start()
    assert in_view.wait(30)  # the first request holds its uncommitted receipt
    second = threading.Thread(target=send, args=("second",))
    second.start()
    with psycopg.connect(database_url()) as watcher:
        waiting_on_lock(watcher, 1)  # the second request waits on the first one's receipt
    go.set()
    first.join(30)
    second.join(30)

    a, b = answers["first"], answers["second"]
    assert a.status_code == 201, a.content
    assert b.status_code == 201 and b["Client-UUID-Replayed"] == "true"
    assert a.json()["id"] == b.json()["id"]
    assert Check.objects.filter(child=child).count() == 1
