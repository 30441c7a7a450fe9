"""The case worklist API's read path (cases/protection/listing.py, selectors.case_worklist_rows):
the same rows as the serializer, pages cached under the scope's data versions and retired by
every write of a case or of its child, a director's page their own."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from cases.protection import services
from cases.protection.api import CaseSerializer
from cases.protection.models import Case
from cases.protection.selectors import case_worklist_rows
from tests.factories import ChildFactory, UserFactory
from welfare.roles import Role

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2025, 3, 3)


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(datetime.datetime(2025, 3, 3, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)  # no token query: what is counted is the list's own
    return client


def worklist(user, query: str = "") -> dict:
    response = client_for(user).get(f"/api/cases/{query}")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def cases(regions, county_official, village_director, child):
    """An open high-risk case with a caseworker, an open low-risk one without, a closed one."""
    high = services.case_open(by=county_official, child=child, risk_level="high", caseworker_id=village_director.pk)
    low = services.case_open(by=county_official, child=ChildFactory(region=regions.village_c, name="王小丽"), risk_level="low")
    gone = services.case_open(by=county_official, child=ChildFactory(region=regions.village_b, name="赵小军"))
    services.case_close(by=county_official, case_id=gone.pk, closure_reason="moved_away", note="随父母迁往外省")
    return type("Cases", (), dict(high=high, low=low, gone=gone))


def test_its_rows_are_what_the_case_serializer_shows(cases):
    ids = [cases.low.pk, cases.gone.pk, cases.high.pk]
    instances = {c.pk: c for c in Case.objects.select_related("child").filter(pk__in=ids)}
    expected = CaseSerializer([instances[i] for i in ids], many=True, context={"today": TODAY}).data
    assert case_worklist_rows(ids, today=TODAY) == [dict(row) for row in expected]
    assert case_worklist_rows([], today=TODAY) == []


def test_the_worklist_lists_open_cases_the_most_pressing_first(cases, county_official):
    page = worklist(county_official)
    assert page["count"] == 2
    assert [(r["id"], r["child_name"], r["follow_up_state"]) for r in page["results"]] == [
        (cases.high.pk, "张小明", "due_soon"),  # due on 17 March, within CHECK_DUE_SOON_DAYS
        (cases.low.pk, "王小丽", "ok"),  # due on 3 June
    ]
    closed = worklist(county_official, "?status=closed")["results"]
    assert [(r["id"], r["closure_reason"], r["follow_up_state"]) for r in closed] == [(cases.gone.pk, "moved_away", None)]


def test_a_page_read_again_costs_no_query_and_another_page_one(regions, county_official, django_assert_num_queries):
    kids = ChildFactory.create_batch(51, region=regions.village)
    Case.objects.bulk_create(Case(child=k, opened_on=TODAY, next_follow_up_due=TODAY) for k in kids)
    with django_assert_num_queries(2):  # the list's ids, the page's rows
        first = worklist(county_official)
    assert (first["count"], len(first["results"])) == (51, 50)
    with django_assert_num_queries(0):
        assert worklist(county_official) == first
    with django_assert_num_queries(1):  # the ids are known: the page's rows
        second = worklist(county_official, "?page=2")
    assert [r["id"] for r in second["results"]] == [max(r["id"] for r in [*first["results"], *second["results"]])]


def test_every_write_of_a_case_or_of_its_child_retires_the_cached_pages(cases, regions, county_official, village_director):
    def rows():
        return [(r["id"], r["child_name"], r["risk_level"], r["next_follow_up_due"]) for r in worklist(county_official)["results"]]

    assert rows() == [(cases.high.pk, "张小明", "high", "2025-03-17"), (cases.low.pk, "王小丽", "low", "2025-06-03")]
    services.follow_up_record(by=village_director, case_id=cases.high.pk, done_on=TODAY)  # no change of due date
    services.case_assign(by=county_official, case_id=cases.low.pk, caseworker_id=county_official.pk)
    assert worklist(county_official)["results"][1]["caseworker"] == county_official.pk
    child = cases.low.child
    child.name = "王小莉"
    child.save()
    assert rows()[1][1] == "王小莉"
    services.case_close(by=county_official, case_id=cases.high.pk, closure_reason="risk_resolved")
    assert rows() == [(cases.low.pk, "王小莉", "low", "2025-06-03")]
    services.case_reopen(by=county_official, case_id=cases.gone.pk, reason="返乡")
    assert [r[0] for r in rows()] == [cases.gone.pk, cases.low.pk]  # due on 3 April
    child.region = regions.other_village
    child.save()  # the child moved county: the case goes with them
    assert [r[0] for r in rows()] == [cases.gone.pk]


def test_a_directors_worklist_is_their_own(regions, county_official, village_director, child):
    colleague = UserFactory(username="colleague", role=Role.VILLAGE_DIRECTOR, region=regions.village)
    mine = services.case_open(by=county_official, child=child, caseworker_id=village_director.pk)
    theirs = services.case_open(by=county_official, child=ChildFactory(region=regions.village), caseworker_id=colleague.pk)
    assert [r["id"] for r in worklist(village_director)["results"]] == [mine.pk]
    assert [r["id"] for r in worklist(colleague)["results"]] == [theirs.pk]
    assert [r["id"] for r in worklist(village_director)["results"]] == [mine.pk]


def test_the_supervisor_sees_the_township_and_the_outsider_nothing(cases, township_supervisor, outsider, city_official):
    assert [r["id"] for r in worklist(township_supervisor)["results"]] == [cases.high.pk]  # 王小丽 lives in township 2
    assert worklist(outsider) == {"count": 0, "next": None, "previous": None, "results": []}
    assert worklist(city_official)["count"] == 0  # the city reads no case content


def test_a_page_past_the_end_is_not_found(cases, county_official):
    response = client_for(county_official).get("/api/cases/?page=9")
    assert response.status_code == 404
    assert client_for(county_official).get("/api/cases/?risk_level=extreme").status_code == 400
