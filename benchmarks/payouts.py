"""Benchmark of the monthly payout run (a benchmark, not a test).

Builds N active enrollments (default 1,000,000) across 100 counties with COPY, runs the month for
every county (one transaction per county, the same service the Celery task calls) with one worker
process per core, as the deployed Celery worker does (`--workers`; the month is also run with a
single worker first and reported as seconds_one_worker), and prints one
JSON line: rows, seconds, rows_per_s, peak_rss_mb (the busiest worker process), floor_seconds (a plain
INSERT … SELECT of the same enrollment rows into a scratch table, in the same run: measured
just before and just after the month on a possibly shared machine, their mean; both are printed,
and ratio_strict uses the smaller),
ratio (seconds / floor_seconds) and rerun_added_rows (running the month again, and forcing the
computation again, adds nothing). bound_seconds is the least any run keeping the issue's guarantees
could take here (every row, one transaction per county, into a table whose only index is the
payout's primary key, with as many worker connections as the run: see bound_seconds(); measured
just before and just after the run, their mean, both printed); bound_ratio is bound_seconds /
floor_seconds, seconds_over_bound the run's seconds / bound_seconds (target: <= 1.25). The data
include 2,000 approved education grants, so the run also writes their instalments (grant_lines).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/welfare_bench uv run python benchmarks/payouts.py [--enrollments N]

The database named by DATABASE_URL is created when missing and its public schema is REBUILT
(all tables dropped) — use a database of its own. `--reuse` keeps the data of an earlier run of the
same size (migrates, forgets the month's runs and payouts, vacuums) to measure again.
"""

import argparse
import datetime
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/welfare_bench")
os.environ["DJANGO_SETTINGS_MODULE"] = "welfare.settings.test"
os.environ.setdefault("CONN_MAX_AGE", "0")

COUNTIES = 100
TOWNSHIPS_PER_COUNTY = 10
VILLAGES_PER_TOWNSHIP = 10
MONTH = datetime.date(2025, 5, 1)
CATEGORIES = (
    ("orphan_scattered", 4),
    ("de_facto_unsupported", 4),
    ("orphan_institution", 1),
    ("key_difficulty", 1),
)


from _common import build_schema, ensure_database  # noqa: E402
from _common import copy_lines as _copy  # noqa: E402 - the benchmarks' shared helpers (benchmarks/_common.py)


