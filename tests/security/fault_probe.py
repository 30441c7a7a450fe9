# ruff: noqa: S603 - runs fixed commands (manage.py, pg_ctl) of this test only
"""Run by tests/security/test_faults.py in a subprocess, against a throwaway PostgreSQL cluster
(DATABASE_URL) that it may stop and start: `FAULT_PG_CTL` is the pg_ctl command line for it.

    python tests/security/fault_probe.py db       # PostgreSQL stops in the middle of a request
    python tests/security/fault_probe.py broker   # the Celery broker is unreachable

Prints one JSON line with what it saw."""

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "welfare.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402


class _NoMigrations(dict):
    def __contains__(self, item):
        return True

    def __getitem__(self, item):
        return None


def pg_ctl(*args: str) -> None:
    subprocess.run([*shlex.split(os.environ["FAULT_PG_CTL"]), *args], check=True, capture_output=True, timeout=60)


def setup():
    settings.MIGRATION_MODULES = _NoMigrations()
    call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
    from knox.models import AuthToken

    from welfare.models import Region, User
    from welfare.roles import Role

    def region(code, name, level, parent=None):
        return Region.objects.get_or_create(code=code, defaults={"name": name, "level": level, "parent": parent})[0]

    province = region("370000", "山东省", "province")
    city = region("370400", "枣庄市", "city", province)
    county = region("370402", "市中区", "county", city)
    township = region("370402001", "中心街道", "township", county)
    village = region("370402001001", "东村社区", "village", township)
    director, _ = User.objects.get_or_create(
        username="fault_director", defaults={"role": Role.VILLAGE_DIRECTOR, "region": village}
    )
    official, _ = User.objects.get_or_create(
        username="fault_county", defaults={"role": Role.COUNTY_OFFICIAL, "region": county}
    )
    return {
        "village": village,
        "county": county,
        "director": director,
        "director_token": AuthToken.objects.create(director)[1],
        "official_token": AuthToken.objects.create(official)[1],
    }


def counts() -> dict:
    from cases.children.models import CategoryMembership, Child
    from welfare.models import AuditLog

    connections.close_all()
    return {
        "children": Child.objects.count(),
        "memberships": CategoryMembership.objects.count(),
        "audit": AuditLog.objects.filter(action__in=["child.registered", "membership.started"]).count(),
    }


def probe_db() -> dict:
    from django.db.models.signals import post_save

    from cases.children.models import CategoryMembership
    from welfare.idnumber import make_id_number

    world = setup()
    import datetime

    payload = {
        "name": "王小军",
        "region": world["village"].code,
        "id_number": make_id_number("370402", datetime.date(2016, 5, 1), 7, "M"),
        "categories": ["left_behind", "migrant"],
    }
    out: dict = {"before": counts()}
    api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {world['director_token']}")

    # 1. The database goes away after the child and its first category were written.
    def stop_database(sender, created, **kwargs):
        if created:
            pg_ctl("stop", "-m", "immediate", "-w")

    post_save.connect(stop_database, sender=CategoryMembership, dispatch_uid="fault")
    response = api.post("/api/children/", payload, content_type="application/json")
    post_save.disconnect(dispatch_uid="fault", sender=CategoryMembership)
    out["write"] = {
        "status": response.status_code,
        "body": response.content.decode()[:500],
        "retry_after": response.get("Retry-After"),
    }
    pg_ctl("start", "-w")
    out["after_restart"] = counts()

    # 2. A page asked while the database is down.
    page = Client(raise_request_exception=False)
    from welfare.models import User

    page.force_login(User.objects.get(username="fault_director"))
    connections.close_all()
    pg_ctl("stop", "-m", "immediate", "-w")
    response = page.get("/cases/children/")
    out["page"] = {
        "status": response.status_code,
        "body": response.content.decode()[:3000],
        "type": response.get("Content-Type"),
    }
    pg_ctl("start", "-w")

    # 3. Back up: the same write goes through.
    connections.close_all()
    response = api.post("/api/children/", payload, content_type="application/json")
    out["retry"] = {"status": response.status_code}
    out["final"] = counts()
    return out


def probe_broker() -> dict:
    from benefits.payouts.models import PayoutRun

    world = setup()
    api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {world['official_token']}")
    response = api.post(
        "/api/payout-runs/", {"region": world["county"].code, "month": "2024-06"}, content_type="application/json"
    )
    connections.close_all()
    runs = list(PayoutRun.objects.values("status", "error"))
    return {
        "eager": settings.CELERY_TASK_ALWAYS_EAGER,
        "status": response.status_code,
        "body": response.content.decode()[:500],
        "runs": runs,
    }


if __name__ == "__main__":
    mode = sys.argv[1]
    result = probe_db() if mode == "db" else probe_broker()
    print("FAULT-PROBE " + json.dumps(result, ensure_ascii=False, default=str))
