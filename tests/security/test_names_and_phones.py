"""Issue 19: names with invisible format characters (a guardian named only U+202E) and phone
numbers that are not phone numbers (`=1+2`) are refused with a clear message everywhere they
can be typed: the API, the services, the pages, the roster import and the admin."""

import datetime
import io

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse
from openpyxl import Workbook

from cases.children.models import Child, Guardian
from cases.children.services import guardian_add
from cases.roster.services import COLUMNS, roster_import
from institutions.models import Institution, Staff
from tests.factories import GuardianFactory
from welfare.errors import ApplicationError
from welfare.models import User

pytestmark = pytest.mark.django_db

RLO = "\u202e"


def guardian_post(api_client, user, child, language="zh-hans", **data):
    api_client.force_authenticate(user)
    payload = {"child": child.id, "name": "张父", "relation": "father", **data}
    return api_client.post("/api/guardians/", payload, format="json", HTTP_ACCEPT_LANGUAGE=language)


# --- the API ---------------------------------------------------------------------------------------


def test_it_refuses_a_guardian_named_only_a_right_to_left_override(api_client, village_director, child):
    response = guardian_post(api_client, village_director, child, name=RLO)
    assert response.status_code == 400
    assert "U+202E" in response.json()["name"][0] and "不可见" in response.json()["name"][0]
    assert not Guardian.objects.exists()


def test_it_refuses_a_phone_that_is_a_formula_in_english_when_asked(api_client, village_director, child):
    response = guardian_post(api_client, village_director, child, language="en", phone="=1+2")
    assert response.status_code == 400
    assert "not a phone number" in response.json()["phone"][0]
    assert not Guardian.objects.exists()


def test_it_keeps_a_phone_typed_with_spaces_in_one_form(api_client, village_director, child):
    response = guardian_post(api_client, village_director, child, phone="138 0000 0000")
    assert response.status_code == 201, response.json()
    assert Guardian.objects.get().phone == "13800000000"
    assert response.json()["phone"] == "13800000000"


def test_it_refuses_a_child_name_with_a_hidden_override_on_create_and_on_change(api_client, county_official, regions, child):
    api_client.force_authenticate(county_official)
    created = api_client.post(
        "/api/children/",
        {"name": f"张{RLO}三", "region": regions.village.code, "sex": "M", "birth_date": "2015-03-14"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert created.status_code == 400
    assert "invisible" in created.json()["name"][0]
    changed = api_client.patch(f"/api/children/{child.id}/", {"name": "\u200b"}, format="json")
    assert changed.status_code == 400 and "name" in changed.json()
    assert Child.objects.count() == 1
    child.refresh_from_db()
    assert child.name == "张小明"


# --- the services (every other way in goes through them) -------------------------------------------


@pytest.mark.parametrize(("field", "value"), [("name", RLO), ("name", "  "), ("phone", "=1+2"), ("phone", "12345")])
def test_the_guardian_service_refuses_bad_names_and_phones(village_director, child, field, value):
    data = {"name": "张父", "relation": "father", "phone": "", field: value}
    with pytest.raises(ApplicationError) as caught:
        guardian_add(by=village_director, child=child, **data)
    assert field in caught.value.field_errors
    assert not Guardian.objects.exists()


def test_the_child_services_refuse_a_name_with_a_format_character(village_director, regions, child):
    from cases.children.services import child_register, child_update

    with pytest.raises(ApplicationError) as caught:
        child_register(by=village_director, name="王\ufeff五", region=regions.village, sex="M", birth_date=datetime.date(2016, 1, 1))
    assert "name" in caught.value.field_errors
    with pytest.raises(ApplicationError):
        child_update(by=village_director, child=child, name=f"{RLO}明小张")
    assert Child.objects.get().name == "张小明"


# --- the pages -------------------------------------------------------------------------------------


def test_the_guardian_page_shows_the_phone_error_beside_the_field_and_saves_nothing(client, child, village_director):
    client.force_login(village_director)
    data = {"form_token": "g-phone", "name": "张爸爸", "relation": "father", "phone": "=1+2", "id_number": "", "can_act_as_guardian": "on"}
    response = client.post(reverse("cases:guardian_add", args=[child.id]), data)
    assert response.status_code == 200
    assert "不是有效的电话号码" in response.content.decode()
    assert not Guardian.objects.exists()


def test_the_registration_page_refuses_a_name_with_an_override(client, regions, village_director):
    client.force_login(village_director)
    data = {
        "form_token": "t-rlo", "name": f"王{RLO}花", "id_number": "", "sex": "F", "birth_date": "2016-05-20",
        "region": str(regions.village.id), "household_region": "", "school": "", "health_notes": "", "disability_notes": "",
        "guardians-TOTAL_FORMS": "0", "guardians-INITIAL_FORMS": "0", "guardians-MIN_NUM_FORMS": "0", "guardians-MAX_NUM_FORMS": "6",
    }  # fmt: skip
    response = client.post(reverse("cases:child_register"), data)
    assert response.status_code == 200
    assert "U+202E" in response.content.decode()
    assert not Child.objects.exists()


# --- the roster import -----------------------------------------------------------------------------


def test_the_roster_import_reports_bad_names_and_phones_by_row(county_official, regions):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS.values()))
    sheet.append([f"{RLO}王小明", None, "男", "2015-03-14", "370402001001", "", "", "王大山", "祖父母", "13800000000", "否", ""])
    sheet.append(["李小红", None, "女", "2015-03-14", "370402001001", "", "", "李\u200b奶奶", "祖父母", "+1+2", "否", ""])
    sheet.append(["赵小刚", None, "男", "2015-03-14", "370402001001", "", "", "赵奶奶", "祖父母", 13800000001, "否", ""])
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    report = roster_import(by=county_official, file=out, commit=True)
    assert not report.committed
    by_row = {n: {c for c, _m in [(e.column, e.message) for e in errs]} for n, errs in report.errors_by_row()}
    assert by_row == {2: {"姓名"}, 3: {"监护人姓名", "监护人电话"}}
    assert not Child.objects.exists()


# --- the admin -------------------------------------------------------------------------------------


def admin_form(model, user, obj=None, **data):
    request = RequestFactory().post("/")
    request.user = user
    form_class = site._registry[model].get_form(request, obj=obj)
    return form_class(data=data, instance=obj)


def test_the_admin_refuses_a_bad_guardian_phone_and_name(admin_user, child):
    guardian = GuardianFactory(child=child)
    form = admin_form(Guardian, admin_user, obj=guardian, name=RLO, relation="father", phone="=1+2", can_act_as_guardian="on")
    assert {"name", "phone"} <= set(form.errors)


def test_the_admin_refuses_bad_staff_institution_and_user_phones(admin_user, regions):
    staff = admin_form(Staff, admin_user, name=RLO, position="carer", region=regions.village.id, phone="=1+2")
    assert {"name", "phone"} <= set(staff.errors)
    institution = admin_form(Institution, admin_user, name="东村儿童之家", kind="childrens_home", region=regions.county.id, capacity=5, phone="=1+2")
    assert "phone" in institution.errors
    user = User.objects.get(username="admin")
    account = admin_form(User, admin_user, obj=user, username="admin", phone="=1+2", first_name=RLO, role="admin")
    assert {"phone", "first_name"} <= set(account.errors)
    good = admin_form(Staff, admin_user, name="王主任", position="carer", region=regions.village.id, phone="0632 331 1001")
    assert "phone" not in good.errors and good.cleaned_data["phone"] == "0632-3311001"