def build_data(n: int) -> None:
    from django.db import connection

    from welfare.models import Region

    province = Region.objects.create(code="370000", name="Province", level="province")
    city = Region.objects.create(code="379900", name="City", level="city", parent=province)
    regions = []
    counties = []
    for c in range(COUNTIES):
        county = Region(code=f"37{c + 1:04d}", name=f"County {c}", level="county", parent=city)
        county.path = f"{city.path}{county.code}/"
        counties.append(county)
    Region.objects.bulk_create(counties)
    for county in Region.objects.filter(level="county").order_by("code"):
        for t in range(TOWNSHIPS_PER_COUNTY):
            code = f"{county.code}{t + 1:03d}"
            regions.append(Region(code=code, name=f"T{code}", level="township", parent=county, path=f"{county.path}{code}/"))
    Region.objects.bulk_create(regions, batch_size=2000)
    villages = []
    for town in Region.objects.filter(level="township").order_by("code"):
        for v in range(VILLAGES_PER_TOWNSHIP):
            code = f"{town.code}{v + 1:03d}"
            villages.append(Region(code=code, name=f"V{code}", level="village", parent=town, path=f"{town.path}{code}/"))
    Region.objects.bulk_create(villages, batch_size=5000)
    village_rows = list(Region.objects.filter(level="village").order_by("code").values_list("id", "parent__parent_id"))

    # Standards: province amounts, each county its own scattered-orphan amount, de facto refers.
    from benefits.standards.models import WelfareStandard

    std = [
        WelfareStandard(region=province, category="orphan_institution", monthly_amount="1760.00", effective_from=datetime.date(2020, 1, 1)),
        WelfareStandard(region=province, category="orphan_scattered", monthly_amount="1400.00", effective_from=datetime.date(2020, 1, 1)),
        WelfareStandard(region=province, category="key_difficulty", monthly_amount="980.00", effective_from=datetime.date(2020, 1, 1)),
        WelfareStandard(region=province, category="de_facto_unsupported", refers_to="orphan_scattered", effective_from=datetime.date(2020, 1, 1)),
        WelfareStandard(region=province, category="hiv_affected", refers_to="orphan_scattered", effective_from=datetime.date(2020, 1, 1)),
        WelfareStandard(region=province, category="orphan_scattered", monthly_amount="1600.00", effective_from=datetime.date(2021, 1, 1)),
    ]
    for i, county in enumerate(Region.objects.filter(level="county").order_by("code")):
        std.append(
            WelfareStandard(
                region=county, category="orphan_scattered", monthly_amount=f"{1600 + (i % 5) * 20}.00", effective_from=datetime.date(2024, 1, 1)
            )
        )
    WelfareStandard.objects.bulk_create(std)

    weights = [c for c, w in CATEGORIES for _ in range(w)]
    now = "2025-01-01 00:00:00+00"
    with connection.cursor() as cur:
        raw = cur.cursor if hasattr(cur, "cursor") else cur
        child_cols = [
            "name", "id_number", "sex", "birth_date", "region_id", "household_region_id", "school", "health_notes",
            "disability_notes", "registered_on", "review_status", "review_comment", "created_at", "updated_at", "version",
        ]

        def children():
            for i in range(n):
                vid = village_rows[i % len(village_rows)][0]
                birth = datetime.date(2008 + i % 17, 1 + i % 12, 1 + i % 28)
                yield f"C{i}\t\\N\t{'MF'[i % 2]}\t{birth}\t{vid}\t{vid}\t\t\t\t2024-01-01\tapproved\t\t{now}\t{now}\t1\n"

        _copy(raw, "cases_child", child_cols, children())
        cur.execute("SELECT min(id) FROM cases_child")
        first_id = cur.fetchone()[0]
        enr_cols = [
            "child_id", "category", "county_id", "start_month", "end_reason", "status", "bank_account_holder", "bank_account", "created_at",
        ]

        def enrollments():
            for i in range(n):
                county_id = village_rows[i % len(village_rows)][1]
                category = weights[i % len(weights)]
                yield f"{first_id + i}\t{category}\t{county_id}\t2024-0{1 + i % 9}-01\t\tactive\tH{i}\t62220200{i:010d}\t{now}\n"

        _copy(raw, "benefits_enrollment", enr_cols, enrollments())
    build_grants(first_id, village_rows, n)
    # What autovacuum does to a freshly loaded table before the 1st of the month: statistics, and
    # the visibility map that lets the run read enrollments from its covering index alone.
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")


GRANTS = 2000
GRANT_YEAR = "2024-2025"


def build_grants(first_id: int, village_rows, n: int) -> None:
    """Orphan education grants approved for the 2024-2025 school year, paid monthly (12
    instalments from September): by May 2025 nine instalments of each are due, written by the
    run as grant lines of the paying county's run (benefits/grants: one set-based statement per
    county, in the run's transaction)."""
    from benefits.grants.models import Grant, GrantStandard
    from welfare.models import Region

    province = Region.objects.get(level="province")
    standard = GrantStandard.objects.create(
        region=province, annual_amount="10000.00", frequency="monthly", effective_from=datetime.date(2020, 1, 1)
    )
    grants = []
    for g in range(min(GRANTS, n)):
        i = (g * 499) % n  # spread over the counties
        village_id, county_id = village_rows[i % len(village_rows)]
        grants.append(
            Grant(
                child_id=first_id + i, school=f"School {g % 50}", study_level="university", school_year=GRANT_YEAR,
                enrolment_proof="enrolment certificate", received_region_id=village_id, county_id=county_id,
                status="approved", annual_amount="10000.00", instalments=12, standard=standard,
                submitted_on=datetime.date(2024, 8, 1), decided_on=datetime.date(2024, 8, 20),
            )
        )
    Grant.objects.bulk_create(grants, batch_size=2000)


def grant_lines() -> int:
    from benefits.grants.models import GrantPayout

    return GrantPayout.objects.count()


def floor_seconds() -> tuple[float, int]:
    """A plain INSERT … SELECT of the same enrollment rows into a scratch table (no index, no
    join, one transaction, committed): the seconds and the number of rows it wrote."""
    from django.db import connection, transaction

    with connection.cursor() as cur:
        cur.execute(
            "DROP TABLE IF EXISTS bench_floor; CREATE TABLE bench_floor (run_id bigint, child_id bigint, enrollment_id bigint, "
            "category varchar(32), month date, amount numeric(10,2), standard_id bigint)"
        )
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "INSERT INTO bench_floor SELECT e.county_id, e.child_id, e.id, e.category, %s, 0, 0 FROM benefits_enrollment e "
            "WHERE e.start_month <= %s AND (e.end_month IS NULL OR e.end_month >= %s)",
            [MONTH, MONTH, MONTH],
        )
        rows = cur.rowcount
    elapsed = time.perf_counter() - start
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_floor")
    return elapsed, rows


