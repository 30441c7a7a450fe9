# ruff: noqa: S603 - runs fixed commands (manage.py, pg_ctl) of this test only
"""Fault tests: a throwaway PostgreSQL cluster of our own (never the shared one) is stopped in
the middle of a request, and the Celery broker is pointed at a port where nothing listens."""

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PG_BINS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster():
    """A PostgreSQL cluster in a temporary directory on a free port, as the postgres user when
    we are root (initdb refuses root). Removed afterwards."""
    if not PG_BINS or not (PG_BINS[0] / "initdb").exists():
        pytest.skip("PostgreSQL server binaries are not installed")
    bindir = PG_BINS[0]
    tmp = Path(tempfile.mkdtemp(prefix="welfare-fault-pg-"))
    data = tmp / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres", "postgres")
        tmp.chmod(0o700)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run(
        [*as_user, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    options = f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    pg_ctl = [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(tmp / "log"), "-o", options]
    subprocess.run([*pg_ctl, "start", "-w"], check=True, capture_output=True, timeout=60)
    try:
        yield {"url": f"postgres://postgres@127.0.0.1:{port}/postgres", "pg_ctl": shlex.join(pg_ctl)}
    finally:
        subprocess.run([*pg_ctl, "stop", "-m", "immediate"], capture_output=True, timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)


def _probe(mode: str, cluster, **env_extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DATABASE_URL=cluster["url"],
        FAULT_PG_CTL=cluster["pg_ctl"],
        DJANGO_SETTINGS_MODULE="welfare.settings.test",
        **env_extra,
    )
    env.pop("CELERY_BROKER_URL", None) if "CELERY_BROKER_URL" not in env_extra else None
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests/security/fault_probe.py"), mode],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("FAULT-PROBE ")]
    assert result.returncode == 0 and lines, result.stdout[-3000:] + result.stderr[-5000:]
    return json.loads(lines[-1].removeprefix("FAULT-PROBE "))


def test_it_answers_a_database_restart_with_a_clear_page_and_saves_nothing_half(cluster):
    seen = _probe("db", cluster)
    assert seen["before"] == {"children": 0, "memberships": 0, "audit": 0}
    # The write that lost its database mid-way: a clear 503, and no partial rows after restart.
    assert seen["write"]["status"] == 503, seen["write"]
    assert seen["write"]["retry_after"]
    assert "detail" in json.loads(seen["write"]["body"])
    assert seen["after_restart"] == {"children": 0, "memberships": 0, "audit": 0}
    # A page asked during the outage: the 503 page, nothing technical, no trace.
    assert seen["page"]["status"] == 503
    assert "text/html" in seen["page"]["type"]
    assert "Traceback" not in seen["page"]["body"] and "OperationalError" not in seen["page"]["body"]
    assert "<title>" in seen["page"]["body"]
    # Once the database is back, the same write goes through whole.
    assert seen["retry"]["status"] == 201
    assert seen["final"] == {"children": 1, "memberships": 2, "audit": 3}


def test_it_reports_an_unreachable_broker_instead_of_losing_the_job(cluster):
    seen = _probe("broker", cluster, CELERY_BROKER_URL=f"redis://127.0.0.1:{_free_port()}/0")
    assert seen["eager"] is False
    # The user is told, clearly: not a 2xx "computing" that never computes.
    assert seen["status"] == 503, seen
    assert "detail" in json.loads(seen["body"])
    # The run records what happened, so the county sees it and asking again restarts it.
    assert [r["status"] for r in seen["runs"]] in ([], ["failed"]), seen["runs"]
    assert all(r["error"] for r in seen["runs"])
