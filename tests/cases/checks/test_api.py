import datetime

import pytest

from cases.checks.models import Check
from tests.factories import CheckFactory, UserFactory
from welfare.roles import Role

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def our_child(regions, left_behind, today):
    return left_behind(regions.village, next_check_due=D(2025, 2, 1), check_state="overdue")


def post(api_client, user, **data):
    api_client.force_authenticate(user)
    return api_client.post("/api/checks/", data, format="json", HTTP_ACCEPT_LANGUAGE="en")


def test_it_records_a_check_and_answers_with_the_check(api_client, village_director, our_child):
    response = post(api_client, village_director, child=our_child.id, checked_on="2025-02-28", kind="safety", risk_level="high",
                    notes="河边玩耍", father_away=True, father_work_place="广州")
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("child", "checked_on", "kind", "risk_level", "notes")} == {
        "child": our_child.id, "checked_on": "2025-02-28", "kind": "safety", "risk_level": "high", "notes": "河边玩耍"
    }
    assert body["checked_by"] == "director"
    our_child.refresh_from_db()
    assert (our_child.next_check_due, our_child.check_state) == (D(2025, 5, 28), "ok")


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"checked_on": "2025-03-02"}, "checked_on", "future"),
        ({"checked_on": "2010-01-01"}, "checked_on", "birth"),
        ({"checked_on": "yesterday"}, "checked_on", "format"),
        ({"kind": "party"}, "kind", "valid choice"),
        ({"child": 999999}, "child", "no such child"),
    ],
)
def test_it_answers_bad_input_with_a_clear_400_and_saves_nothing(api_client, village_director, our_child, data, field, words):
    payload = {"child": our_child.id, "checked_on": "2025-02-28", **data}
    response = post(api_client, village_director, **payload)
    assert response.status_code == 400
    assert words in str(response.json()[field]).lower()
    assert not Check.objects.exists()


def test_it_refuses_a_checker_outside_the_childs_region(api_client, township_supervisor, regions, our_child):
    neighbour = UserFactory(username="b_director", role=Role.VILLAGE_DIRECTOR, region=regions.village_b)
    response = post(api_client, township_supervisor, child=our_child.id, checked_on="2025-02-28", checked_by=neighbour.id)
    assert response.status_code == 400
    assert "checked_by" in response.json()
    assert not Check.objects.exists()


def test_it_answers_403_for_a_child_outside_the_callers_scope(api_client, outsider_director, our_child):
    response = post(api_client, outsider_director, child=our_child.id, checked_on="2025-02-28")
    assert response.status_code == 403
    assert not Check.objects.exists()


def test_it_lists_only_checks_in_the_callers_scope(api_client, village_director, outsider, county_official, regions, our_child, left_behind):
    ours = CheckFactory(child=our_child, checked_on=D(2025, 1, 5))
    theirs = CheckFactory(child=left_behind(regions.other_village), checked_on=D(2025, 1, 6))
    for user, expected in ((village_director, [ours.id]), (county_official, [ours.id]), (outsider, [theirs.id])):
        api_client.force_authenticate(user)
        body = api_client.get("/api/checks/").json()
        assert [r["id"] for r in body["results"]] == expected
        assert set(body) >= {"count", "next", "previous", "results"}
    api_client.force_authenticate(outsider)
    assert api_client.get(f"/api/checks/{ours.id}/").status_code == 404


def test_it_filters_checks_by_child_and_date(api_client, village_director, our_child):
    CheckFactory(child=our_child, checked_on=D(2024, 10, 5))
    recent = CheckFactory(child=our_child, checked_on=D(2025, 1, 5))
    api_client.force_authenticate(village_director)
    body = api_client.get(f"/api/checks/?child={our_child.id}&checked_after=2025-01-01").json()
    assert [r["id"] for r in body["results"]] == [recent.id]


def test_it_lists_checks_in_a_constant_number_of_queries(api_client, village_director, our_child, django_assert_max_num_queries):
    for n in range(5):
        CheckFactory(child=our_child, checked_on=D(2025, 1, 1 + n), checked_by=village_director)
    api_client.force_authenticate(village_director)
    with django_assert_max_num_queries(4):
        assert api_client.get("/api/checks/").status_code == 200


def test_it_refuses_an_anonymous_caller(api_client, our_child):
    assert api_client.get("/api/checks/").status_code in (401, 403)
