"""Benchmark of the Excel roster import (DESIGN: 50,000 rows ≤ 60 s, issue 7: peak RSS ≤ 500 MB).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/welfare uv run python benchmarks/import.py [--rows 50000] [--db NAME] [--keep]

Builds its own PostgreSQL database beside the one DATABASE_URL names (`<name>_bench_import`,
dropped and recreated; schema from the models with Django's schema editor, no migrations), with
one county of 20 townships × 25 villages, 1,000 children already recorded (so duplicates are
looked up for real) and a county official. Generates a roster xlsx of N rows (a child per row with
an identity number, a category and a guardian; every fifth child gets a second guardian row, N
rows in all), then
in a fresh process measures

1. the dry run (every row validated, nothing written), and
2. the committed import (validated again, then every child, guardian, membership and history row
   written in one transaction),

Prints one JSON line: `rows`, `seconds` (the committed import), `peak_rss_mb` (the peak resident
memory of the importing process), `dry_run_seconds`, `cpu_seconds` (the importing process's own
CPU time during the committed import: on a busy machine `seconds` is mostly waiting),
`load_average` (1-minute, at the end), `children`, `guardians`, `memberships`, `file_mb`.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import db_url, recreate_database, setup_django  # noqa: E402 - the benchmarks' shared helpers

TOWNSHIPS = 20
VILLAGES_PER_TOWNSHIP = 25
EXISTING_CHILDREN = 1000


def _drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _build(rows: int, path: Path) -> None:
    """Schema, regions, a county official, some existing children, and the roster file."""
    from django.apps import apps
    from django.db import connection
    from openpyxl import Workbook

    with connection.schema_editor() as editor:
        for model in apps.get_models():
            if model._meta.managed and not model._meta.proxy:
                editor.create_model(model)

    from cases.children.models import Child
    from cases.roster.services import COLUMNS
    from welfare.idnumber import make_id_number
    from welfare.models import Region, User
    from welfare.roles import Role

    province = Region.objects.create(code="370000", name="山东省", level="province")
    city = Region.objects.create(code="370400", name="枣庄市", level="city", parent=province)
    county = Region.objects.create(code="370402", name="市中区", level="county", parent=city)
    villages = []
    for t in range(1, TOWNSHIPS + 1):
        township = Region.objects.create(code=f"370402{t:03d}", name=f"街道{t}", level="township", parent=county)
        for v in range(1, VILLAGES_PER_TOWNSHIP + 1):
            villages.append(Region(code=f"{township.code}{v:03d}", name=f"村{t}-{v}", level="village", parent=township))
    for village in villages:
        village.path = village.compute_path()
    Region.objects.bulk_create(villages)
    User.objects.create_user(username="bench_county", password="x-bench-pass-1", role=Role.COUNTY_OFFICIAL, region=county)

    start = datetime.date(2008, 1, 1)

    def number(i: int) -> str:
        # Unique per i: 500 sequence numbers per birth day and sex.
        birth = start + datetime.timedelta(days=i // 1000)
        return make_id_number("370402", birth, (i % 1000) // 2, "M" if i % 2 else "F")

    Child.objects.bulk_create(
        Child(
            name=f"已有{i}",
            id_number=number(i),
            sex="M" if i % 2 else "F",
            birth_date=start + datetime.timedelta(days=i // 1000),
            region=villages[i % len(villages)],
            household_region=villages[i % len(villages)],
            registered_on=datetime.date(2024, 1, 1),
        )
        for i in range(EXISTING_CHILDREN)
    )

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("花名册")
    sheet.append(list(COLUMNS.values()))
    categories = ["农村留守儿童", "重点困境儿童、农村留守儿童", "社会散居孤儿", "流动儿童", "事实无人抚养儿童"]
    written = r = 0
    while written < rows:
        i = EXISTING_CHILDREN + r
        village = villages[r % len(villages)].code
        sheet.append(
            [f"儿童{r}", number(i), "", "", village, "", categories[r % len(categories)], f"监护人{r}", "祖父母", "13800000000", "否", ""]
        )
        written += 1
        if r % 5 == 0 and written < rows:
            sheet.append([None, None, None, None, None, None, None, f"父亲{r}", "父亲", "13900000000", "是", "广东深圳"])
            written += 1
        r += 1
    workbook.save(path)


def _run_import(path: Path) -> dict:
    """In this (fresh) process: the dry run, then the committed import."""
    from cases.roster.services import roster_import
    from welfare.models import User

    user = User.objects.get(username="bench_county")
    with path.open("rb") as handle:
        started = time.perf_counter()
        dry = roster_import(by=user, file=handle, commit=False, file_name=path.name)
        dry_seconds = time.perf_counter() - started
    assert dry.ok, (dry.file_errors, dry.row_errors[:5])
    with path.open("rb") as handle:
        started, cpu_started = time.perf_counter(), time.process_time()
        report = roster_import(by=user, file=handle, commit=True, file_name=path.name)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    assert report.committed, (report.file_errors, report.row_errors[:5])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "rows": report.rows,
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(peak, 1),
        "dry_run_seconds": round(dry_seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "load_average": round(os.getloadavg()[0], 1),
        "children": report.children,
        "guardians": report.guardians,
        "memberships": report.memberships,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--db", default="")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)  # internal: run the import
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/welfare")
    if args.child:
        setup_django(base, LOG_LEVEL="WARNING")
        print(json.dumps(_run_import(Path(args.child))))
        return

    name = args.db or (urlsplit(base).path.lstrip("/") or "welfare") + "_bench_import"
    admin_url = db_url(base, "postgres")
    bench_url = db_url(base, name)
    recreate_database(admin_url, name)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "roster.xlsx"
            env = dict(os.environ, DATABASE_URL=bench_url)
            setup_django(bench_url, LOG_LEVEL="WARNING")  # the build runs here, the import in a fresh process
            _build(args.rows, path)
            from django.db import connections

            connections.close_all()
            if args.rows > 50_000:  # larger than the default limit: raise it for this run only
                env["IMPORT_MAX_ROWS"] = str(args.rows)
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(path)], env=env, capture_output=True, text=True, check=False
            )
            if out.returncode != 0:
                sys.stderr.write(out.stderr)
                raise SystemExit(out.returncode)
            figures = json.loads(out.stdout.strip().splitlines()[-1])
            figures["file_mb"] = round(path.stat().st_size / 1024 / 1024, 2)
            print(json.dumps(figures))
    finally:
        if not args.keep:
            _drop_database(admin_url, name)


if __name__ == "__main__":
    main()
