"""`GET /api/children/`: the fast list (cases/children/listing.py) shows exactly what
ChildSerializer shows, and its page cache (cases/children/list_cache.py) never serves a page older than
the data, whoever writes and however."""

import datetime
import uuid

import pytest
import time_machine
from django.db import connection, transaction
from django.test import override_settings

from cases.checks.services import checks_flag_overdue
from cases.children.api import ChildSerializer, current_memberships_prefetch
from cases.children.list_cache import children_changed
from cases.children.listing import child_rows, child_rows_postgresql
from cases.children.models import CategoryMembership, Child, Guardian
from cases.children.services import child_update, guardian_add, membership_end
from tests.factories import ChildFactory, GuardianFactory, MembershipFactory, UserFactory
from welfare.roles import Role

D = datetime.date


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2025, 6, 15, 10, 0), tick=False):
        yield


def listed(client, user, query: str = "") -> dict:
    client.force_authenticate(user)
    response = client.get(f"/api/children/{query}")
    assert response.status_code == 200, response.content
    return response.json()


def names(body: dict) -> list[str]:
    return [row["name"] for row in body["results"]]


@pytest.fixture
def varied(regions):
    """Children with every shape of data the list shows."""
    a = ChildFactory(region=regions.village, name="甲", school="实验小学")
    MembershipFactory(child=a, category="left_behind", start_date=D(2024, 1, 1))
    MembershipFactory(child=a, category="key_difficulty", start_date=D(2024, 1, 1))
    MembershipFactory(child=a, category="migrant", start_date=D(2024, 1, 1), end_date=D(2025, 1, 1), end_reason="返乡")
    MembershipFactory(child=a, category="guardianship_risk", start_date=D(2025, 7, 1))  # not yet
    GuardianFactory(child=a, name="甲父", id_number="370402198001011234", is_migrant_worker=True, work_place="上海")
    GuardianFactory(child=a, name="甲祖母", id_number="")
    b = ChildFactory(region=regions.village_c, household_region=regions.village, name="乙", id_number=None)
    Child.objects.filter(id=b.id).update(next_check_due=D(2025, 6, 20), check_state="due_soon", review_status="approved")
    c = ChildFactory(region=regions.village_b, name="丙")
    return a, b, c


def test_the_fast_list_shows_exactly_what_the_serializer_shows(api_client, county_official, varied):
    body = listed(api_client, county_official)
    children = (
        Child.objects.filter(id__in=[c.id for c in varied])
        .select_related("region", "household_region")
        .prefetch_related(current_memberships_prefetch(), "guardians")
        .order_by("id")
    )
    expected = [dict(row) for row in ChildSerializer(children, many=True).data]
    for row in expected:
        row["guardians"] = sorted((dict(g) for g in row["guardians"]), key=lambda g: g["id"])
    assert body["results"] == expected
    ids = [c.id for c in sorted(varied, key=lambda c: c.id)]
    assert child_rows(ids, on=D(2025, 6, 15)) == expected  # the portable path (SQLite) too
    assert child_rows_postgresql(ids, on=D(2025, 6, 15)) == expected
    assert body["results"][0]["categories"] == ["key_difficulty", "left_behind"]
    assert body["results"][0]["guardians"][0]["id_number"] == "370402********1234"


def test_a_change_of_any_kind_shows_on_the_next_read(api_client, county_official, township_supervisor, regions, varied):
    a, b, c = varied
    listed(api_client, county_official)  # cached
    child_update(by=county_official, child=a, name="甲甲")
    assert "甲甲" in names(listed(api_client, county_official))

    guardian_add(by=township_supervisor, child=c, name="丙母", relation="mother")
    row = next(r for r in listed(api_client, county_official)["results"] if r["id"] == c.id)
    assert [g["name"] for g in row["guardians"]] == ["丙母"]

    membership = CategoryMembership.objects.get(child=a, category="key_difficulty")
    membership_end(by=county_official, membership=membership, end_date=D(2025, 6, 1), end_reason="情况好转")
    row = next(r for r in listed(api_client, county_official)["results"] if r["id"] == a.id)
    assert row["categories"] == ["left_behind"]

    Child.objects.filter(id=c.id).update(school="第二中学")  # a set-wise update
    row = next(r for r in listed(api_client, county_official)["results"] if r["id"] == c.id)
    assert row["school"] == "第二中学"

    Guardian.objects.filter(child=a).delete()  # a set-wise delete
    row = next(r for r in listed(api_client, county_official)["results"] if r["id"] == a.id)
    assert row["guardians"] == []

    CategoryMembership.objects.bulk_create([CategoryMembership(child=c, category="left_behind", start_date=D(2025, 1, 1))])
    row = next(r for r in listed(api_client, county_official)["results"] if r["id"] == c.id)
    assert row["categories"] == ["left_behind"]


