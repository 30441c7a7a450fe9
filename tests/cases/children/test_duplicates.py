"""Issue 19: a child without an identity number is checked for duplicates too. The same name,
birth date and village as a child already recorded is a warning that needs a confirmation: the
API answers 400 `possible_duplicate` with the matching children (masked) until the request says
`"confirm_duplicate": true`; the registration page and the admin show the warning and a box to
tick. The rule lives in cases.children.services.child_register."""

import datetime

import pytest
from django.urls import reverse

from cases.children.models import Child
from cases.children.services import child_register
from tests.factories import ChildFactory
from tests.welfare.test_admin import child_form_data

pytestmark = pytest.mark.django_db
BIRTH = datetime.date(2016, 1, 1)


@pytest.fixture
def recorded(regions):
    """A child recorded without an identity number."""
    return ChildFactory(region=regions.village, name="王小丫", birth_date=BIRTH, sex="F", id_number=None)


def register(api_client, user, language="zh-hans", **data):
    api_client.force_authenticate(user)
    payload = {"name": "王小丫", "sex": "F", "birth_date": "2016-01-01", "region": "370402001001", **data}
    return api_client.post("/api/children/", payload, format="json", HTTP_ACCEPT_LANGUAGE=language)


def test_the_api_warns_of_a_possible_duplicate_and_saves_nothing(api_client, village_director, recorded):
    response = register(api_client, village_director, language="en")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "possible_duplicate"
    assert "confirm_duplicate" in body["detail"]
    assert [d["id"] for d in body["duplicates"]] == [recorded.id]
    assert body["duplicates"][0]["name"] == "王小丫" and body["duplicates"][0]["region"] == "370402001001"
    assert Child.objects.count() == 1


def test_the_api_registers_the_child_once_confirmed(api_client, village_director, recorded):
    response = register(api_client, village_director, confirm_duplicate=True)
    assert response.status_code == 201, response.json()
    assert Child.objects.filter(name="王小丫").count() == 2
    assert "confirm_duplicate" not in response.json()


def test_the_api_shows_a_numbered_match_masked(api_client, village_director, regions):
    numbered = ChildFactory(region=regions.village, name="王小丫", birth_date=BIRTH, sex="F")
    response = register(api_client, village_director)
    assert response.status_code == 400
    duplicate = response.json()["duplicates"][0]
    assert duplicate["id_number"] == numbered.masked_id_number
    assert numbered.id_number not in response.content.decode()


@pytest.mark.parametrize("change", [{"birth_date": "2016-01-02"}, {"region": "370402001002"}, {"name": "王小芽"}])
def test_the_api_registers_at_once_when_name_birth_date_or_village_differ(api_client, village_director, township_supervisor, recorded, change):
    user = township_supervisor if "region" in change else village_director
    assert register(api_client, user, **change).status_code == 201


def test_the_service_holds_the_rule(village_director, regions, recorded):
    from cases.children.services import PossibleDuplicateError

    with pytest.raises(PossibleDuplicateError) as caught:
        child_register(by=village_director, name=" 王小丫 ", region=regions.village, sex="F", birth_date=BIRTH)
    assert [c.id for c in caught.value.duplicates] == [recorded.id]
    child_register(by=village_director, name="王小丫", region=regions.village, sex="F", birth_date=BIRTH, confirm_duplicate=True)
    assert Child.objects.count() == 2


def page_data(regions, **overrides):
    data = {
        "form_token": "t-dup", "name": "王小丫", "id_number": "", "sex": "F", "birth_date": "2016-01-01",
        "region": str(regions.village.id), "household_region": "", "school": "", "health_notes": "", "disability_notes": "",
        "guardians-TOTAL_FORMS": "0", "guardians-INITIAL_FORMS": "0", "guardians-MIN_NUM_FORMS": "0", "guardians-MAX_NUM_FORMS": "6",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_the_registration_page_shows_the_warning_and_a_box_to_tick(client, regions, village_director, recorded):
    client.force_login(village_director)
    url = reverse("cases:child_register")
    warned = client.post(url, page_data(regions))
    html = warned.content.decode()
    assert warned.status_code == 200
    assert 'name="confirm_duplicate"' in html and reverse("cases:child_detail", args=[recorded.id]) in html
    assert Child.objects.count() == 1
    confirmed = client.post(url, page_data(regions, confirm_duplicate="on"))
    assert confirmed.status_code == 302
    assert Child.objects.count() == 2


def test_the_admin_warns_too_and_registers_once_ticked(client, admin_user, regions, recorded):
    client.force_login(admin_user)
    data = child_form_data(None, name="王小丫", sex="F", birth_date="2016-01-01", region=regions.village.pk)
    warned = client.post(reverse("admin:cases_child_add"), data)
    assert warned.status_code == 200
    assert "confirm_duplicate" in warned.content.decode()
    assert Child.objects.count() == 1
    confirmed = client.post(reverse("admin:cases_child_add"), {**data, "confirm_duplicate": "on"})
    assert confirmed.status_code == 302, confirmed.content.decode()[:2000]
    assert Child.objects.count() == 2
