# ruff: noqa: S603, S607 - runs pg_dump, createdb, pg_restore, dropdb and manage.py-like scripts
"""The restore drill of docs/OPERATIONS.md ("Backups"), end to end: a dump of the database
(pg_dump -Fc) is restored into a fresh database (createdb, pg_restore), and the system, started
on the restored database with the encryption keys, serves a child's record and reveals its
number; started without the right key, it serves the record with the number masked, refuses to
reveal it (400, never 500) and logs nothing."""

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import ChildFactory, GuardianFactory
from welfare.idnumber import mask_id_number

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("pg_restore") is None, reason="the PostgreSQL client tools are not installed"),
]

ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh process on the restored database: what a restored system serves.
SERVE = r"""
import json, sys, django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.test import Client
from welfare.models import AuditLog, User
child_id = int(sys.argv[1])
client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
client.force_login(User.objects.get(username=sys.argv[2]))
record = client.get(f"/api/children/{child_id}/")
reveal = client.post(f"/api/children/{child_id}/reveal/")
print(json.dumps({
    "record_status": record.status_code, "record": record.json(),
    "reveal_status": reveal.status_code, "reveal": reveal.json(),
    "reveals_logged": AuditLog.objects.filter(action="id_number.revealed").count(),
}))
"""


def _server() -> tuple[list[str], dict]:
    s = connection.settings_dict
    args = ["-h", s["HOST"] or "127.0.0.1", "-p", str(s["PORT"] or 5432), "-U", s["USER"]]
    env = {**os.environ, "PGPASSWORD": s.get("PASSWORD") or ""}
    return args, env


def _url(name: str) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


@pytest.fixture
def restored(tmp_path, village_director, regions):
    """A child and guardian recorded, dumped, and restored into a fresh database."""
    child = ChildFactory(region=regions.village, name="王小明")
    GuardianFactory(child=child, phone="13912345678")
    args, env = _server()
    dump = tmp_path / "welfare.dump"
    subprocess.run(["pg_dump", "-Fc", "--no-owner", *args, "-f", str(dump), connection.settings_dict["NAME"]], env=env, check=True, timeout=300)
    name = f"welfare_restore_{uuid.uuid4().hex[:10]}"
    subprocess.run(["createdb", *args, name], env=env, check=True, timeout=60)
    try:
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", *args, "-d", name, str(dump)], env=env, check=True, timeout=300)
        yield child, village_director, name
    finally:
        subprocess.run(["dropdb", "--if-exists", *args, name], env=env, check=False, timeout=60)


def _serve(name: str, child_id: int, username: str, **env) -> dict:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
        "DJANGO_SETTINGS_MODULE": "welfare.settings.test",
        "DATABASE_URL": _url(name),
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", SERVE, str(child_id), username], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_restored_dump_serves_a_child_and_reveals_its_number_with_the_key(restored):
    child, director, name = restored
    served = _serve(name, child.id, director.username)
    assert served["record_status"] == 200
    assert served["record"]["name"] == "王小明" and served["record"]["id_number"] == mask_id_number(child.id_number)
    assert served["reveal_status"] == 200 and served["reveal"] == {"id_number": child.id_number}
    assert served["reveals_logged"] == 1


def test_a_restored_dump_without_the_key_reveals_nothing_and_never_fails(restored):
    child, director, name = restored
    served = _serve(name, child.id, director.username, FIELD_ENCRYPTION_KEY="k7:" + "77" * 16)
    assert served["record_status"] == 200 and set(served["record"]["id_number"]) == {"*"}
    assert served["reveal_status"] == 400 and "FIELD_ENCRYPTION_KEY" in served["reveal"]["detail"]
    assert served["reveals_logged"] == 0