def test_the_daily_checks_job_shows_on_the_next_read(api_client, county_official, regions):
    kid = ChildFactory(region=regions.village)
    MembershipFactory(child=kid, category="left_behind", start_date=D(2024, 1, 1))
    Child.objects.filter(id=kid.id).update(next_check_due=D(2025, 6, 1), check_state="ok")
    assert listed(api_client, county_official)["results"][0]["check_state"] == "ok"
    checks_flag_overdue(today=D(2025, 6, 15), notify=False)
    assert listed(api_client, county_official)["results"][0]["check_state"] == "overdue"


def test_a_child_moved_leaves_one_county_list_and_joins_the_other(api_client, county_official, outsider, regions, admin_user):
    kid = ChildFactory(region=regions.village, name="迁出")
    assert names(listed(api_client, county_official)) == ["迁出"]
    assert names(listed(api_client, outsider)) == []
    child_update(by=admin_user, child=Child.objects.get(id=kid.id), region=regions.other_village)
    assert names(listed(api_client, county_official)) == []
    assert names(listed(api_client, outsider)) == ["迁出"]


def test_a_cached_page_is_never_served_to_another_scope(api_client, county_official, outsider, village_director, regions, varied):
    assert len(listed(api_client, county_official)["results"]) == 3
    assert listed(api_client, outsider)["results"] == []
    director = names(listed(api_client, village_director))
    assert director == ["甲"]  # only the director's own village, though the county's page is cached


def test_filters_and_pages_are_cached_apart(api_client, county_official, regions, varied):
    assert names(listed(api_client, county_official, "?category=left_behind")) == ["甲"]
    assert names(listed(api_client, county_official, f"?region={regions.township_2.code}")) == ["乙"]
    assert len(listed(api_client, county_official)["results"]) == 3
    assert names(listed(api_client, county_official, "?category=left_behind")) == ["甲"]


def test_a_new_day_is_a_new_page_without_any_write(api_client, county_official, regions):
    kid = ChildFactory(region=regions.village)
    MembershipFactory(child=kid, category="left_behind", start_date=D(2024, 1, 1), end_date=D(2025, 6, 15), end_reason="返回父母身边")
    assert listed(api_client, county_official)["results"][0]["categories"] == ["left_behind"]
    with time_machine.travel(datetime.datetime(2025, 6, 16, 10, 0), tick=False):
        assert listed(api_client, county_official)["results"][0]["categories"] == []


def test_a_write_rolled_back_leaves_the_list_as_it_was(api_client, county_official, regions):
    kid = ChildFactory(region=regions.village, name="原名")
    listed(api_client, county_official)
    with pytest.raises(RuntimeError), transaction.atomic():
        Child.objects.filter(id=kid.id).update(name="新名")
        raise RuntimeError
    assert names(listed(api_client, county_official)) == ["原名"]


def test_errors_are_never_cached(api_client, county_official, regions, varied):
    api_client.force_authenticate(county_official)
    assert api_client.get("/api/children/?page=9").status_code == 404
    assert api_client.get("/api/children/?check_state=nonsense").status_code == 400
    ChildFactory.create_batch(60, region=regions.village)
    assert api_client.get("/api/children/?page=2").status_code == 200


def test_institution_staff_lists_are_not_cached(api_client, regions):
    from cases.children.listing import cacheable

    staff = UserFactory(role=Role.INSTITUTION_STAFF, region=None)
    api_client.force_authenticate(staff)
    response = api_client.get("/api/children/")
    assert response.status_code == 200 and response.json()["results"] == []
    assert not cacheable(response.wsgi_request) if hasattr(response.wsgi_request, "accepted_renderer") else True


