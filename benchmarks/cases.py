"""Protection casework benchmark on PostgreSQL (DESIGN: the case worklist API, county scope, 200,000
cases and 1,000,000 children, p95 ≤ 80 ms under 20 concurrent clients; the daily casework job
≤ 10 s and ≤ 200 MB).

    uv run python benchmarks/cases.py [--children 1000000] [--cases 200000] [--open 50000]
                                      [--db welfare_bench_cases] [--keep] [--reuse] [--cache-off]

Builds its own database on the server of DATABASE_URL (dropped and recreated; the schema from
the migrations), fills it by COPY: one province (10 cities × 10 counties × 12 townships × 20
villages), two county officials per county, a supervisor per township, a director per village,
two institutions per county, N children spread evenly over the counties, and the casework of
M cases (K of them open, at most one per child; some children have an earlier closed case):
the reports that opened them (with screened-out reports and unscreened ones, some past their
deadline), an approved guardianship assessment each, plan versions with three measures each,
referrals, follow-ups (done ones and the one pending per open case) and a note. Dates are
relative to today, as the daily job and the API read them.

Then, on that data:

1. the daily job `casework_flag_overdue` (cases/protection/notifications.py), each run in a
   fresh process whose own peak RSS is the figure (the translation catalogues loaded before the
   clock starts, as in a running worker): today (every flagged item is new: the worst case),
   today again (must add nothing), tomorrow;
2. the county's open-case worklist API `GET /api/cases/?status=open&page=N` (50 a page) served by
   gunicorn as deployed (cores + 1 sync workers, the cache in Redis, a key prefix of its own per
   run), a county official with a token, 20 concurrent client processes (the clients of
   benchmarks/dashboard.py), 2,000 requests for random pages after 100 to warm up; with
   `--cache-off` again with the worklist's page cache off (every page computed).
   `worklist_server_cpu_ms` is the CPU time of the gunicorn workers and their database backends
   per request: what serving costs whatever else the machine is doing.

Prints one JSON line: `cases`, `worklist_p95_ms`, `worklist_rps`, `daily_job_seconds`,
`daily_job_peak_rss_mb`, and the figures around them. The database is dropped at the end unless
`--keep` (`--reuse` measures again on a kept one, its casework notifications deleted first).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import random
import resource
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

# The loading and measuring tools of the dashboard benchmark (COPY through a spool file, gunicorn
# as deployed, spawned HTTP clients): one implementation for both.
from dashboard import (  # noqa: E402
    PASSWORD,
    Table,
    _base_url,
    _cpu_seconds,
    _free_port,
    _reset_sequences,
    _server_pids,
    _setup_django,
    create_database,
    measure,
    p95,
    start_gunicorn,
    stop_gunicorn,
    token_session,
)

CITIES, COUNTIES, TOWNSHIPS, VILLAGES = 10, 10, 12, 20
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date.today()
API_FILE = ROOT / "cases" / "protection" / "api.py"


def _at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def _day(offset: int) -> datetime.date:
    """The day `offset` days from today (negative: in the past)."""
    return TODAY + datetime.timedelta(days=offset)


# --- data -----------------------------------------------------------------------------------


def load_data(n_children: int, n_cases: int, n_open: int, *, seed: int = 15) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from cases.children.models import Child
    from cases.protection.models import (
        Assessment,
        Case,
        CaseNote,
        CasePlan,
        CaseReport,
        FollowUp,
        PlanMeasure,
        Referral,
    )
    from institutions.models import Institution
    from welfare.models import Region, User

    rng = random.Random(seed)
    rand, randint, choice = rng.random, rng.randint, rng.choice
    now = datetime.datetime.now(datetime.UTC)
    tables = {
        m: Table(m)
        for m in (Region, User, Institution, Child, Case, CaseReport, Assessment, CasePlan, PlanMeasure, Referral, FollowUp, CaseNote)
    }
    t = tables.__getitem__

    # Regions: one province, 10 cities x 10 counties x 12 townships x 20 villages.
    rid = iter(range(1, 10**9))
    province_id = next(rid)
    t(Region).add(id=province_id, code="910000", name="测试省", level="province", parent_id=None, path="910000/")
    counties: list[tuple[int, str]] = []
    villages_of: dict[int, list[int]] = defaultdict(list)
    township_of: dict[int, int] = {}
    county_of_village: dict[int, int] = {}
    for ci in range(1, CITIES + 1):
        ccode, cid = f"91{ci:02d}00", next(rid)
        cpath = f"910000/{ccode}/"
        t(Region).add(id=cid, code=ccode, name=f"第{ci}市", level="city", parent_id=province_id, path=cpath)
        for ki in range(1, COUNTIES + 1):
            kcode, kid = f"91{ci:02d}{ki:02d}", next(rid)
            kpath = f"{cpath}{kcode}/"
            t(Region).add(id=kid, code=kcode, name=f"第{ci}市第{ki}县", level="county", parent_id=cid, path=kpath)
            counties.append((kid, kcode))
            for ti in range(1, TOWNSHIPS + 1):
                tcode, tid = f"{kcode}{ti:03d}", next(rid)
                tpath = f"{kpath}{tcode}/"
                t(Region).add(id=tid, code=tcode, name=f"第{ti}镇", level="township", parent_id=kid, path=tpath)
                for vi in range(1, VILLAGES + 1):
                    vcode, vid = f"{tcode}{vi:03d}", next(rid)
                    t(Region).add(id=vid, code=vcode, name=f"第{vi}村", level="village", parent_id=tid, path=f"{tpath}{vcode}/")
                    villages_of[kid].append(vid)
                    township_of[vid] = tid
                    county_of_village[vid] = kid

    # Users: two county officials per county (the first of the first county logs in), one
    # supervisor per township, one director per village (the caseworkers); no usable password
    # except the measured official's.
    uid = iter(range(1, 10**9))
    user_fields = dict(is_active=True, is_staff=False, is_superuser=False, date_joined=now, first_name="", last_name="", email="")
    officials: dict[int, list[int]] = {}
    director_of: dict[int, int] = {}
    for n, (kid, kcode) in enumerate(counties):
        officials[kid] = []
        for j in range(2):
            u = next(uid)
            name = "bench_county" if (n, j) == (0, 0) else f"county_{kcode}_{j}"
            password = make_password(PASSWORD) if (n, j) == (0, 0) else "!"
            t(User).add(id=u, username=name, password=password, role="county_official", region_id=kid, language="zh-hans", **user_fields)
            officials[kid].append(u)
    for tid in sorted(set(township_of.values())):
        t(User).add(id=next(uid), username=f"supervisor_{tid}", password="!", role="township_supervisor", region_id=tid, language="zh-hans", **user_fields)
    for vid in sorted(township_of):
        u = next(uid)
        t(User).add(id=u, username=f"director_{vid}", password="!", role="village_director", region_id=vid, language="zh-hans", **user_fields)
        director_of[vid] = u

    iid = iter(range(1, 10**9))
    institutions_of: dict[int, list[int]] = {}
    for kid, kcode in counties:
        institutions_of[kid] = []
        for kind in ("childrens_home", "social_work"):
            i = next(iid)
            t(Institution).add(id=i, name=f"{kcode}-{kind}", kind=kind, region_id=kid, capacity=100)
            institutions_of[kid].append(i)

    # Children, evenly over the counties, then at random over the county's villages.
    child_village: list[int] = [0] * (n_children + 1)
    child_county: list[int] = [0] * (n_children + 1)
    per_county, extra = divmod(n_children, len(counties))
    c = 0
    for index, (kid, _kcode) in enumerate(counties):
        villages = villages_of[kid]
        for _i in range(per_county + (1 if index < extra else 0)):
            c += 1
            vid = villages[int(rand() * len(villages))]
            child_village[c], child_county[c] = vid, kid
            birth = _day(-randint(200, 17 * 365))
            t(Child).add(
                id=c, name=f"儿童{c}", id_number=None, sex="M" if c % 2 else "F", birth_date=birth, region_id=vid,
                household_region_id=vid, registered_on=max(birth, _day(-2000)), review_status="approved", created_at=now, updated_at=now,
            )

    # Cases: `n_cases` over distinct children, except that the first `second` children also have
    # an earlier closed case; the open ones are of children with one case only.
    second = min(n_cases // 20, max(0, n_cases - n_open) // 2)
    distinct = n_cases - second
    people = rng.sample(range(1, n_children + 1), distinct)
    specs: list[tuple[int, bool]] = [(people[k], False) for k in range(distinct)]
    specs += [(people[k], False) for k in range(second)]  # the children's earlier closed cases
    for k in range(second, second + n_open):
        specs[k] = (people[k], True)
    ids = {m: iter(range(1, 10**9)) for m in (CaseReport, Assessment, CasePlan, PlanMeasure, Referral, FollowUp, CaseNote)}
    counts: dict[str, int] = defaultdict(int)
    domains = ["safety", "health", "education", "psychological", "living"]
    agencies = ["派出所", "学校", "医院", "法院", "检察院", "妇联"]
    concerns = ["neglect", "abuse", "domestic_violence", "guardianship_missing", "malnutrition", "psychological", "injury"]

    def report(case_id, child_id, vid, kid, received: datetime.datetime, status: str, worker) -> None:
        r = next(ids[CaseReport])
        t(CaseReport).add(
            id=r, source=choice(["mandatory_report", "mandatory_report", "walk_in", "check", "police"]),
            reporter_type=choice(["school", "hospital", "village_committee", "neighbour"]), reporter_name="王老师",
            reporter_phone="13800000000", child_id=child_id, child_name=f"儿童{child_id}" if child_id else "不知名儿童",
            region_id=vid, county_id=kid, concern=choice(concerns), urgency=choice(["urgent", "normal", "normal"]),
            description="发现儿童无人照料", police_notified_at=None, received_at=received,
            respond_by=received + datetime.timedelta(days=14), status=status,
            reason="不属于困境儿童" if status == "screened_out" else "", case_id=case_id, check_record_id=None,
            filed_by_id=worker or officials[kid][0], screened_by_id=officials[kid][0] if status != "received" else None,
            screened_at=received + datetime.timedelta(days=2) if status != "received" else None,
        )
        counts["reports"] += 1

    def plan(case_id, version, status, written, review_on, worker, official, *, latest_open: bool) -> None:
        p = next(ids[CasePlan])
        decided = status in ("approved", "returned")
        t(CasePlan).add(
            id=p, case_id=case_id, version=version, review_on=review_on, status=status, written_by_id=worker or official,
            submitted_by_id=(worker or official) if status != "draft" else None, decided_by_id=official if decided else None,
            decided_at=_at(written + datetime.timedelta(days=3)) if decided else None,
        )
        for d in rng.sample(domains, 3):
            if latest_open:
                # The plan in force: some measures done, most due in the coming months, some late.
                x = rand()
                if x < 0.25:
                    due, status_m = _day(-randint(1, 300)), choice(["done", "done", "dropped"])
                elif x < 0.33:
                    due, status_m = _day(-randint(1, 90)), choice(["planned", "in_progress"])
                else:
                    due, status_m = _day(randint(0, 180)), choice(["planned", "in_progress"])
            else:
                # Superseded versions and closed cases: in the past, a few never marked done.
                due = written + datetime.timedelta(days=randint(14, 150))
                status_m = "planned" if rand() < 0.2 else choice(["done", "dropped"])
            t(PlanMeasure).add(
                id=next(ids[PlanMeasure]), plan_id=p, domain=d, action="每周入户走访，落实监护责任", responsible="村儿童主任",
                due_on=due, status=status_m,
            )
            counts["measures"] += 1
        counts["plans"] += 1

    for case_id, (child_id, is_open) in enumerate(specs, start=1):
        vid, kid = child_village[child_id], child_county[child_id]
        worker = director_of[vid] if rand() < 0.9 else None
        official = officials[kid][case_id % 2]
        if is_open:
            opened = _day(-randint(7, 730))
            closed = None
        else:
            opened = _day(-randint(60, 1500))
            closed = min(TODAY - datetime.timedelta(days=1), opened + datetime.timedelta(days=randint(30, 400)))
        risk = choice(["high", "medium", "medium", "low", "low"]) if is_open else choice(["low", "medium", "high"])
        next_due = None
        if is_open:
            next_due = _day(-randint(1, 45)) if rand() < 0.1 else _day(randint(0, 90))
        t(Case).add(
            id=case_id, child_id=child_id, status="open" if is_open else "closed", risk_level=risk, opened_on=opened,
            opened_from="report", caseworker_id=worker, next_follow_up_due=next_due, closed_on=closed,
            closure_reason="" if is_open else choice(["risk_resolved", "risk_resolved", "turned_18", "moved_away", "placed"]),
            closure_note="", closed_by_id=None if is_open else official,
        )
        report(case_id, child_id, vid, kid, _at(opened - datetime.timedelta(days=2)), "screened_in", worker)
        if rand() < 0.1:
            report(case_id, child_id, vid, kid, _at(opened + datetime.timedelta(days=randint(1, 30))), "screened_in", worker)
        t(Assessment).add(
            id=next(ids[Assessment]), case_id=case_id, assessed_on=opened + datetime.timedelta(days=5),
            grade=choice(["insufficient", "improper", "missing", "normal"]), risk_level=risk,
            assessors=["村儿童主任", "镇督导员", "社工"], needs={"safety": "加强看护"}, status="approved",
            written_by_id=worker or official, submitted_by_id=worker or official, decided_by_id=officials[kid][(case_id + 1) % 2],
            decided_at=_at(opened + datetime.timedelta(days=7)), comment="",
        )
        counts["assessments"] += 1
        end = closed or TODAY
        written = opened + datetime.timedelta(days=10)
        versions = 1
        if (end - written).days > 200 and rand() < 0.4:
            versions = 2
        for v in range(1, versions + 1):
            w = written + datetime.timedelta(days=(v - 1) * 180)
            latest = is_open and v == versions
            if latest:
                # The plan in force is reassessed six months on; a few are past that date.
                review_on = _day(-randint(1, 60)) if rand() < 0.08 else _day(randint(0, 180))
            else:
                review_on = w + datetime.timedelta(days=182)
            plan(case_id, v, "approved", w, review_on, worker, official, latest_open=latest)
        if is_open and rand() < 0.1:  # a new version in the works
            plan(case_id, versions + 1, choice(["draft", "submitted", "returned"]), _day(-3), _day(180), worker, official, latest_open=False)
        for _r in range(1 if rand() < 0.6 else (2 if rand() < 0.5 else 0)):
            to_inst = rand() < 0.4
            if is_open:
                status = choice(["sent", "accepted", "accepted", "completed", "declined"])
            else:
                status = choice(["completed", "completed", "declined"])
            t(Referral).add(
                id=next(ids[Referral]), case_id=case_id, to_institution_id=choice(institutions_of[kid]) if to_inst else None,
                to_agency="" if to_inst else choice(agencies), service="心理疏导", consent="监护人同意", status=status,
                reason="名额已满" if status == "declined" else "", sent_on=written, sent_by_id=worker or official,
                answered_by_id=None if status == "sent" else official,
                answered_at=None if status == "sent" else _at(written + datetime.timedelta(days=3)),
            )
            counts["referrals"] += 1
        # Follow-ups: the done ones (monthly-ish since opening), and the pending one if open.
        day = opened
        done = 0
        while done < 6:
            day = day + datetime.timedelta(days=randint(20, 60))
            if day >= end:
                break
            t(FollowUp).add(id=next(ids[FollowUp]), case_id=case_id, due_on=day, done_on=day, notes="入户走访，情况稳定", done_by_id=worker or official)
            done += 1
        if is_open:
            t(FollowUp).add(id=next(ids[FollowUp]), case_id=case_id, due_on=next_due, done_on=None, notes="", done_by_id=None)
        counts["follow_ups"] += done + (1 if is_open else 0)
        t(CaseNote).add(id=next(ids[CaseNote]), case_id=case_id, written_by_id=worker or official, written_at=_at(opened), text="已联系监护人")

    # Reports screened out, and reports waiting for screening (some past their deadline).
    for _k in range(n_cases // 6):
        child_id = randint(1, n_children)
        received = _at(_day(-randint(20, 1000)))
        report(None, child_id, child_village[child_id], child_county[child_id], received, "screened_out", None)
    waiting = max(1, n_cases // 70)
    for k in range(waiting):
        child_id = randint(1, n_children) if k % 3 else None
        vid = child_village[child_id] if child_id else choice(villages_of[choice(counties)[0]])
        kid = child_county[child_id] if child_id else county_of_village[vid]
        # A third past the deadline (received 15–40 days ago with 14 days to answer).
        received = _at(_day(-randint(15, 40))) if k % 3 == 0 else _at(_day(-randint(0, 10)))
        report(None, child_id, vid, kid, received, "received", None)
    counts["waiting_reports"] = waiting

    for model in (Region, User, Institution, Child, Case, CaseReport, Assessment, CasePlan, PlanMeasure, Referral, FollowUp, CaseNote):
        tables[model].copy()
    _reset_sequences(list(tables))
    with connection.cursor() as cursor:
        # What autovacuum does to a loaded database before long (statistics, visibility map),
        # and the loaded pages written out now rather than while the clients measure.
        cursor.execute("VACUUM (ANALYZE)")
        cursor.execute("CHECKPOINT")
    counts.update(children=n_children, cases=len(specs), open_cases=n_open, counties=len(counties))
    return dict(counts)


# --- the daily job --------------------------------------------------------------------------


def run_job(db_url: str, today: datetime.date) -> dict:
    """The job in a fresh process: its own peak RSS (ru_maxrss) is the figure."""
    out = subprocess.run(
        [sys.executable, __file__, "--run-job", today.isoformat(), "--url", db_url],
        check=True,
        capture_output=True,
        text=True,
        cwd=str(ROOT),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _job_main(db_url: str, today: str) -> None:
    _setup_django(db_url)
    from django.db import connection
    from django.utils import translation

    from cases.protection.notifications import casework_flag_overdue

    # A worker has its translation catalogues loaded at start; load them before the clock.
    for language in ("zh-hans", "en"):
        with translation.override(language):
            translation.gettext("Case follow-up overdue")
    connection.ensure_connection()
    t0 = time.perf_counter()
    result = casework_flag_overdue(today=datetime.date.fromisoformat(today))
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": round(seconds, 2), "peak_rss_mb": round(_peak_rss_mb(), 1), **result.as_dict()}))


def _peak_rss_mb() -> float:
    """This process's own peak RSS: VmHWM, the high-water mark of its memory since exec. (Linux
    keeps ru_maxrss across exec: a job started by this large loading process would report the
    loader's size, not its own.)"""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the worklist API -----------------------------------------------------------------------