def floor_per_county_seconds() -> float:
    """The same plain INSERT … SELECT, partitioned like the run: one transaction per county."""
    from django.db import connection, transaction

    with connection.cursor() as cur:
        cur.execute(
            "DROP TABLE IF EXISTS bench_floor; CREATE TABLE bench_floor (run_id bigint, child_id bigint, enrollment_id bigint, "
            "category varchar(32), month date, amount numeric(10,2), standard_id bigint)"
        )
        cur.execute("SELECT DISTINCT county_id FROM benefits_enrollment")
        counties = [r[0] for r in cur.fetchall()]
    start = time.perf_counter()
    for county in counties:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                "INSERT INTO bench_floor SELECT e.county_id, e.child_id, e.id, e.category, %s, 0, 0 FROM benefits_enrollment e "
                "WHERE e.county_id = %s AND e.start_month <= %s AND (e.end_month IS NULL OR e.end_month >= %s)",
                [MONTH, county, MONTH, MONTH],
            )
    elapsed = time.perf_counter() - start
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_floor")
    return elapsed


def bound_seconds(workers: int) -> float:
    """The least that any run keeping the issue's guarantees can take on this machine: every payout
    row, written per county in a transaction of its own (a killed worker leaves nothing half
    written), into a table whose only index is the payout's primary key (child and month: the
    database's refusal of a second payment), by the same number of worker connections as the run
    taking counties off a shared list. Nothing else: no run index, no CHECK, no standards, no run
    row, history or audit, no Python per county beyond sending the statement."""
    import threading

    from django.db import connection, transaction

    from benefits.payouts.models import payout_month_base

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_bound; CREATE TABLE bench_bound (LIKE benefits_payout); ALTER TABLE bench_bound ADD PRIMARY KEY (id)")
        cur.execute("SELECT DISTINCT county_id FROM benefits_enrollment ORDER BY county_id")
        counties = [r[0] for r in cur.fetchall()]
    connection.close()
    settle()
    pending = list(reversed(counties))
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                if not pending:
                    break
                county = pending.pop()
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute(
                    "INSERT INTO bench_bound (id, run_id, child_id, enrollment_id, category, month, amount, standard_id) "
                    "SELECT %s::bigint | e.child_id, e.county_id, e.child_id, e.id, e.category, %s, 0, 0 FROM benefits_enrollment e "
                    "WHERE e.county_id = %s AND e.start_month <= %s AND (e.end_month IS NULL OR e.end_month >= %s)",
                    [payout_month_base(MONTH), MONTH, county, MONTH, MONTH],
                )
        connection.close()

    threads = [threading.Thread(target=work) for _i in range(workers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_bound")
    connection.close()
    return elapsed


def _worker(queue, results) -> None:
    """One worker process, as a Celery prefork child is: takes county runs off the queue and
    computes each in its own transaction (the service the task calls)."""
    from django.db import connection

    from benefits.payouts.services import payout_run_compute

    connection.close()  # never share the parent's connection across fork
    while True:
        run_id = queue.get()
        if run_id is None:
            break
        payout_run_compute(run_id=run_id)
    connection.close()
    results.put(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def run_month(workers: int) -> float:
    """Start every county's run for the month and compute them with `workers` processes (the
    deployed Celery worker runs one process per core); returns the peak RSS (MB) of the busiest
    worker process."""
    import multiprocessing

    from django.db import connection

    from benefits.payouts.services import payout_runs_start_all

    run_ids = [run.id for run in payout_runs_start_all(month=MONTH, enqueue=False)]
    connection.close()
    ctx = multiprocessing.get_context("fork")
    queue, results = ctx.Queue(), ctx.Queue()
    for run_id in run_ids:
        queue.put(run_id)
    for _i in range(workers):
        queue.put(None)
    procs = [ctx.Process(target=_worker, args=(queue, results)) for _i in range(workers)]
    for proc in procs:
        proc.start()
    peaks = [results.get() for _p in procs]
    for proc in procs:
        proc.join()
        assert proc.exitcode == 0, f"a worker failed ({proc.exitcode})"
    return max(peaks)


def settle() -> None:
    """Write out what earlier phases left dirty before a timed phase (CHECKPOINT), so that no phase
    pays for the checkpointer's work on another's data."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("CHECKPOINT")
    connection.close()


def reset_month() -> None:
    """Forget the month's runs and payouts (to measure it again)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE benefits_payout, benefits_grantpayout")
        cur.execute("DELETE FROM benefits_payoutrun")
    connection.close()


def _reusable(n: int) -> bool:
    """--reuse: the database holds the data of a run of the same size."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('benefits_enrollment') IS NOT NULL AND to_regclass('benefits_grant') IS NOT NULL")
        if not cur.fetchone()[0]:
            return False
        cur.execute("SELECT (SELECT count(*) FROM benefits_enrollment), (SELECT count(*) FROM benefits_grant)")
        return cur.fetchone() == (n, min(GRANTS, n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enrollments", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="worker processes (default: one per core)")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data of an earlier run of the same size (migrate, forget the month's runs)"
    )
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.db import connection

    from benefits.enrollments.models import Enrollment
    from benefits.payouts.models import Payout, PayoutRun

    if args.reuse and _reusable(args.enrollments):
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)  # and post_migrate's schema.py
        reset_month()
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
    else:
        build_schema()
        build_data(args.enrollments)
    assert Enrollment.objects.count() == args.enrollments
    connection.close()

    # The floor is measured just before and just after the run (the machine may be shared, its
    # load changes): the ratio uses their mean, ratio_strict the smaller; both are printed.
    settle()
    floor_before, floor_rows = floor_seconds()
    settle()
    floor_by_county = floor_per_county_seconds()
    # The month with one worker process (every county in turn), then as deployed: one worker
    # process per core (Celery's default concurrency), counties fanned out between them.
    settle()
    start = time.perf_counter()
    peak_one = run_month(1)
    seconds_one = time.perf_counter() - start
    rows_one = Payout.objects.count()
    lines_one = grant_lines()
    reset_month()
    # The least any run keeping the guarantees could take, measured just before and just after the
    # run (its mean), like the floor: on a shared machine the load changes within minutes, and a
    # single measurement after the run would always see the enrollments warm from the run and the
    # checkpointer busy with the run's pages — both orders count once.
    bound_before = bound_seconds(args.workers)
    settle()
    start = time.perf_counter()
    peak_mb = run_month(args.workers)
    seconds = time.perf_counter() - start
    lines = grant_lines()
    bound_after = bound_seconds(args.workers)
    bound = (bound_before + bound_after) / 2
    settle()
    floor_after, _rows = floor_seconds()
    floor = (floor_before + floor_after) / 2
    floor_min = min(floor_before, floor_after)
    rows = Payout.objects.count()
    assert rows == floor_rows == rows_one, f"the run wrote {rows} rows ({rows_one} with one worker), the floor {floor_rows}"
    assert PayoutRun.objects.filter(status="draft").count() == COUNTIES, "every county's run is a draft"
    assert lines == lines_one == 9 * min(GRANTS, args.enrollments), f"grant lines {lines} ({lines_one} with one worker)"

    # Again: the normal path finds drafts and does nothing; forcing a recomputation adds nothing.
    run_month(args.workers)
    PayoutRun.objects.update(status="computing")
    run_month(args.workers)
    rerun_added = Payout.objects.count() + grant_lines() - rows - lines

    print(
        json.dumps(
            {
                "rows": rows,
                "seconds": round(seconds, 2),
                "rows_per_s": round(rows / seconds) if seconds else None,
                "peak_rss_mb": round(peak_mb, 1),
                "floor_seconds": round(floor, 2),
                "floor_before_seconds": round(floor_before, 2),
                "floor_after_seconds": round(floor_after, 2),
                "ratio": round(seconds / floor, 2) if floor else None,
                "rerun_added_rows": rerun_added,
                "ratio_strict": round(seconds / floor_min, 2) if floor_min else None,
                "bound_seconds": round(bound, 2),
                "bound_before_seconds": round(bound_before, 2),
                "bound_after_seconds": round(bound_after, 2),
                "grant_lines": lines,
                "bound_ratio": round(bound / floor, 2) if floor else None,
                "seconds_over_bound": round(seconds / bound, 2) if bound else None,
                "floor_per_county_seconds": round(floor_by_county, 2),
                "ratio_per_county_floor": round(seconds / floor_by_county, 2) if floor_by_county else None,
                "workers": args.workers,
                "seconds_one_worker": round(seconds_one, 2),
                "ratio_one_worker": round(seconds_one / floor, 2) if floor else None,
                "peak_rss_mb_one_worker": round(peak_one, 1),
                "enrollments": args.enrollments,
                "counties": COUNTIES,
                "load_average": [round(x, 2) for x in os.getloadavg()],
            }
        )
    )


if __name__ == "__main__":
    main()
