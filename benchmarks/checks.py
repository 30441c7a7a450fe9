"""Benchmark of the daily overdue-check job (DESIGN: 1,000,000 left-behind children, ≤ 10 s,
peak memory ≤ 200 MB).

    uv run python benchmarks/checks.py [--children 1000000] [--db welfare_bench_checks] [--keep]

Builds its own PostgreSQL database (dropped and recreated; schema from the models with Django's
schema editor, no migrations), loads regions (100 children per village, 25 villages per
township, 20 townships per county), one director per village and one supervisor per township,
N left-behind children with open memberships and 0–4 checks each (COPY), with `next_check_due`
as `check_record` keeps it and `check_state` never computed. Then it runs the job three times
in a fresh process each (so the peak RSS is the job's own):

1. the first run: every state computed from scratch (the worst case: every row written),
   plus notifications to every director with a flagged child and every supervisor;
2. again the same day: must change nothing and send nothing (idempotence);
3. the next day: the ordinary daily run.

Prints one JSON line: `children`, `seconds` and `peak_rss_mb` (the first, worst-case run),
`overdue`, `due_soon`, and the figures of the other two runs.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import copy_lines, db_url, recreate_database, setup_django  # noqa: E402 - the benchmarks' shared helpers

VILLAGE_SIZE = 100
VILLAGES_PER_TOWNSHIP = 25
TOWNSHIPS_PER_COUNTY = 20
TODAY = datetime.date(2025, 7, 1)


def _create_schema() -> list[str]:
    """Tables from the models (schema editor, no migrations). The foreign keys and indexes the
    editor defers are returned, to be created after the load (the usual bulk-load order)."""
    from django.apps import apps
    from django.db import connection

    editor = connection.schema_editor()
    editor.__enter__()
    for model in apps.get_models():
        if model._meta.managed and not model._meta.proxy:
            editor.create_model(model)
    deferred = [str(sql) for sql in editor.deferred_sql]
    editor.deferred_sql = []
    editor.__exit__(None, None, None)
    return deferred


def _lines(rows):
    for row in rows:
        yield "\t".join("\\N" if v is None else str(v) for v in row) + "\n"


def _build(children: int, deferred: list[str], *, cold: bool, seed: int = 4) -> dict:
    from django.db import connection

    from cases.checks.dates import check_state_for
    from welfare.months import add_months

    rng = random.Random(seed)
    villages = max(1, -(-children // VILLAGE_SIZE))
    townships = max(1, -(-villages // VILLAGES_PER_TOWNSHIP))
    counties = max(1, -(-townships // TOWNSHIPS_PER_COUNTY))
    now = "2025-07-01 00:00:00+08"
    region_rows = [(1, "370000", "Province", "province", None, "370000/"), (2, "370400", "City", "city", 1, "370000/370400/")]
    county_ids, township_ids, village_ids = [], [], []
    rid = 3
    for c in range(counties):
        code = f"3704{c + 10:02d}"
        region_rows.append((rid, code, f"County {c}", "county", 2, f"370000/370400/{code}/"))
        county_ids.append((rid, code))
        rid += 1
    for t in range(townships):
        cid, ccode = county_ids[t // TOWNSHIPS_PER_COUNTY]
        code = f"{ccode}{t % TOWNSHIPS_PER_COUNTY + 1:03d}"
        region_rows.append((rid, code, f"Township {t}", "township", cid, f"370000/370400/{ccode}/{code}/"))
        township_ids.append((rid, code, ccode))
        rid += 1
    for v in range(villages):
        tid, tcode, ccode = township_ids[v // VILLAGES_PER_TOWNSHIP]
        code = f"{tcode}{v % VILLAGES_PER_TOWNSHIP + 1:03d}"
        region_rows.append((rid, code, f"Village {v}", "village", tid, f"370000/370400/{ccode}/{tcode}/{code}/"))
        village_ids.append(rid)
        rid += 1

    user_cols = ["id", "password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff", "is_active",
                 "date_joined", "role", "region_id", "phone", "language"]

    def users():
        uid = 1
        for vid in village_ids:
            yield (uid, "!", "f", f"director{uid}", "", "", "", "f", "t", now, "village_director", vid, "", "zh-hans")
            uid += 1
        for tid, _c, _cc in township_ids:
            yield (uid, "!", "f", f"supervisor{uid}", "", "", "", "f", "t", now, "township_supervisor", tid, "", "zh-hans")
            uid += 1

    # Dates as text, by days before TODAY (the generator only looks them up).
    day = [(TODAY - datetime.timedelta(days=k)).isoformat() for k in range(16 * 366)]
    due_after = [add_months(TODAY - datetime.timedelta(days=k), 3).isoformat() for k in range(16 * 366)]
    # The state each child was left in by yesterday's run (or never computed: --cold).
    yesterday = TODAY - datetime.timedelta(days=1)
    state_after = [
        "\\N" if cold else check_state_for(add_months(TODAY - datetime.timedelta(days=k), 3), today=yesterday)
        for k in range(16 * 366)
    ]
    rand = rng.random

    def child_lines():
        for i in range(children):
            cid = i + 1
            village = village_ids[i // VILLAGE_SIZE]
            birth = day[365 + int(rand() * 14 * 365)]
            if rand() < 0.05:  # never checked: registered in the last 4 months
                reg = 1 + int(rand() * 120)
                due, state = due_after[reg], state_after[reg]
            else:
                last = 1 + int(rand() * 115)  # the last check 1–115 days ago
                offsets = [last + 91 * k + int(rand() * 10) for k in range(1 + int(rand() * 4))]
                reg = max(offsets[-1], 400) + 1 + int(rand() * 30)
                due, state = due_after[last], state_after[last]
                check_lines.extend(
                    f"{cid}\t{day[k]}\t{village_user[village]}\troutine\t祖母\tt\t\tt\t\tt\t\t\t\tlow\t\t\t\\N\t{now}\n" for k in offsets
                )
            member_lines.append(f"{cid}\tleft_behind\t\t{day[reg]}\t\\N\t\t\n")
            yield (
                f"{cid}\t儿童{cid}\t\\N\t{'M' if i % 2 else 'F'}\t{birth}\t{village}\t{village}\t\t\t\t{day[reg]}\t\\N\t"
                f"{due}\t{state}\tpending\t\t\\N\t{now}\t{now}\t1\n"
            )

    village_user = {vid: n + 1 for n, vid in enumerate(village_ids)}
    child_cols = ["id", "name", "id_number", "sex", "birth_date", "region_id", "household_region_id", "school", "health_notes",
                  "disability_notes", "registered_on", "died_on", "next_check_due", "check_state", "review_status",
                  "review_comment", "created_by_id", "created_at", "updated_at", "version"]
    member_cols = ["child_id", "category", "sub_category", "start_date", "end_date", "reason", "end_reason"]
    check_cols = ["child_id", "checked_on", "checked_by_id", "kind", "caregiver", "father_away", "father_work_place",
                  "mother_away", "mother_work_place", "attends_school", "health", "safety_risk", "guardianship_risk",
                  "risk_level", "notes", "follow_up", "campaign_id", "created_at"]
    counts = {"checks": 0}
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        raw = cur.cursor
        copy_lines(raw, "welfare_region", ["id", "code", "name", "level", "parent_id", "path"], _lines(region_rows))
        copy_lines(raw, "welfare_user", user_cols, _lines(users()))
        # Children in slices so the pending membership and check lines stay small.
        done = 0
        gen = child_lines()
        while done < children:
            size = min(100_000, children - done)
            check_lines: list[str] = []
            member_lines: list[str] = []
            copy_lines(raw, "cases_child", child_cols, itertools.islice(gen, size))
            copy_lines(raw, "cases_categorymembership", member_cols, member_lines)
            counts["checks"] += copy_lines(raw, "cases_check", check_cols, check_lines)
            done += size
        for table in ("welfare_region", "welfare_user", "cases_child"):
            raw.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        # Foreign keys and indexes after the data, as a bulk load does.
        for sql in deferred:
            raw.execute(sql)
    load_seconds = time.perf_counter() - t0
    connection.close()
    return {"villages": villages, "townships": townships, "counties": counties, "checks": counts["checks"], "load_seconds": round(load_seconds, 1)}


def _vacuum(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")


def _run_job(url: str, today: str) -> dict:
    """Run the job in a fresh process; its own peak RSS (ru_maxrss) is the figure."""
    out = subprocess.run(
        [sys.executable, __file__, "--run-job", today, "--url", url],
        check=True, capture_output=True, text=True, cwd=str(ROOT),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _job_main(url: str, today: str) -> None:
    setup_django(url)
    from cases.checks.notifications import check_notification_emails_send, check_notifications_create
    from cases.checks.services import checks_states_update

    day = datetime.date.fromisoformat(today)
    # A worker process has its URLconf and translation catalogues loaded once, at start; load
    # them here too so the figure is the job's, not Python's import time (reported apart).
    from django.urls import reverse
    from django.utils import translation

    t_start = time.perf_counter()
    reverse("cases:checks_mine")
    for language in ("zh-hans", "en"):
        with translation.override(language):
            translation.gettext("Checks")
    startup = time.perf_counter() - t_start
    t0 = time.perf_counter()
    # What checks_flag_overdue does, timed by phase.
    result = checks_states_update(today=day)
    t1 = time.perf_counter()
    check_notifications_create(today=day, result=result)
    result.emails = check_notification_emails_send(today=day)
    seconds = time.perf_counter() - t0
    phases = {"states_seconds": round(t1 - t0, 2), "notify_seconds": round(seconds - (t1 - t0), 2)}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": round(seconds, 2), "peak_rss_mb": round(peak, 1), "startup_seconds": round(startup, 2), **phases, **result.as_dict()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--db", default="welfare_bench_checks")
    parser.add_argument("--base-url", default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--cold", action="store_true", help="states never computed: the first run writes every row")
    parser.add_argument("--run-job")
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.run_job:
        _job_main(args.url, args.run_job)
        return
    url = db_url(args.base_url, args.db)
    recreate_database(args.base_url, args.db)
    setup_django(url)
    deferred = _create_schema()
    built = _build(args.children, deferred, cold=args.cold)
    _vacuum(url)
    first = _run_job(url, TODAY.isoformat())
    again = _run_job(url, TODAY.isoformat())
    next_day = _run_job(url, (TODAY + datetime.timedelta(days=1)).isoformat())
    print(json.dumps({
        "children": args.children,
        "scenario": "cold" if args.cold else "daily",
        "seconds": first["seconds"],
        "peak_rss_mb": first["peak_rss_mb"],
        "overdue": first["overdue"],
        "due_soon": first["due_soon"],
        "rows_changed": first["changed"],
        "states_seconds": first["states_seconds"],
        "notify_seconds": first["notify_seconds"],
        "notifications": first["director_notifications"] + first["supervisor_notifications"],
        "rerun_same_day_seconds": again["seconds"],
        "rerun_same_day_changed": again["changed"],
        "rerun_same_day_new_notifications": (again["director_notifications"] + again["supervisor_notifications"])
        - (first["director_notifications"] + first["supervisor_notifications"]),
        "next_day_seconds": next_day["seconds"],
        "next_day_changed": next_day["changed"],
        "next_day_peak_rss_mb": next_day["peak_rss_mb"],
        "worker_startup_seconds": first["startup_seconds"],
        "checks": built["checks"],
        "villages": built["villages"],
        "load_seconds": built["load_seconds"],
        "load_average_1min": round(os.getloadavg()[0], 1),
        "cpus": os.cpu_count(),
    }))


if __name__ == "__main__":
    main()
