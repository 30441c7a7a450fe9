# ruff: noqa: S603, S607 - runs pg_dump on the test database
"""A dump of the database (pg_dump, as a backup is made) holds no identity number and no phone
number of the children and guardians recorded: they are stored SM4-encrypted, and their blind
indexes are keyed hashes (welfare/crypto.py)."""

import datetime
import shutil
import subprocess

import pytest
from django.db import connection

from cases.children.services import child_register, guardian_add
from tests.factories import ChildFactory, GuardianFactory
from welfare.idnumber import make_id_number

pytestmark = pytest.mark.django_db(transaction=True)


def pg_dump() -> str:
    s = connection.settings_dict
    command = ["pg_dump", "--no-owner", "-h", s["HOST"] or "127.0.0.1", "-p", str(s["PORT"] or 5432), "-U", s["USER"], s["NAME"]]
    env = {"PGPASSWORD": s.get("PASSWORD") or "", "PATH": "/usr/bin:/bin:/usr/lib/postgresql/15/bin"}
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=300, env=env).stdout


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_a_dump_holds_no_identity_number_and_no_phone_number(village_director, regions):
    number = make_id_number("370402", datetime.date(2015, 3, 14), 39, "M")
    guardian_number = make_id_number("370402", datetime.date(1960, 5, 5), 12, "F")
    registered = child_register(by=village_director, name="王小明", id_number=number, region=regions.village)
    guardian_add(by=village_director, child=registered, name="王大山", relation="grandparent", id_number=guardian_number,
                 phone="13912345678")
    other = ChildFactory(region=regions.village)
    GuardianFactory(child=other, phone="0632-3311001", id_number="370402198001011234")
    dump = pg_dump()
    assert "王小明" in dump and "cases_child" in dump  # the dump is a real one, with the records in it
    for secret in (number, guardian_number, "13912345678", other.id_number, "370402198001011234",
                   "0632-3311001", "06323311001"):
        assert secret not in dump, secret
