"""The children resource: scope, masking, writes through the services, filters, query counts."""

import csv
import datetime
import io

import pytest
import time_machine

from cases.children.models import CategoryMembership, Child
from tests.factories import ChildFactory, GuardianFactory, MembershipFactory, id_number_for
from welfare.idnumber import make_id_number, mask_id_number
from welfare.models import AuditLog

pytestmark = pytest.mark.django_db


def as_user(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def test_it_lists_only_children_in_scope_with_the_design_fields(api_client, village_director, child, other_child):
    MembershipFactory(child=child, category="left_behind")
    body = as_user(api_client, village_director).get("/api/children/").json()
    assert body["count"] == 1 and set(body) >= {"count", "next", "previous", "results"}
    row = body["results"][0]
    assert set(row) >= {"id", "name", "id_number", "sex", "birth_date", "region", "household_region", "categories", "check_state", "next_check_due"}
    assert row["name"] == "张小明"
    assert row["id_number"] == mask_id_number(child.id_number) and "*" in row["id_number"]
    assert row["region"] == "370402001001" and row["categories"] == ["left_behind"]
    assert row["birth_date"] == "2015-03-14"


def test_it_shows_an_outsider_nothing_and_answers_404_for_a_child_outside_scope(api_client, outsider, child):
    client = as_user(api_client, outsider)
    assert client.get("/api/children/").json()["count"] == 0
    assert client.get(f"/api/children/{child.id}/").status_code == 404


def test_it_lets_a_county_official_see_the_whole_county(api_client, county_official, child, regions):
    ChildFactory(region=regions.village_c)
    assert as_user(api_client, county_official).get("/api/children/").json()["count"] == 2


def test_it_lists_a_page_in_a_fixed_number_of_queries(api_client, county_official, regions, django_assert_num_queries):
    for i in range(12):
        kid = ChildFactory(region=regions.village if i % 2 else regions.village_c)
        MembershipFactory(child=kid, category="left_behind")
        GuardianFactory(child=kid)
    client = as_user(api_client, county_official)
    # the list's ordered ids (cached for its other pages), then the page's rows with region
    # codes, current memberships and guardians in one statement
    with django_assert_num_queries(2):
        response = client.get("/api/children/")
    assert response.json()["count"] == 12
    assert all(r["categories"] == ["left_behind"] and len(r["guardians"]) == 1 for r in response.json()["results"])
    # The same page again, nothing changed: from the cache, no query.
    with django_assert_num_queries(0):
        again = client.get("/api/children/")
    assert again.json() == response.json()


def test_it_registers_a_child_taking_sex_and_birth_date_from_the_identity_number(api_client, village_director, regions):
    number = make_id_number("370402", datetime.date(2016, 5, 1), 7, "F")
    response = as_user(api_client, village_director).post(
        "/api/children/",
        {"name": "王小花", "id_number": number, "region": regions.village.code, "categories": ["left_behind", "key_difficulty"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    child = Child.objects.get(id=body["id"])
    assert (child.sex, child.birth_date, child.id_number) == ("F", datetime.date(2016, 5, 1), number)
    assert body["sex"] == "F" and body["household_region"] == regions.village.code
    assert body["categories"] == ["key_difficulty", "left_behind"]
    assert body["id_number"] == mask_id_number(number)


def test_it_accepts_full_width_digits_in_the_identity_number(api_client, village_director, regions):
    number = make_id_number("370402", datetime.date(2016, 5, 1), 8, "M")
    full_width = number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    response = as_user(api_client, village_director).post(
        "/api/children/", {"name": "赵", "id_number": full_width, "region": regions.village.code}, format="json"
    )
    assert response.status_code == 201
    assert Child.objects.get().id_number == number


def test_it_refuses_a_wrong_check_character_beside_the_field_and_saves_nothing(api_client, village_director, regions):
    number = make_id_number("370402", datetime.date(2016, 5, 1), 9, "M")
    bad = number[:-1] + ("0" if number[-1] != "0" else "1")
    response = as_user(api_client, village_director).post(
        "/api/children/", {"name": "赵", "id_number": bad, "region": regions.village.code}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "check character" in response.json()["id_number"][0]
    assert not Child.objects.exists()


def test_it_reports_a_duplicate_with_where_the_child_is_recorded_masked(api_client, outsider_director, child):
    response = as_user(api_client, outsider_director).post(
        "/api/children/", {"name": "张小明", "id_number": child.id_number, "region": "370403001001"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    message = response.json()["id_number"][0]
    assert mask_id_number(child.id_number) in message and child.id_number not in message
    # Recorded outside the caller's area: the county, never the village (issue 19, item 4).
    assert "市中区" in message and "东村社区" not in message
    assert Child.objects.count() == 1


def test_it_refuses_a_write_outside_scope_with_403(api_client, village_director, regions):
    number = make_id_number("370403", datetime.date(2016, 5, 1), 10, "M")
    response = as_user(api_client, village_director).post(
        "/api/children/", {"name": "赵", "id_number": number, "region": regions.other_village.code}, format="json"
    )
    assert response.status_code == 403
    assert not Child.objects.exists()


def test_it_refuses_an_unknown_region_code_with_400(api_client, village_director, regions):
    response = as_user(api_client, village_director).post(
        "/api/children/", {"name": "赵", "sex": "M", "birth_date": "2016-01-01", "region": "999999999999"}, format="json"
    )
    assert response.status_code == 400 and "region" in response.json()


def test_it_refuses_two_paid_categories(api_client, village_director, regions):
    number = make_id_number("370402", datetime.date(2016, 5, 1), 11, "M")
    response = as_user(api_client, village_director).post(
        "/api/children/",
        {"name": "赵", "id_number": number, "region": regions.village.code, "categories": ["orphan_scattered", "key_difficulty"]},
        format="json",
    )
    assert response.status_code == 400 and "categories" in response.json()
    assert not Child.objects.exists() and not CategoryMembership.objects.exists()


def test_it_updates_a_child_and_adds_a_category(api_client, village_director, child):
    response = as_user(api_client, village_director).patch(
        f"/api/children/{child.id}/", {"school": "东村小学", "categories": ["left_behind"]}, format="json"
    )
    assert response.status_code == 200, response.json()
    child.refresh_from_db()
    assert child.school == "东村小学" and response.json()["categories"] == ["left_behind"]


def test_a_patch_that_cannot_change_categories_changes_nothing(api_client, village_director, child):
    MembershipFactory(child=child, category="left_behind")
    client = as_user(api_client, village_director)
    removed = client.patch(f"/api/children/{child.id}/", {"school": "甲", "categories": []}, format="json")
    assert removed.status_code == 400 and "categories" in removed.json()
    second_paid = client.patch(
        f"/api/children/{child.id}/", {"school": "乙", "categories": ["left_behind", "orphan_scattered", "key_difficulty"]}, format="json"
    )
    assert second_paid.status_code == 400 and "categories" in second_paid.json()
    child.refresh_from_db()
    assert child.school == "" and list(child.memberships.values_list("category", flat=True)) == ["left_behind"]


def test_it_answers_404_when_updating_a_child_outside_scope(api_client, outsider_director, child):
    response = as_user(api_client, outsider_director).patch(f"/api/children/{child.id}/", {"school": "x"}, format="json")
    assert response.status_code == 404


def test_it_refuses_a_role_that_may_not_register(api_client, county_official, regions):
    response = as_user(api_client, county_official).post(
        "/api/children/", {"name": "赵", "sex": "M", "birth_date": "2016-01-01", "region": regions.village.code}, format="json"
    )
    assert response.status_code == 403


@time_machine.travel(datetime.datetime(2025, 6, 1, 12, tzinfo=datetime.UTC), tick=False)
def test_it_filters_by_region_subtree_category_check_state_and_search(api_client, county_official, regions):
    a = ChildFactory(region=regions.village, name="甲", check_state="overdue")
    b = ChildFactory(region=regions.village_c, name="乙", check_state="ok")
    MembershipFactory(child=a, category="left_behind")
    MembershipFactory(child=b, category="left_behind", start_date=datetime.date(2024, 1, 1), end_date=datetime.date(2025, 1, 1))
    GuardianFactory(child=b, name="乙的奶奶")
    client = as_user(api_client, county_official)

    def ids(query):
        return [r["id"] for r in client.get(f"/api/children/?{query}").json()["results"]]

    assert ids("region=370402001") == [a.id]
    assert ids("region=370402") == [a.id, b.id]
    assert ids("region=370403") == []
    assert ids("category=left_behind") == [a.id]
    assert ids("check_state=ok") == [b.id]
    assert ids("q=奶奶") == [b.id]
    assert ids(f"q={a.id_number[-4:]}") == [a.id]
    assert ids("name=甲") == [a.id]
    assert client.get("/api/children/?category=nonsense").status_code == 400


def test_it_exports_the_list_masked_and_logs_the_export(api_client, county_official, child, other_child):
    response = as_user(api_client, county_official).get("/api/children/export/?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2  # header + our child only
    assert mask_id_number(child.id_number) in rows[1] and child.id_number not in rows[1]
    log = AuditLog.objects.get(action="children.exported")
    assert log.actor == county_official and log.record_count == 1 and log.detail["full_id_numbers"] is False


def test_it_exports_xlsx_with_full_numbers_only_when_the_role_allows_and_says_so_in_the_log(api_client, county_official, city_official, child):
    from openpyxl import load_workbook

    response = as_user(api_client, county_official).get("/api/children/export/?format=xlsx&full_id_numbers=1")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert child.id_number in [c.value for c in sheet[2]]
    assert AuditLog.objects.get(action="children.exported").detail["full_id_numbers"] is True
    assert as_user(api_client, city_official).get("/api/children/export/?full_id_numbers=1").status_code == 403


def test_it_refuses_an_export_to_a_role_that_may_not_export(api_client, village_director, child):
    assert as_user(api_client, village_director).get("/api/children/export/?format=csv").status_code == 403
    assert not AuditLog.objects.filter(action="children.exported").exists()


def test_it_answers_reports_as_counts_in_scope(api_client, county_official, child, other_child):
    MembershipFactory(child=child, category="left_behind")
    rows = {r["key"]: r["value"] for r in as_user(api_client, county_official).get("/api/reports/").json()}
    assert rows["children"] == 1 and rows["category:left_behind"] == 1 and rows["category:migrant"] == 0


def test_factories_make_unique_numbers(regions):
    assert id_number_for(regions.village, datetime.date(2015, 1, 1)) != id_number_for(regions.village, datetime.date(2015, 1, 1))
