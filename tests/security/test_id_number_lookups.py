"""Lookups by identity number are not an oracle (issue 19, item 4).

Any path that takes a full identity number — registering or changing a child, filing an
application by number, searching — answers about a child outside the caller's area with the
county at most: never the village, never whether the child receives an allowance. Every such
lookup of a child outside one's area is in the access log, lookups are limited per user
(ID_LOOKUP_RATE, 429 past it), and a full number is searched by POST, never in a URL.
"""

import datetime
import json
import logging

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from cases.applications.models import Application
from cases.children.models import Child
from cases.roster.services import roster_import
from tests.benefits.helpers import enrolled_child
from tests.cases.children.test_views import registration
from tests.cases.roster.test_services import row, xlsx
from tests.factories import ChildFactory, UserFactory, id_number_for
from welfare.idnumber import mask_id_number
from welfare.models import AuditLog
from welfare.roles import Role

pytestmark = pytest.mark.django_db

# The other county's names below the county: never in an answer to someone outside it.
OTHER_VILLAGE, OTHER_TOWNSHIP, OTHER_COUNTY = "北村社区", "临城街道", "薛城区"
A_WORKING_DAY = datetime.datetime(2025, 6, 16, 10, 0)


def text_of(response) -> str:
    if response["Content-Type"].startswith("application/json"):
        return json.dumps(response.json(), ensure_ascii=False)
    return response.content.decode()


