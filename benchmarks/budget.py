"""Benchmark of the budget projection (a benchmark, not a test).

Builds N enrollments (default 1,000,000) across one province of 10 cities × 10 counties with
COPY: children of every age (some turn 18 in the year projected), starts spread over three years
(new enrollments of the last twelve months), a few ended (adoption, age); standards at province
and county level with a raise already scheduled in the year; a payout run per county for each
month of last year (their stored totals, for the check). Then it times, for the province (all
1,000,000):

- projection_seconds: next year by month and category (`budget_projection`, what the API and the
  page compute), the median of three runs after one cold run (cold_projection_seconds);
- what_if_seconds: the same with a what-if raise of 5 % from July;
- check_seconds: last year projected from its first day beside what its runs paid
  (`budget_check`, the page's second table);
- county_projection_seconds: one county.

Prints one JSON line: enrollments, projection_seconds, cold_projection_seconds, what_if_seconds,
check_seconds, county_projection_seconds, projection_cpu_seconds and check_cpu_seconds (the CPU
the work takes in this process and its database backend, without parallel workers: what the
machine's other load does not inflate), total (the year's projected yuan), load_average.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/welfare_bench_budget uv run python benchmarks/budget.py [--enrollments N]

The database named by DATABASE_URL is created when missing and its public schema is REBUILT
(all tables dropped) — use a database of its own.
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/welfare_bench_budget")
os.environ["DJANGO_SETTINGS_MODULE"] = "welfare.settings.test"
os.environ.setdefault("CONN_MAX_AGE", "0")

from _common import build_schema, copy_lines, ensure_database  # noqa: E402 - the benchmarks' shared helpers

CITIES = 10
COUNTIES_PER_CITY = 10
TOWNSHIPS_PER_COUNTY = 5
VILLAGES_PER_TOWNSHIP = 4
TODAY = datetime.date.today()
NEXT = TODAY.year + 1
LAST = TODAY.year - 1
CATEGORIES = (
    ("orphan_scattered", 4),
    ("de_facto_unsupported", 4),
    ("orphan_institution", 1),
    ("key_difficulty", 1),
)


def _regions():
    from welfare.models import Region

    province = Region.objects.create(code="370000", name="Province", level="province")
    cities = []
    for c in range(CITIES):
        city = Region(code=f"37{c + 1:02d}00", name=f"City {c}", level="city", parent=province)
        city.path = f"{province.path}{city.code}/"
        cities.append(city)
    Region.objects.bulk_create(cities)
    counties = []
    for city in Region.objects.filter(level="city").order_by("code"):
        for k in range(COUNTIES_PER_CITY):
            code = f"{city.code[:4]}{k + 1:02d}"
            counties.append(Region(code=code, name=f"County {code}", level="county", parent=city, path=f"{city.path}{code}/"))
    Region.objects.bulk_create(counties)
    townships = []
    for county in Region.objects.filter(level="county").order_by("code"):
        for t in range(TOWNSHIPS_PER_COUNTY):
            code = f"{county.code}{t + 1:03d}"
            townships.append(Region(code=code, name=f"T{code}", level="township", parent=county, path=f"{county.path}{code}/"))
    Region.objects.bulk_create(townships, batch_size=2000)
    villages = []
    for town in Region.objects.filter(level="township").order_by("code"):
        for v in range(VILLAGES_PER_TOWNSHIP):
            code = f"{town.code}{v + 1:03d}"
            villages.append(Region(code=code, name=f"V{code}", level="village", parent=town, path=f"{town.path}{code}/"))
    Region.objects.bulk_create(villages, batch_size=5000)
    return province


def _standards(province) -> None:
    from benefits.standards.models import WelfareStandard
    from welfare.models import Region

    d = datetime.date
    rows = [
        WelfareStandard(region=province, category="orphan_institution", monthly_amount="1575.00", effective_from=d(2020, 1, 1), is_minimum=True),
        WelfareStandard(region=province, category="orphan_scattered", monthly_amount="1155.00", effective_from=d(2020, 1, 1), is_minimum=True),
        WelfareStandard(region=province, category="orphan_institution", monthly_amount="1760.00", effective_from=d(2020, 1, 1)),
        WelfareStandard(region=province, category="orphan_scattered", monthly_amount="1400.00", effective_from=d(2020, 1, 1)),
        WelfareStandard(region=province, category="key_difficulty", monthly_amount="980.00", effective_from=d(2020, 1, 1)),
        WelfareStandard(region=province, category="de_facto_unsupported", refers_to="orphan_scattered", effective_from=d(2020, 1, 1)),
        WelfareStandard(region=province, category="hiv_affected", refers_to="orphan_scattered", effective_from=d(2020, 1, 1)),
        # A raise already scheduled in the year projected.
        WelfareStandard(region=province, category="orphan_institution", monthly_amount="1850.00", effective_from=d(NEXT, 7, 1)),
    ]
    for i, county in enumerate(Region.objects.filter(level="county").order_by("code")):
        rows.append(
            WelfareStandard(region=county, category="orphan_scattered", monthly_amount=f"{1600 + (i % 5) * 20}.00", effective_from=d(2024, 1, 1))
        )
    WelfareStandard.objects.bulk_create(rows)


def build_data(n: int) -> None:
    from django.db import connection

    from benefits.payouts.models import PayoutRun
    from welfare.models import Region

    province = _regions()
    _standards(province)
    village_rows = list(Region.objects.filter(level="village").order_by("code").values_list("id", "parent__parent_id"))
    weights = [c for c, w in CATEGORIES for _ in range(w)]
    now = f"{TODAY.isoformat()} 00:00:00+00"
    # Births spread over 18 years up to the year before next (so some turn 18 next year); starts
    # over the last three years (month by month); 3 % ended for adoption within the year past.
    first_birth = NEXT - 18
    with connection.cursor() as cur:
        raw = cur.cursor if hasattr(cur, "cursor") else cur
        child_cols = [
            "name", "id_number", "sex", "birth_date", "region_id", "household_region_id", "school", "health_notes",
            "disability_notes", "registered_on", "review_status", "review_comment", "created_at", "updated_at", "version",
        ]

        def children():
            for i in range(n):
                vid = village_rows[i % len(village_rows)][0]
                birth = datetime.date(first_birth + i % 17, 1 + (i // 17) % 12, 1 + i % 28)
                yield f"C{i}\t\\N\t{'MF'[i % 2]}\t{birth}\t{vid}\t{vid}\t\t\t\t2023-01-01\tapproved\t\t{now}\t{now}\t1\n"

        copy_lines(raw, "cases_child", child_cols, children())
        cur.execute("SELECT min(id) FROM cases_child")
        first_id = cur.fetchone()[0]
        enr_cols = [
            "child_id", "category", "county_id", "start_month", "end_month", "end_reason", "status",
            "bank_account_holder", "bank_account", "created_at",
        ]
        this_month = TODAY.replace(day=1)

        def enrollments():
            for i in range(n):
                county_id = village_rows[i % len(village_rows)][1]
                category = weights[i % len(weights)]
                back = (i * 7919) % 36  # months before this one
                y, m = divmod(this_month.year * 12 + this_month.month - 1 - back, 12)
                start = datetime.date(y, m + 1, 1)
                if i % 33 == 0 and back >= 2:
                    end, reason, status = this_month.replace(month=1) if this_month.month > 1 else this_month, "adoption", "ended"
                    end = max(end, start)
                else:
                    end, reason, status = None, "", "active"
                yield (
                    f"{first_id + i}\t{category}\t{county_id}\t{start}\t{end if end else chr(92) + 'N'}\t{reason}\t{status}"
                    f"\tH{i}\t62220200{i:010d}\t{now}\n"
                )

        copy_lines(raw, "benefits_enrollment", enr_cols, enrollments())
    # Last year's runs, with their stored totals (what the check reads).
    counties = list(Region.objects.filter(level="county").values_list("id", flat=True))
    per_county = n // len(counties)
    runs = [
        PayoutRun(
            region_id=c,
            month=datetime.date(LAST, m, 1),
            status="approved",
            payout_count=per_county,
            totals_by_category={"orphan_scattered": {"count": per_county, "amount": f"{per_county * 1600}.00"}},
            total_amount=per_county * 1600,
        )
        for c in counties
        for m in range(1, 13)
    ]
    PayoutRun.objects.bulk_create(runs)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")


def timed(fn) -> tuple[float, object]:
    from django.db import transaction

    start = time.perf_counter()
    with transaction.atomic():  # as a request: SET LOCAL stays within it
        result = fn()
    return time.perf_counter() - start, result


def _backend_cpu() -> float:
    """CPU seconds used so far by this connection's PostgreSQL backend (same machine: /proc)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(fn) -> float | None:
    """The CPU the work takes, whatever else the shared machine runs: this process plus its
    database backend, with no parallel query workers (their CPU would not be counted). On a quiet
    machine the wall-clock time is about this, less what a parallel scan saves."""
    from django.db import connection, transaction

    try:
        _backend_cpu()
    except (OSError, IndexError, ValueError):
        return None  # the database runs elsewhere
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        before_db, before_py = _backend_cpu(), time.process_time()
        fn()
        return _backend_cpu() - before_db + time.process_time() - before_py


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enrollments", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep the data of the last run (no rebuild)")
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from decimal import Decimal

    from benefits.budget.selectors import WhatIf, budget_check, budget_projection
    from benefits.enrollments.models import Enrollment
    from welfare.models import Region

    build_seconds = None
    if not args.reuse:
        start = time.perf_counter()
        build_schema()
        build_data(args.enrollments)
        build_seconds = time.perf_counter() - start
    enrollments = Enrollment.objects.count()
    province = Region.objects.get(level="province")
    county = Region.objects.filter(level="county").order_by("code").first()

    cold, projection = timed(lambda: budget_projection(region=province, year=NEXT))
    warm = [timed(lambda: budget_projection(region=province, year=NEXT))[0] for _ in range(3)]
    what_if, _p = timed(
        lambda: budget_projection(region=province, year=NEXT, what_if=WhatIf(percent=Decimal("5"), start=datetime.date(NEXT, 7, 1)))
    )
    check, _c = timed(lambda: budget_check(region=province, year=LAST))
    county_seconds, _cp = timed(lambda: budget_projection(region=county, year=NEXT))
    cpu = [cpu_seconds(lambda: budget_projection(region=province, year=NEXT)) for _ in range(3)]
    check_cpu = cpu_seconds(lambda: budget_check(region=province, year=LAST))
    print(
        json.dumps(
            {
                "enrollments": enrollments,
                "projection_seconds": round(statistics.median(warm), 3),
                "cold_projection_seconds": round(cold, 3),
                "what_if_seconds": round(what_if, 3),
                "check_seconds": round(check, 3),
                "county_projection_seconds": round(county_seconds, 3),
                "projection_cpu_seconds": round(min(cpu), 3) if None not in cpu else None,  # type: ignore[type-var]
                "check_cpu_seconds": round(check_cpu, 3) if check_cpu is not None else None,
                "year": NEXT,
                "total": str(projection.total),  # type: ignore[attr-defined]
                "counties": Region.objects.filter(level="county").count(),
                "build_seconds": round(build_seconds, 1) if build_seconds is not None else None,
                "load_average": [round(x, 2) for x in os.getloadavg()],
            }
        )
    )


if __name__ == "__main__":
    main()