def wait_for_api(timeout: float) -> bool:
    """The worklist API is written by another hand: wait for its module (polling, not sleeping
    through anything else: everything else is built and measured first)."""
    deadline = time.monotonic() + timeout
    while not API_FILE.exists():
        if time.monotonic() > deadline:
            return False
        print(f"waiting for {API_FILE.relative_to(ROOT)} …", file=sys.stderr)
        time.sleep(30)
    return True


def measure_worklist(db_url: str, db_name: str, *, workers: int, clients: int, requests_n: int, cache: bool) -> dict:
    import requests

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    out: dict = {"worklist_cache": cache, "loadavg_before": round(os.getloadavg()[0], 2)}
    saved = os.environ.get("CHILD_LIST_CACHE_SECONDS")
    if not cache:
        os.environ["CHILD_LIST_CACHE_SECONDS"] = "0"  # every page computed (the server's environment)
    try:
        proc = start_gunicorn(db_url, port, workers)
    finally:
        if saved is None:
            os.environ.pop("CHILD_LIST_CACHE_SECONDS", None)
        else:
            os.environ["CHILD_LIST_CACHE_SECONDS"] = saved
    try:
        as_county = {"Authorization": token_session(base, "bench_county").headers["Authorization"]}
        probe = requests.get(f"{base}/api/cases/?status=open", headers=as_county, timeout=60)
        if probe.status_code != 200 or "count" not in probe.json():
            return {**out, "worklist_missing": f"GET /api/cases/?status=open answered {probe.status_code}"}
        body = probe.json()
        count = body["count"]
        pages = max(1, math.ceil(count / 50))
        out.update(worklist_count=count, worklist_pages=pages, worklist_page_size=len(body["results"]))
        rng = random.Random(21)
        urls = [f"{base}/api/cases/?status=open&page={rng.randint(1, pages)}" for _i in range(requests_n)]
        measure(as_county, urls[:100], clients)  # warm every worker up
        pids = _server_pids(proc, db_name)
        cpu_before = _cpu_seconds(pids)
        lat, wall, codes = measure(as_county, urls, clients)
        cpu = _cpu_seconds(pids) - cpu_before
        assert set(codes) == {200}, codes
        out.update(
            worklist_p95_ms=p95(lat),
            worklist_median_ms=round(sorted(lat)[len(lat) // 2], 1),
            worklist_rps=round(len(lat) / wall, 1),
            # CPU of the gunicorn workers and their database backends per request: what the
            # latency would be made of on an idle machine (the clients' own CPU not included).
            worklist_server_cpu_ms=round(cpu / len(lat) * 1000, 2),
            loadavg_after=round(os.getloadavg()[0], 2),
        )
        return out
    finally:
        stop_gunicorn(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--open", type=int, default=50_000)
    parser.add_argument("--db", default="welfare_bench_cases")
    parser.add_argument("--reuse", action="store_true", help="measure again on the data of an earlier --keep run")
    parser.add_argument("--keep", action="store_true", help="keep the database (default: dropped at the end)")
    parser.add_argument("--skip-job", action="store_true")
    parser.add_argument("--skip-worklist", action="store_true")
    parser.add_argument("--api-wait", type=float, default=3 * 3600, help="seconds to wait for cases/protection/api.py")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1, help="gunicorn sync workers (cores + 1)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--cache-off", action="store_true", help="measure the worklist again with its page cache off")
    parser.add_argument("--run-job")
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.run_job:
        _job_main(args.url, args.run_job)
        return
    db_url = _base_url(args.db)
    result: dict = {}
    try:
        if not args.reuse:
            create_database(args.db)
        _setup_django(db_url)
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0, interactive=False)
        if not args.reuse:
            t0 = time.monotonic()
            built = load_data(args.children, args.cases, args.open)
            result["load_s"] = round(time.monotonic() - t0, 1)
            print(f"loaded {built}", file=sys.stderr)
        else:
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM welfare_notification WHERE kind = 'casework'")  # the job starts afresh
        from cases.protection.models import Case

        result["cases"] = Case.objects.count()
        result["open_cases"] = Case.objects.filter(status="open").count()
        connection.close()
        if not args.skip_job:
            first = run_job(db_url, TODAY)
            again = run_job(db_url, TODAY)
            next_day = run_job(db_url, TODAY + datetime.timedelta(days=1))
            result.update(
                daily_job_seconds=first["seconds"],
                daily_job_peak_rss_mb=first["peak_rss_mb"],
                flagged={k: first[k] for k in ("follow_ups", "measures", "plans", "reports")},
                notifications=first["notifications"],
                rerun_same_day_seconds=again["seconds"],
                rerun_same_day_new_notifications=again["notifications"],
                next_day_seconds=next_day["seconds"],
                next_day_new_notifications=next_day["notifications"],
                next_day_peak_rss_mb=next_day["peak_rss_mb"],
            )
            print(f"daily job {result['daily_job_seconds']} s, {result['daily_job_peak_rss_mb']} MB", file=sys.stderr)
        if not args.skip_worklist:
            if wait_for_api(args.api_wait):
                common = dict(workers=args.workers, clients=args.clients, requests_n=args.requests)
                result.update(measure_worklist(db_url, args.db, cache=True, **common))
                if args.cache_off:
                    off = measure_worklist(db_url, args.db, cache=False, **common)
                    result.update({f"cache_off_{k}": v for k, v in off.items() if k.startswith("worklist_") and k != "worklist_cache"})
            else:
                result["worklist_missing"] = "cases/protection/api.py not written yet"
    finally:
        if not args.keep:
            import psycopg

            with psycopg.connect(_base_url("postgres"), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
    out = {
        "cases": result.pop("cases", None),
        "worklist_p95_ms": result.pop("worklist_p95_ms", None),
        "worklist_rps": result.pop("worklist_rps", None),
        "daily_job_seconds": result.pop("daily_job_seconds", None),
        "daily_job_peak_rss_mb": result.pop("daily_job_peak_rss_mb", None),
        **result,
        "clients": args.clients,
        "gunicorn_workers": args.workers,
        "cpus": os.cpu_count(),
    }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
