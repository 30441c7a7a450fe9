"""The roster import's COPY path writes identity and phone numbers encrypted, with the blind
indexes a save would compute, in the children, guardians and history tables; a number recorded
already is found through its index and refused as before."""

import pytest
from django.db import connection
from django.utils import translation

from cases.children.models import Child, Guardian
from cases.roster.services import roster_import
from tests.cases.roster.test_services import number, row, xlsx
from tests.factories import ChildFactory
from welfare import crypto
from welfare.idnumber import mask_id_number

pytestmark = pytest.mark.django_db


def raw(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_the_import_stores_numbers_encrypted_and_indexed(county_official, regions):
    file = xlsx([row(id_number=number(41), g_phone="13912345678")])
    report = roster_import(by=county_official, file=file, commit=True)
    assert report.committed, report.row_errors
    child = Child.objects.with_id_number(number(41)).get()
    assert child.id_number == number(41) and list(Child.objects.id_numbers_ending(number(41)[-6:])) == [child]
    assert list(Guardian.objects.with_phone("13912345678")) == [child.guardians.get()]
    ((stored, index, tail),) = raw("SELECT id_number, id_number_index, id_number_tail FROM cases_child")
    assert stored.startswith("local1:") and number(41) not in stored
    assert index == crypto.blind_index(number(41), purpose="id_number") and tail
    ((phone,),) = raw("SELECT phone FROM cases_guardian")
    assert phone.startswith("local1:") and "13912345678" not in phone
    ((history_number,),) = raw("SELECT id_number FROM cases_historicalchild")
    assert history_number == stored
    ((history_phone,),) = raw("SELECT phone FROM cases_historicalguardian")
    assert history_phone == phone


def test_a_number_recorded_already_is_refused_and_nothing_is_written(county_official, regions):
    ChildFactory(region=regions.village, id_number=number(42))
    with translation.override("zh-hans"):
        report = roster_import(by=county_official, file=xlsx([row(id_number=number(42))]), commit=True)
    assert not report.committed
    messages = " ".join(str(e.message) for e in report.row_errors)
    assert f"身份证号码为 {mask_id_number(number(42))} 的儿童已在" in messages
    assert Child.objects.count() == 1 and not Guardian.objects.exists()