@pytest.mark.django_db(transaction=True)
def test_with_the_shared_redis_cache_a_committed_write_retires_the_page(api_client, regions, county_official):
    """The production set-up: the pages and tokens in Redis, the write committed by another
    connection (another gunicorn worker would do the same)."""
    prefix = f"test-{uuid.uuid4().hex}"
    redis = {"default": {"BACKEND": "welfare.cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/5", "KEY_PREFIX": prefix}}
    with override_settings(CACHES=redis):
        from django.core.cache import cache

        assert cache._cache.get_client() is cache._cache.get_client()  # one client per pool (welfare/cache.py)
        kid = ChildFactory(region=regions.village, name="旧")
        assert names(listed(api_client, county_official)) == ["旧"]
        assert any(key.startswith(f"{prefix}:1:children:page:".encode()) for key in cache._cache.get_client().keys("*"))
        Child.objects.filter(id=kid.id).update(name="新")  # committed at once (autocommit)
        assert names(listed(api_client, county_official)) == ["新"]
        with transaction.atomic():  # raw SQL announces its write itself (cases.children.list_cache)
            with connection.cursor() as cur:
                cur.execute("UPDATE cases_child SET name = %s WHERE id = %s", ["再新", kid.id])
            children_changed([regions.village.path])
        assert names(listed(api_client, county_official)) == ["再新"]
        cache.clear()


def test_with_a_token_a_cached_page_costs_one_query(client, county_official, regions, django_assert_num_queries):
    """The token, its user and the user's region are read in one statement; the page itself
    comes from the cache."""
    from knox.models import AuthToken

    ChildFactory(region=regions.village, name="甲")
    _instance, token = AuthToken.objects.create(county_official)
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert client.get("/api/children/", **headers).status_code == 200
    with django_assert_num_queries(1):
        response = client.get("/api/children/", **headers)
    assert names(response.json()) == ["甲"]
    county_official.is_active = False
    county_official.save()
    assert client.get("/api/children/", **headers).status_code == 401
    assert client.get("/api/children/", HTTP_AUTHORIZATION="Token nonsense").status_code == 401


def test_with_the_cache_unreachable_lists_and_writes_still_work(api_client, county_official, township_supervisor, regions, caplog):
    """Redis down: the list is answered without the cache, and writes succeed (both logged)."""
    down = {"default": {"BACKEND": "welfare.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    kid = ChildFactory(region=regions.village, name="甲")
    with override_settings(CACHES=down):
        from django.core.cache import caches

        caches.close_all()
        assert names(listed(api_client, county_official)) == ["甲"]
        guardian_add(by=township_supervisor, child=kid, name="甲母", relation="mother")
        row = listed(api_client, county_official)["results"][0]
        assert [g["name"] for g in row["guardians"]] == ["甲母"]
    messages = [r.getMessage() for r in caplog.records]
    assert any("answering without it" in m for m in messages)
    assert any("could not retire pages" in m for m in messages)


def test_another_page_of_a_listed_list_costs_one_query(api_client, county_official, regions, django_assert_num_queries):
    """The first page read keeps the list's ordered ids; any other page then needs only its rows.
    A long list (over ID_LIST_LIMIT) keeps only its count and reads each page's ids."""
    from cases.children import listing

    ChildFactory.create_batch(120, region=regions.village)
    api_client.force_authenticate(county_official)
    with django_assert_num_queries(2):
        first = api_client.get("/api/children/").json()
    with django_assert_num_queries(1):
        third = api_client.get("/api/children/?page=3").json()
    assert first["count"] == third["count"] == 120 and len(third["results"]) == 20
    everyone = sorted(Child.objects.values_list("id", flat=True))
    assert [r["id"] for r in first["results"]] + [r["id"] for r in third["results"]] == everyone[:50] + everyone[100:]
    listing.ID_LIST_LIMIT, limit = 100, listing.ID_LIST_LIMIT
    try:
        assert api_client.get("/api/children/?sex=M").json()["count"] == 120  # over the limit: a count
        with django_assert_num_queries(2):  # the page's ids, its rows
            page = api_client.get("/api/children/?sex=M&page=2").json()
        assert [r["id"] for r in page["results"]] == everyone[50:100]
    finally:
        listing.ID_LIST_LIMIT = limit
