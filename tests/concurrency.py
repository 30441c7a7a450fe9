"""The harness of the concurrency tests: real PostgreSQL sessions (threads with their own
connections, or a separate process) that truly overlap, because a table is held until every one of
them waits on a lock. Used by the tests of payouts, grants, transfers, protection cases and
receipts; each test keeps its own assertions."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg
from django.db import connection, connections

ROOT = Path(__file__).resolve().parents[1]


def database_url() -> str:
    """The test database, for a connection or a process of its own."""
    s = connection.settings_dict
    password = f":{quote(s['PASSWORD'], safe='')}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def waiting_on_lock(watcher: psycopg.Connection, count: int, *, timeout: float = 20.0) -> list[int]:
    """The backends of this database (other than the watcher) waiting on a lock, once there are
    `count` of them (bounded poll)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with watcher.cursor() as cur:
            cur.execute("SELECT pg_stat_clear_snapshot()")  # the view is a snapshot per transaction
            cur.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
                "AND pid <> pg_backend_pid()"
            )
            pids = [r[0] for r in cur.fetchall()]
        if len(pids) >= count:
            return pids
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} sessions ever waited on a lock")


@contextmanager
def table_held(table: str) -> Iterator[psycopg.Connection]:
    """A separate connection that holds `table` (EXCLUSIVE: reads pass, writes wait) until the
    block ends; whoever writes there stops half-way, inside their transaction."""
    holder = psycopg.connect(database_url())
    try:
        holder.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        yield holder
    finally:
        holder.commit()
        holder.close()


def at_the_same_moment(calls: dict[str, Callable[[], object]], *, hold: str) -> dict[str, object]:
    """Run each call in a thread of its own, so that they truly overlap: `hold` is held until every
    call waits on a lock (the first on the table, the others on it or on what the first holds);
    then they race. Answers each call's result, or the exception it raised."""
    results: dict[str, object] = {}

    def run(name: str, call: Callable[[], object]) -> None:
        try:
            results[name] = call()
        except Exception as exc:  # reported by the caller's assertions
            results[name] = exc
        finally:
            connections.close_all()

    threads = []
    with table_held(hold) as holder:
        for n, (name, call) in enumerate(calls.items(), start=1):
            thread = threading.Thread(target=run, args=(name, call))
            thread.start()
            threads.append(thread)
            try:
                waiting_on_lock(holder, n)
            except AssertionError:
                raise AssertionError(f"the calls never reached the lock: {results}") from None
    for thread in threads:
        thread.join(30)
    return results


def killed_mid_run(code: str, *, hold: str) -> None:
    """Run `code` in a Django process of its own, and kill it (and its database session, as when
    the machine goes away) once it waits on `hold`, inside its transaction."""
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "welfare.settings.test"}
    with table_held(hold) as holder:
        proc = subprocess.Popen([sys.executable, "-c", f"import django; django.setup(); {code}"], cwd=ROOT, env=env)  # noqa: S603
        try:
            [pid] = waiting_on_lock(holder, 1, timeout=40)
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            holder.execute("SELECT pg_terminate_backend(%s)", [pid])
        finally:
            if proc.poll() is None:
                proc.kill()
