"""Migration 0007_encrypt_identity_rows encrypts the plain identity and phone numbers of existing
rows in batches (history included), fills their blind indexes, leaves values already encrypted
alone (a stopped run resumes), and going back decrypts them."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from cases.children.models import Child, Guardian
from tests.factories import ChildFactory, GuardianFactory
from welfare import crypto

pytestmark = pytest.mark.django_db

migration = importlib.import_module("cases.migrations.0007_encrypt_identity_rows")


def column(table: str, name: str, pk: int, pk_column: str = "id") -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {name} FROM {table} WHERE {pk_column} = %s", [pk])  # noqa: S608 - fixed names
        return cursor.fetchone()[0]


def make_plain(child: Child, guardian: Guardian) -> None:
    """What the rows looked like before the migration: plain numbers, no indexes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_child SET id_number = %s, id_number_index = NULL, id_number_tail = NULL WHERE id = %s",
            [child.id_number, child.id],
        )
        cursor.execute(
            "UPDATE cases_guardian SET id_number = %s, phone = %s, id_number_index = '', phone_index = '' WHERE id = %s",
            [guardian.id_number, guardian.phone, guardian.id],
        )
        cursor.execute("UPDATE cases_historicalchild SET id_number = %s WHERE id = %s", [child.id_number, child.id])


def test_it_encrypts_existing_rows_in_batches_and_resumes(regions, monkeypatch):
    monkeypatch.setattr(migration, "BATCH", 2)
    children = [ChildFactory(region=regions.village) for _ in range(5)]
    guardians = [GuardianFactory(child=c, id_number="370402198001011234", phone=f"1391234567{n}") for n, c in enumerate(children)]
    for child, guardian in zip(children, guardians, strict=True):
        make_plain(child, guardian)
    already = column("cases_child", "id_number", children[0].id)
    assert already == children[0].id_number  # plain before
    editor = SimpleNamespace(connection=connection)
    migration.encrypt_rows(apps, editor)
    for child, guardian in zip(children, guardians, strict=True):
        stored = column("cases_child", "id_number", child.id)
        assert stored.startswith("local1:") and child.id_number not in stored
        assert Child.objects.with_id_number(child.id_number).get() == child
        assert list(Child.objects.id_numbers_ending(child.id_number[-4:])) == [child]
        assert Guardian.objects.with_phone(guardian.phone).get() == guardian
        assert Guardian.objects.get(id=guardian.id).id_number == "370402198001011234"
        assert column("cases_historicalchild", "id_number", child.id, "id").startswith("local1:")
    first = column("cases_child", "id_number", children[0].id)
    migration.encrypt_rows(apps, editor)  # again: nothing left to do, nothing re-encrypted
    assert column("cases_child", "id_number", children[0].id) == first
    migration.decrypt_rows(apps, editor)
    assert column("cases_child", "id_number", children[0].id) == children[0].id_number
    assert column("cases_guardian", "phone", guardians[1].id) == guardians[1].phone
    assert crypto.key_id_of(column("cases_guardian", "id_number", guardians[1].id)) is None