def api(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def new_child(regions, **extra) -> dict:
    return {"name": "王小花", "region": regions.village.code, **extra}


def application(number: str, regions, category: str = "orphan_scattered") -> dict:
    return {"child_id_number": number, "category": category, "received_region": regions.township.code}


def lookups() -> list[AuditLog]:
    return list(AuditLog.objects.filter(action="id_number.looked_up").order_by("id"))


# --- answers name the county at most ------------------------------------------------------------


def test_a_number_recorded_in_another_county_is_answered_with_that_county_and_no_village(
    api_client, village_director, other_child, regions
):
    client = api(api_client, village_director)
    english = client.post("/api/children/", new_child(regions, id_number=other_child.id_number), format="json", HTTP_ACCEPT_LANGUAGE="en")
    chinese = client.post("/api/children/", new_child(regions, id_number=other_child.id_number), format="json")
    for response in (english, chinese):
        assert response.status_code == 400
        text = text_of(response)
        assert OTHER_COUNTY in text
        assert OTHER_VILLAGE not in text and OTHER_TOWNSHIP not in text
    assert "another area" in text_of(english)
    assert Child.objects.count() == 1


def test_a_number_recorded_in_ones_own_area_is_still_answered_with_the_village(api_client, village_director, child, regions):
    response = api(api_client, village_director).post(
        "/api/children/", new_child(regions, id_number=child.id_number), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "东村社区" in text_of(response)


def test_changing_a_childs_number_to_one_recorded_elsewhere_names_only_the_county(
    api_client, village_director, child, other_child
):
    response = api(api_client, village_director).patch(
        f"/api/children/{child.id}/", {"id_number": other_child.id_number}, format="json"
    )
    assert response.status_code == 400
    text = text_of(response)
    assert OTHER_COUNTY in text and OTHER_VILLAGE not in text and OTHER_TOWNSHIP not in text
    child.refresh_from_db()
    assert child.id_number != other_child.id_number


def test_the_registration_page_names_only_the_county_of_a_number_recorded_elsewhere(
    client, village_director, other_child, regions
):
    client.force_login(village_director)
    response = client.post(reverse("cases:child_register"), registration(regions, id_number=other_child.id_number))
    html = response.content.decode()
    assert OTHER_COUNTY in html
    assert OTHER_VILLAGE not in html and OTHER_TOWNSHIP not in html
    assert Child.objects.count() == 1
    assert [log.target_id for log in lookups()] == [str(other_child.id)]


def test_the_roster_import_names_only_the_county_of_a_number_recorded_elsewhere(county_official, child, other_child):
    report = roster_import(
        by=county_official, file=xlsx([row(id_number=other_child.id_number), row(id_number=child.id_number)]), commit=False
    )
    messages = [error.message for error in report.row_errors]
    elsewhere, own = (next(str(m) for m in messages if mask_id_number(c.id_number) in str(m)) for c in (other_child, child))
    assert OTHER_COUNTY in elsewhere
    assert OTHER_VILLAGE not in elsewhere and OTHER_TOWNSHIP not in elsewhere
    assert "东村社区" in own  # in one's own county the village helps find the record
    assert [log.target_id for log in lookups()] == [str(other_child.id)]


@time_machine.travel(A_WORKING_DAY, tick=False)
def test_an_application_by_number_for_a_child_elsewhere_answers_alike_whether_or_not_the_child_receives_an_allowance(
    api_client, village_director, regions
):
    receiving, _enrollment = enrolled_child(regions.other_village, regions.other_county)
    not_receiving = ChildFactory(region=regions.other_village, birth_date=datetime.date(2016, 5, 1))
    client = api(api_client, village_director)
    answers = [client.post("/api/applications/", application(c.id_number, regions), format="json") for c in (receiving, not_receiving)]
    assert [a.status_code for a in answers] == [201, 201], [text_of(a) for a in answers]
    bodies = [a.json() for a in answers]
    assert {k: v for k, v in bodies[0].items() if k != "id"} == {k: v for k, v in bodies[1].items() if k != "id"}
    for body in bodies:
        assert body["county"] == regions.other_county.code  # the county that decides: the only thing named
        assert body["child"] is None  # no internal id of a child outside one's area
        text = json.dumps(body, ensure_ascii=False)
        assert OTHER_VILLAGE not in text and regions.other_village.code not in text and regions.other_township.code not in text
    # Both are filed: the deciding county sees the allowance it pays and decides.
    assert Application.objects.filter(county=regions.other_county).count() == 2


@time_machine.travel(A_WORKING_DAY, tick=False)
def test_an_application_by_number_within_ones_area_still_says_the_child_already_receives_an_allowance(
    api_client, village_director, regions
):
    receiving, _enrollment = enrolled_child(regions.village, regions.county)
    response = api(api_client, village_director).post(
        "/api/applications/", application(receiving.id_number, regions), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "already receives an allowance" in text_of(response)


# --- the access log -------------------------------------------------------------------------------


@time_machine.travel(A_WORKING_DAY, tick=False)
def test_every_lookup_of_a_child_outside_ones_area_writes_an_access_log_row(
    api_client, village_director, child, other_child, regions
):
    client = api(api_client, village_director)
    client.post("/api/children/", new_child(regions, id_number=other_child.id_number), format="json", REMOTE_ADDR="10.9.8.7")
    client.post("/api/children/search/", {"q": other_child.id_number}, format="json")
    client.post("/api/applications/", application(other_child.id_number, regions), format="json")
    rows = lookups()
    assert len(rows) == 3
    assert {(r.actor_id, r.target_type, r.target_id) for r in rows} == {(village_director.id, "cases.child", str(other_child.id))}
    assert rows[0].ip_address == "10.9.8.7"
    assert [r.detail["purpose"] for r in rows] == ["child_register", "child_search", "application"]
    for r in rows:
        assert other_child.id_number not in json.dumps(r.detail) + r.target_repr
    # A lookup of a child in one's own area is not a lookup outside it.
    client.post("/api/children/search/", {"q": child.id_number}, format="json")
    assert len(lookups()) == 3


# --- the rate -------------------------------------------------------------------------------------


@time_machine.travel(A_WORKING_DAY, tick=False)
def test_the_31st_lookup_by_number_in_an_hour_answers_429_on_every_path(api_client, village_director, child, regions):
    client = api(api_client, village_director)
    for _ in range(30):
        assert client.post("/api/children/search/", {"q": child.id_number}, format="json").status_code == 200
    refused = client.post("/api/children/search/", {"q": child.id_number}, format="json")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "身份证号" in refused.json()["detail"]
    english = client.post("/api/children/search/", {"q": child.id_number}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 429
    assert english.json()["detail"].startswith("Too many lookups by identity number")
    assert client.post("/api/applications/", application(child.id_number, regions), format="json").status_code == 429
    assert client.post("/api/children/", new_child(regions, id_number=child.id_number), format="json").status_code == 429
    assert not Application.objects.exists()
    # Names and last digits are not lookups by number; another user has their own count.
    assert client.get("/api/children/", {"q": child.id_number[-4:]}).status_code == 200
    other = UserFactory(username="director2", role=Role.VILLAGE_DIRECTOR, region=regions.village)
    assert api(api_client, other).post("/api/children/search/", {"q": child.id_number}, format="json").status_code == 200
    with time_machine.travel(A_WORKING_DAY + datetime.timedelta(hours=1, minutes=1), tick=False):
        assert api(api_client, village_director).post("/api/children/search/", {"q": child.id_number}, format="json").status_code == 200


@override_settings(ID_LOOKUP_RATE="2/hour")
def test_the_find_page_answers_429_past_the_rate(client, village_director, child):
    client.force_login(village_director)
    for _ in range(2):
        assert client.post(reverse("cases:child_list"), {"q": child.id_number}).status_code == 200
    refused = client.post(reverse("cases:child_list"), {"q": child.id_number})
    assert refused.status_code == 429
    assert "按身份证号查询过于频繁" in refused.content.decode() and int(refused["Retry-After"]) > 0


@override_settings(ID_LOOKUP_RATE="2/hour")
def test_registering_new_children_does_not_use_up_the_lookups(api_client, village_director, child, regions):
    client = api(api_client, village_director)
    for n in range(4):  # an offline phone sending the day's registrations at once
        number = id_number_for(regions.village, datetime.date(2017, 1, 1 + n))
        assert client.post("/api/children/", new_child(regions, id_number=number), format="json").status_code == 201
    assert client.post("/api/children/search/", {"q": child.id_number}, format="json").status_code == 200
    # A refused registration (the number is recorded) is a lookup and counts.
    assert client.post("/api/children/", new_child(regions, id_number=child.id_number), format="json").status_code == 400
    assert client.post("/api/children/search/", {"q": child.id_number}, format="json").status_code == 429


# --- never in a URL -------------------------------------------------------------------------------


def test_a_full_number_in_a_query_string_is_refused_and_never_logged(api_client, client, village_director, child, caplog):
    caplog.set_level(logging.DEBUG)
    listing = api(api_client, village_director).get("/api/children/", {"q": child.id_number}, HTTP_ACCEPT_LANGUAGE="en")
    assert listing.status_code == 400
    assert "POST" in text_of(listing) and child.id_number not in text_of(listing)
    assert api_client.get("/api/children/", {"q": child.id_number[1:]}).status_code == 400  # all but a digit: the same
    assert api_client.get("/api/children/", {"q": child.id_number[-6:]}).status_code == 200  # the last digits: fine
    client.force_login(village_director)
    page = client.get(reverse("cases:child_list"), {"q": child.id_number}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400
    assert child.id_number not in page.content.decode()
    logged = [record.getMessage() for record in caplog.records]
    assert logged and not [line for line in logged if child.id_number in line]
    assert not lookups()


def test_a_search_by_full_number_is_posted_and_finds_the_child(api_client, client, village_director, child, other_child):
    client_api = api(api_client, village_director)
    body = client_api.post("/api/children/search/", {"q": child.id_number}, format="json").json()
    assert body["count"] == 1 and [r["id"] for r in body["results"]] == [child.id]
    assert body["results"][0]["id_number"] == mask_id_number(child.id_number)
    assert client_api.post("/api/children/search/", {"q": other_child.id_number}, format="json").json()["count"] == 0
    assert client_api.post("/api/children/search/", {"q": child.name}, format="json").json()["count"] == 1
    assert client_api.post("/api/children/search/", {"q": ["x"]}, format="json").status_code == 400
    client.force_login(village_director)
    form = client.get(reverse("cases:child_list")).content.decode()
    assert 'method="post"' in form
    found = client.post(reverse("cases:child_list"), {"q": child.id_number}).content.decode()
    assert child.name in found and child.id_number not in found
    assert other_child.name not in client.post(reverse("cases:child_list"), {"q": other_child.id_number}).content.decode()
