"""`manage.py rotate_field_key` re-encrypts every value not under the current key, in batches,
history tables included; values stay readable and findable; a value under an unknown key id is
reported in Chinese and left as it is (welfare/rotation.py)."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from cases.children.models import Child, Guardian
from tests.factories import ChildFactory, GuardianFactory
from welfare import crypto

pytestmark = pytest.mark.django_db

NEW = "k2:" + "22" * 16
BOTH = f"{NEW},{crypto.LOCAL_ENCRYPTION_KEY}"


def key_ids(table: str, column: str) -> set[str | None]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL AND {column} <> ''")  # noqa: S608
        return {crypto.key_id_of(value) for (value,) in cursor.fetchall()}


def test_it_re_encrypts_every_value_under_the_new_key_and_keeps_them_findable(regions):
    children = [ChildFactory(region=regions.village) for _ in range(5)]
    GuardianFactory(child=children[0], id_number="370402198001011234", phone="13912345678")
    with override_settings(FIELD_ENCRYPTION_KEY=BOTH):
        out = io.StringIO()
        call_command("rotate_field_key", "--batch", "2", stdout=out)
        assert "cases_child: 5 re-encrypted under k2" in out.getvalue()
        for table, column in (("cases_child", "id_number"), ("cases_guardian", "phone"), ("cases_guardian", "id_number"),
                              ("cases_historicalchild", "id_number"), ("cases_historicalguardian", "phone")):
            assert key_ids(table, column) == {"k2"}, table
        assert [c.id_number for c in Child.objects.order_by("id")] == [c.id_number for c in children]
        assert list(Child.objects.with_id_number(children[3].id_number)) == [children[3]]  # the index key is not rotated
        assert Guardian.objects.with_phone("13912345678").get().phone == "13912345678"
        again = io.StringIO()
        call_command("rotate_field_key", stdout=again)  # resumable: nothing left to do
        assert "cases_child: 0 re-encrypted" in again.getvalue()
    with override_settings(FIELD_ENCRYPTION_KEY=NEW):  # the old key can go once rotated
        assert Child.objects.get(id=children[0].id).id_number == children[0].id_number


def test_it_reports_a_value_under_an_unknown_key_id_and_leaves_it_alone(regions):
    lost = ChildFactory(region=regions.village)
    with override_settings(FIELD_ENCRYPTION_KEY="k0:" + "00" * 16):
        lost.id_number = lost.id_number  # encrypted under k0, a key about to be lost
        lost.save()
    ok = ChildFactory(region=regions.village)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM cases_child WHERE id = %s", [lost.id])
        (before,) = cursor.fetchone()
    with override_settings(FIELD_ENCRYPTION_KEY=BOTH), pytest.raises(CommandError) as raised:
        call_command("rotate_field_key", stdout=io.StringIO())
    assert "无法解密" in str(raised.value) and "'k0'" in str(raised.value) and f"cases_child {lost.id}" in str(raised.value)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM cases_child WHERE id = %s", [lost.id])
        assert cursor.fetchone()[0] == before
    assert key_ids("cases_child", "id_number") == {"k0", "k2"}
    with override_settings(FIELD_ENCRYPTION_KEY=BOTH):
        assert Child.objects.get(id=ok.id).id_number == ok.id_number


def test_it_refuses_a_batch_of_zero():
    with pytest.raises(CommandError, match="--batch"):
        call_command("rotate_field_key", "--batch", "0")
