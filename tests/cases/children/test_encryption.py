"""Identity and phone numbers are stored SM4-encrypted (welfare/fields.py) and found by their
blind indexes: lookups, national deduplication, the uniqueness constraint and the tail search
work as before; reveal decrypts and is audited; a value the keys cannot read shows masked and
never answers 500."""

import pytest
from django.core.exceptions import FieldError
from django.db import IntegrityError, connection, transaction
from django.test import override_settings

from cases.children.models import Child, Guardian
from cases.children.services import child_register, guardian_update
from tests.factories import ChildFactory, GuardianFactory
from welfare import crypto
from welfare.errors import ApplicationError
from welfare.fields import Unreadable
from welfare.idnumber import make_id_number, mask_id_number
from welfare.models import AuditLog

pytestmark = pytest.mark.django_db

NUMBER = make_id_number("370402", __import__("datetime").date(2015, 3, 14), 7, "M")
OTHER_KEY = "k9:" + "99" * 16


def stored(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 - fixed names
        return cursor.fetchone()[0]


def register(api_client, user, number=NUMBER, **data):
    api_client.force_authenticate(user)
    payload = {"name": "王小明", "id_number": number, "region": "370402001001", **data}
    return api_client.post("/api/children/", payload, format="json")


def test_it_stores_the_childs_and_guardians_numbers_encrypted(regions):
    child = ChildFactory(region=regions.village, id_number=NUMBER)
    guardian = GuardianFactory(child=child, id_number="370402198001011234", phone="13912345678")
    raw = stored("cases_child", "id_number", child.id)
    assert raw.startswith("local1:") and NUMBER not in raw
    assert stored("cases_child", "id_number_index", child.id) == crypto.blind_index(NUMBER, purpose="id_number")
    for column, plain in (("id_number", "370402198001011234"), ("phone", "13912345678")):
        value = stored("cases_guardian", column, guardian.id)
        assert value.startswith("local1:") and plain not in value
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM cases_historicalchild WHERE id = %s", [child.id])
        assert all(NUMBER not in row[0] for row in cursor.fetchall())
    reread = Child.objects.get(id=child.id)
    assert reread.id_number == NUMBER and Guardian.objects.get(id=guardian.id).phone == "13912345678"


def test_it_refuses_to_filter_on_the_ciphertext():
    with pytest.raises(FieldError, match="stored encrypted"):
        Child.objects.filter(id_number=NUMBER).exists()
    with pytest.raises(FieldError, match="stored encrypted"):
        Guardian.objects.filter(phone__icontains="138").exists()
    with pytest.raises(TypeError, match="encrypted"):
        Child.objects.update(id_number=NUMBER)
    assert not Child.objects.filter(id_number__isnull=False).exists()


def test_it_finds_a_child_by_its_full_number_and_by_its_last_digits(regions):
    child = ChildFactory(region=regions.village, id_number=NUMBER)
    ChildFactory(region=regions.village)
    assert list(Child.objects.with_id_number(NUMBER.lower())) == [child]
    assert list(Child.objects.with_id_numbers([NUMBER, "110101201001010011"])) == [child]
    assert list(Child.objects.id_numbers_ending(NUMBER[-4:])) == [child]
    assert list(Child.objects.id_numbers_ending(NUMBER[-8:])) == [child]
    assert not Child.objects.id_numbers_ending("9" + NUMBER[-7:]).exists()
    assert not Child.objects.id_numbers_ending(NUMBER[-3:]).exists()  # fewer than four: names only


def test_the_tail_search_of_the_api_and_the_full_number_search_work(api_client, village_director, regions):
    child = ChildFactory(region=regions.village, id_number=NUMBER, name="李四")
    ChildFactory(region=regions.village, name="张三")
    api_client.force_authenticate(village_director)
    listed = api_client.get(f"/api/children/?q={NUMBER[-4:]}").json()
    assert [c["id"] for c in listed["results"]] == [child.id]
    searched = api_client.post("/api/children/search/", {"q": NUMBER}, format="json").json()
    assert [c["id"] for c in searched["results"]] == [child.id]
    assert searched["results"][0]["id_number"] == mask_id_number(NUMBER)


def test_a_number_recorded_already_is_refused_with_the_chinese_message(api_client, village_director, regions):
    assert register(api_client, village_director).status_code == 201
    again = register(api_client, village_director, name="王小明二")
    assert again.status_code == 400
    message = again.json()["id_number"][0] if isinstance(again.json().get("id_number"), list) else str(again.json())
    assert f"身份证号码为 {mask_id_number(NUMBER)} 的儿童已在" in message
    assert Child.objects.count() == 1


def test_the_database_refuses_a_duplicate_number_by_its_blind_index(regions):
    ChildFactory(region=regions.village, id_number=NUMBER)
    with pytest.raises(IntegrityError, match="child_id_number_unique"), transaction.atomic():
        ChildFactory(region=regions.village_b, id_number=NUMBER)
    assert ChildFactory(region=regions.village, id_number=None).id_number_index is None  # no number, no index
    assert ChildFactory(region=regions.village, id_number=None).id_number_index is None


def test_a_changed_number_moves_its_indexes_too(village_director, regions):
    child = child_register(by=village_director, name="王五", id_number=NUMBER, region=regions.village)
    new = make_id_number("370402", child.birth_date, 9, "M")
    child.id_number = new
    child.save(update_fields=["id_number"])
    assert list(Child.objects.with_id_number(new)) == [child] and not Child.objects.with_id_number(NUMBER).exists()
    assert list(Child.objects.id_numbers_ending(new[-4:])) == [child]


def test_a_guardians_phone_change_keeps_its_index(village_director, regions):
    guardian = GuardianFactory(child=ChildFactory(region=regions.village), phone="13800000000")
    guardian_update(by=village_director, guardian=guardian, phone="13912345678")
    assert list(Guardian.objects.with_phone("13912345678")) == [guardian]
    assert not Guardian.objects.with_phone("13800000000").exists()
    Guardian.objects.bulk_update([Guardian(id=guardian.id, phone="13700000000", id_number="")], ["phone"])
    assert list(Guardian.objects.with_phone("13700000000")) == [guardian]


def test_reveal_decrypts_and_is_audited(api_client, village_director, regions):
    child = ChildFactory(region=regions.village, id_number=NUMBER)
    api_client.force_authenticate(village_director)
    response = api_client.post(f"/api/children/{child.id}/reveal/")
    assert response.status_code == 200 and response.json() == {"id_number": NUMBER}
    assert AuditLog.objects.filter(action="id_number.revealed", target_id=str(child.id)).count() == 1


def test_the_list_cache_serves_decrypted_masked_numbers_and_sees_a_change(api_client, county_official, regions):
    child = ChildFactory(region=regions.village, id_number=NUMBER)
    GuardianFactory(child=child, phone="13912345678", id_number="370402198001011234")
    api_client.force_authenticate(county_official)
    first = api_client.get("/api/children/").json()["results"][0]
    assert first["id_number"] == mask_id_number(NUMBER)
    assert first["guardians"][0]["phone"] == "13912345678"
    assert first["guardians"][0]["id_number"] == mask_id_number("370402198001011234")
    assert api_client.get("/api/children/").json()["results"][0] == first  # from the cache
    new = make_id_number("370402", child.birth_date, 11, "M")
    child.id_number = new
    child.save()
    assert api_client.get("/api/children/").json()["results"][0]["id_number"] == mask_id_number(new)


@pytest.fixture
def unreadable_child(regions):
    """A child whose number was encrypted under a key this system does not hold."""
    child = ChildFactory(region=regions.village, id_number=NUMBER, name="赵六")
    GuardianFactory(child=child, phone="13912345678")
    with override_settings(FIELD_ENCRYPTION_KEY=OTHER_KEY):
        child.id_number = NUMBER
        child.save()  # encrypted under k9
        guardian = Guardian.objects.get(child=child)
        guardian.phone = "13912345678"
        guardian.save()
    assert stored("cases_child", "id_number", child.id).startswith("k9:")
    return child


def test_an_unreadable_number_shows_masked_and_never_answers_500(api_client, village_director, unreadable_child, caplog):
    api_client.force_authenticate(village_director)
    listed = api_client.get("/api/children/")
    assert listed.status_code == 200
    row = listed.json()["results"][0]
    assert row["id_number"] == mask_id_number("*" * 18) and set(row["guardians"][0]["phone"]) == {"*"}
    detail = api_client.get(f"/api/children/{unreadable_child.id}/")
    assert detail.status_code == 200 and set(detail.json()["id_number"]) == {"*"}
    assert "field_decrypt_failed" in caplog.text and "k9" in caplog.text and NUMBER not in caplog.text
    page = api_client.get(f"/cases/children/{unreadable_child.id}/")
    assert page.status_code in (200, 302)


def test_an_unreadable_number_is_not_revealed_and_nothing_is_logged(api_client, village_director, unreadable_child):
    api_client.force_authenticate(village_director)
    response = api_client.post(f"/api/children/{unreadable_child.id}/reveal/")
    assert response.status_code == 400
    assert "无法用当前配置的密钥解密" in str(response.json())
    assert not AuditLog.objects.filter(action="id_number.revealed").exists()
    with pytest.raises(ApplicationError):
        from cases.children.reveal import child_id_number_reveal

        child_id_number_reveal(by=village_director, child=Child.objects.get(id=unreadable_child.id), request_ip=None)


def test_saving_a_record_with_an_unreadable_number_keeps_the_stored_value(unreadable_child):
    before = stored("cases_child", "id_number", unreadable_child.id)
    child = Child.objects.get(id=unreadable_child.id)
    assert isinstance(child.id_number, Unreadable)
    child.name = "赵六六"
    child.save()
    assert stored("cases_child", "id_number", unreadable_child.id) == before
    with override_settings(FIELD_ENCRYPTION_KEY=f"{crypto.LOCAL_ENCRYPTION_KEY},{OTHER_KEY}"):
        assert Child.objects.get(id=child.id).id_number == NUMBER
        assert list(Child.objects.with_id_number(NUMBER)) == [child]
