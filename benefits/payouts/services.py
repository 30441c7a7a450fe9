"""Writes of the monthly payout run and of adjustments: asking for a county's run (or every
county's), computing it in one transaction, recomputing, approving and marking it exported;
corrections of an approved month; the beat entry of the monthly runs. The only place their
rules live."""

import datetime
import logging
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from benefits.enrollments.models import Enrollment
from benefits.enrollments.services import county_of
from benefits.grants.models import Grant
from benefits.grants.services import (
    grant_payouts_discard,
    grant_payouts_insert,
    grant_payouts_record,
    grant_payouts_statements,
)
from benefits.payouts.models import Adjustment, Payout, PayoutRun, payout_id, payout_month_base
from benefits.standards.resolve import StandardBook, StandardCycle, StandardMissing, path_codes
from benefits.standards.services import _money
from cases.children.categories import PAID_CATEGORIES
from cases.children.models import Child
from welfare.audit import audit_record, audit_record_many, audit_row
from welfare.batch import CompiledQuery, execute_batch, insert_statement, update_row_with_history_statements
from welfare.errors import field_error
from welfare.models import Region
from welfare.months import add_months, eighteen_cutoff, month_start, parse_month
from welfare.roles import Action, require
from welfare.scoping import require_in_scope

logger = logging.getLogger(__name__)


def _enqueue_compute(run_id: int) -> None:
    from benefits.payouts.tasks import payout_run_compute_task

    def send() -> None:
        from kombu.exceptions import OperationalError as BrokerUnreachable

        try:
            payout_run_compute_task.delay(run_id=run_id)
        except BrokerUnreachable:
            # Not lost silently: the run says so (asking again restarts a failed run), and the
            # caller gets the error (answered 503 by welfare.middleware.ServiceUnavailableMiddleware).
            PayoutRun.objects.filter(id=run_id, status=PayoutRun.Status.COMPUTING).update(
                status=PayoutRun.Status.FAILED, error="The job queue (broker) was unreachable; the computation was not queued."
            )
            raise

    transaction.on_commit(send)


def _payable_month(value) -> datetime.date:
    """The month a run may pay: parsed, and not in the future."""
    month = parse_month(value)
    if month > month_start(timezone.localdate()):
        raise field_error("month", _("A month in the future cannot be paid yet."))
    return month


def payout_run_start(*, by, region: Region, month, enqueue: bool = True) -> tuple[PayoutRun, bool]:
    """Ask for a county's run of a month. Answers the existing run when there is one (a failed one
    is restarted); otherwise creates it as `computing` and queues the computation."""
    if by is not None:
        require(by, Action.RUN_PAYOUTS)
    if region is None or region.level != Region.Level.COUNTY:
        raise field_error("region", _("Payout runs are per county: choose a county."))
    if by is not None:
        require_in_scope(by, region)
    month = _payable_month(month)
    with transaction.atomic():
        run, created = PayoutRun.objects.get_or_create(
            region=region, month=month, defaults={"created_by": by if getattr(by, "pk", None) else None}
        )
        if not created and run.status == PayoutRun.Status.FAILED:
            PayoutRun.objects.filter(id=run.id, status=PayoutRun.Status.FAILED).update(status=PayoutRun.Status.COMPUTING, error="")
            run.refresh_from_db()
        if created:
            audit_record(actor=by, action="payout_run.started", target=run)
        if enqueue and run.status == PayoutRun.Status.COMPUTING:
            _enqueue_compute(run.id)  # re-queueing a computing run is harmless: the claim decides
    return run, created


def payout_runs_start_all(*, month, region: Region | None = None, enqueue: bool = True) -> list[PayoutRun]:
    """Start every county's run of a month (the beat job on the 1st, or the command): counties that
    pay someone that month, or the one county asked for. Set-based: the missing runs are created
    together (with their history and audit rows), failed ones restarted, in one transaction; a
    concurrent start of the same month (beat firing twice) falls back to one county at a time,
    where the unique (county, month) constraint decides."""
    month = parse_month(month)
    if region is not None:
        return [payout_run_start(by=None, region=region, month=month, enqueue=enqueue)[0]]
    month = _payable_month(month)
    # One index probe per county (enrollment_payout_run), not a scan of every enrollment.
    paying = Enrollment.objects.filter(county=OuterRef("pk"), start_month__lte=month).filter(
        Q(end_month__isnull=True) | Q(end_month__gte=month)
    )
    granted = Grant.objects.filter(county=OuterRef("pk"), status=Grant.Status.APPROVED)  # grant instalments (benefits/grants)
    counties = list(Region.objects.filter(level=Region.Level.COUNTY).filter(Exists(paying) | Exists(granted)).order_by("code"))
    try:
        with transaction.atomic():
            runs = {run.region_id: run for run in PayoutRun.objects.filter(month=month, region__in=counties)}
            new = PayoutRun.objects.bulk_create(
                [PayoutRun(region=c, month=month) for c in counties if c.id not in runs]
            )
            PayoutRun.history.bulk_history_create(new)
            audit_record_many(actor=None, action="payout_run.started", targets=new)
            runs.update({run.region_id: run for run in new})
            failed = [run.id for run in runs.values() if run.status == PayoutRun.Status.FAILED]
            if failed:
                PayoutRun.objects.filter(id__in=failed, status=PayoutRun.Status.FAILED).update(
                    status=PayoutRun.Status.COMPUTING, error=""
                )
                for run in PayoutRun.objects.filter(id__in=failed):
                    runs[run.region_id] = run
            started = [runs[c.id] for c in counties]
            if enqueue:
                # Longest first (the workers take tasks in queue order): the counties that paid most
                # last month are queued first, so no large county is left to run alone at the end.
                last = dict(
                    PayoutRun.objects.filter(month=add_months(month, -1), region__in=counties).values_list("region_id", "payout_count")
                )
                for run in sorted(started, key=lambda r: -last.get(r.region_id, 0)):
                    if run.status == PayoutRun.Status.COMPUTING:
                        _enqueue_compute(run.id)  # re-queueing a computing run is harmless: the claim decides
    except IntegrityError:  # another start of the same month created some of them meanwhile
        return [payout_run_start(by=None, region=c, month=month, enqueue=enqueue)[0] for c in counties]
    return started


ACTIVE_SQL = (
    "e.county_id = %(county)s AND e.start_month <= %(month)s "
    "AND (e.end_month IS NULL OR e.end_month >= %(month)s) "
    "AND (c.died_on IS NULL OR c.died_on >= %(month)s) AND c.birth_date >= %(cutoff)s"
)


def _active_enrollments(params: dict):
    """The ORM twin of ACTIVE_SQL: enrollments the county pays for the month."""
    return (
        Enrollment.objects.filter(county_id=params["county"], start_month__lte=params["month"])
        .filter(Q(end_month__isnull=True) | Q(end_month__gte=params["month"]))
        .filter(Q(child__died_on__isnull=True) | Q(child__died_on__gte=params["month"]))
        .filter(child__birth_date__gte=params["cutoff"])
    )


def _resolution_map(*, run: PayoutRun, params: dict) -> tuple[list[tuple[int, str, Decimal, int]], list[dict]]:
    """The amount and standard version per (child's region, category), resolved in Python for the
    few distinct pairs, so the rows themselves are written by one INSERT … SELECT.

    Standards are set by provinces, cities and counties (standard_create refuses lower levels),
    so every child of a county resolves on the county's path: the map is keyed by category alone
    (region 0). If a standard below county level exists anyway (e.g. typed into the admin), the
    map is keyed by each child region instead. A child living outside the paying county is paid at
    the county's standard."""
    county = run.region
    problems: list[dict] = []
    mapping: list[tuple[int, str, Decimal, int]] = []
    # One query: the standards on the county's path, and any set below it (then the map is per region).
    book = StandardBook(on=run.month, paths=[county.path], below=county.path)
    if not book.below_found:
        failed: dict[str, str] = {}
        for category in PAID_CATEGORIES:
            try:
                r = book.resolve(path_codes(county.path), category)
            except (StandardMissing, StandardCycle) as exc:
                failed[category] = str(exc)
                continue
            mapping.append((0, category, r.amount, r.standard.id))
        if failed:
            counts = (
                _active_enrollments(params)
                .filter(category__in=list(failed))
                .values("category")
                .annotate(n=Count("id"))
                .order_by("category")
            )
            for row in counts:
                problems.append({"region": county.code, "category": row["category"], "count": row["n"], "message": failed[row["category"]]})
        return mapping, problems
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.region_id, e.category, COUNT(*) FROM benefits_enrollment e "  # noqa: S608 - constant fragments and %s placeholders only
            "JOIN cases_child c ON c.id = e.child_id WHERE " + ACTIVE_SQL + " GROUP BY c.region_id, e.category",
            params,
        )
        pairs = cur.fetchall()
    region_paths = dict(Region.objects.filter(id__in={p[0] for p in pairs}).values_list("id", "path"))
    # Every child's path lies under the county (or is resolved on the county's): the book holds them all.
    resolve_path = {rid: (p if p.startswith(county.path) else county.path) for rid, p in region_paths.items()}
    for region_id, category, count in pairs:
        try:
            r = book.resolve(path_codes(resolve_path[region_id]), category)
        except (StandardMissing, StandardCycle) as exc:
            code = resolve_path[region_id].rstrip("/").rsplit("/", 1)[-1]
            problems.append({"region": code, "category": category, "count": count, "message": str(exc)})
            continue
        mapping.append((region_id, category, r.amount, r.standard.id))
    return mapping, problems


def _pending_adjustments(county_id: int, month: datetime.date):
    """The county's adjustments waiting for a run whose month has come: this run pays them."""
    return Adjustment.objects.filter(county_id=county_id, run__isnull=True, month__lte=month)


_PENDING = CompiledQuery(lambda county_id, month: _pending_adjustments(county_id, month).values("id"))


def _write_lines(*, run: PayoutRun, mapping, params: dict, conflict: bool = False) -> tuple[dict[str, tuple[int, Decimal]] | None, int]:
    """Write the run's lines: its payouts, its grant instalments (benefits/grants) and the pending
    adjustments it pays. Answers the payouts' totals by category (count, sum) when the statements
    themselves give them and they are all the run has — None when they must be read back from the
    table (see _set_totals) — and how many adjustments were attached. On PostgreSQL everything
    goes in one round trip (_write_lines_postgresql); elsewhere through the ORM."""
    if connection.vendor == "postgresql":
        return _write_lines_postgresql(run=run, mapping=mapping, params=params, conflict_possible=conflict or run.computed_at is not None)
    # Portable path (SQLite, the embedded demo): the same rows through the ORM.
    by_category = all(region_id == 0 for region_id, *_rest in mapping)
    lookup = {(r, c): (a, s) for r, c, a, s in mapping}
    qs = _active_enrollments(params).values_list("id", "child_id", "child__region_id", "category")
    month = params["month"]
    batch = []
    for eid, cid, rid, cat in qs.iterator(chunk_size=2000) if mapping else ():
        hit = lookup.get((0 if by_category else rid, cat))
        if hit is None:
            continue
        batch.append(
            Payout(
                id=payout_id(cid, month),
                run=run,
                child_id=cid,
                enrollment_id=eid,
                category=cat,
                month=month,
                amount=hit[0],
                standard_id=hit[1],
            )
        )
        if len(batch) >= 2000:
            Payout.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    Payout.objects.bulk_create(batch, ignore_conflicts=True)
    grant_payouts_insert(run=run)
    return None, _pending_adjustments(run.region_id, run.month).update(run=run)


_PAYOUT_COLUMNS = (
    "INSERT INTO benefits_payout (id, run_id, child_id, enrollment_id, category, month, amount, standard_id) "
)


_PAID_IN_MONTH = "e.county_id = %s AND e.start_month <= %s AND e.paid_through >= %s"


def _payout_insert_sql(*, mapping, by_category: bool, on_conflict: bool) -> tuple[str, list]:
    """The INSERT … SELECT of a county's month in one statement: the enrollments paid in the month
    (their `paid_through`, kept by the database, already folds in the end month, the 18th birthday
    and death: see benefits/payouts/schema.py), joined to the standards resolved once per (region,
    category) as a VALUES list; the child is joined only when standards differ below the county.
    Placeholders: the month's key base, run, month, the VALUES rows, county, month, month."""
    values = ",".join(["(%s::bigint, %s::varchar, %s::numeric, %s::bigint)"] * len(mapping))
    flat = [v for row in mapping for v in row]
    region_match = "" if by_category else "m.region_id = c.region_id AND "
    child_join = "" if by_category else "JOIN cases_child c ON c.id = e.child_id "
    sql = (
        _PAYOUT_COLUMNS  # noqa: S608 - constant fragments and %s placeholders only
        + "SELECT %s::bigint | e.child_id, %s, e.child_id, e.id, e.category, %s, m.amount, m.standard_id "  # noqa: S608
        + f"FROM benefits_enrollment e {child_join}"
        + f"JOIN (VALUES {values}) AS m(region_id, category, amount, standard_id) "
        + f"ON {region_match}m.category = e.category "
        + "WHERE "
        + _PAID_IN_MONTH
    )
    if on_conflict:
        sql += " ON CONFLICT DO NOTHING"
    return sql, flat


# A county is a small slice of the enrollments: read them through the index rather than scanning
# the table; no JIT compilation for a statement this short. Local to the run's transaction (SET
# LOCAL, as a statement that can be prepared: welfare.batch).
_RUN_SETTINGS: list[tuple[str, list]] = [("SELECT set_config('random_page_cost', '1.1', true), set_config('jit', 'off', true)", [])]


# One category of a county's month (the usual case: standards set at county level or above, one
# amount per category). Placeholders: key base, run, month, amount, standard, county, month, month,
# category. Its row count is the category's count, its total count × amount: no second read.
_PAYOUT_CATEGORY_SQL = (
    _PAYOUT_COLUMNS  # noqa: S608 - constant fragments and %s placeholders only
    + "SELECT %s::bigint | e.child_id, %s, e.child_id, e.id, e.category, %s, %s::numeric, %s::bigint "
    "FROM benefits_enrollment e WHERE " + _PAID_IN_MONTH + " AND e.category = %s"
)


class _PayoutConflict(Exception):
    """A plain INSERT of the run hit the payout key: compute the run again with ON CONFLICT."""


def _write_lines_postgresql(*, run: PayoutRun, mapping, params: dict, conflict_possible: bool) -> tuple[dict[str, tuple[int, Decimal]] | None, int]:
    """The run's payouts, grant instalments and adjustments in ONE round trip: every statement of a
    county's run but the claim, the standards and the bookkeeping (run row, history, audit) — a
    round trip costs the worker's Python and the backend more than most of these statements do.

    Double payment is impossible either way: the primary key (child and month) refuses it. The
    claim (the run's row locked while `computing`, see _payout_run_compute) makes this worker the only
    writer of the run, so the usual case is a first computation that conflicts with nothing: plain
    INSERTs, one per category, whose row counts give the totals (no second read of the rows; a
    RETURNING clause would cost 15 % more). ON CONFLICT DO NOTHING costs a speculative insertion
    per row (measured: +40-60 % on the insert), so it is used only when a conflict is possible or
    has happened:
    - the run already has rows (its computation was forced again): ON CONFLICT straight away;
    - a plain INSERT hits the key (a child paid the same month by another county's run, e.g.
      overlapping enrollments): _PayoutConflict is raised, the whole transaction rolls back and
      payout_run_compute computes the run again with ON CONFLICT DO NOTHING, so the outcome is
      exactly that of ON CONFLICT DO NOTHING (the earlier payment stands, nothing is paid twice).
      No savepoint is taken for this rare case: it would cost two round trips in every county's run.
    A run holds rows only once a computation of it has committed (rows, totals and computed_at are
    written in one transaction; a recomputation deletes the rows and clears computed_at). The hint
    only chooses the faster statement: if it were ever wrong, the key would still refuse a second
    payment (see _PayoutConflict)."""
    m = params["month"]
    base = payout_month_base(m)
    by_category = all(region_id == 0 for region_id, *_rest in mapping)
    payouts: list[tuple[str, list]] = []
    if mapping and not conflict_possible and by_category:
        payouts = [(_PAYOUT_CATEGORY_SQL, [base, run.id, m, a, sid, params["county"], m, m, c]) for _r, c, a, sid in mapping]
    elif mapping:
        sql, flat = _payout_insert_sql(mapping=mapping, by_category=by_category, on_conflict=conflict_possible)
        if not conflict_possible:  # standards below the county: one statement, its totals from its own rows
            sql = f"WITH ins AS ({sql} RETURNING category, amount) SELECT category, COUNT(*), SUM(amount) FROM ins GROUP BY category ORDER BY category"  # noqa: S608 - constant fragments and %s placeholders only
        payouts = [(sql, [base, run.id, m, *flat, params["county"], m, m])]
    grants = grant_payouts_statements(run, discard_own=conflict_possible)
    pending, pending_params, _shape = _PENDING.statement(run.region_id, run.month)
    attach = (f"UPDATE benefits_adjustment SET run_id = %s WHERE id IN ({pending})", [run.id, *pending_params])  # noqa: S608 - the ORM's own SQL
    try:
        answers = execute_batch([*_RUN_SETTINGS, *payouts, *grants, attach])
    except IntegrityError as exc:
        if conflict_possible:
            raise
        raise _PayoutConflict from exc
    paid = answers[len(_RUN_SETTINGS) : len(_RUN_SETTINGS) + len(payouts)]
    grant_payouts_record(run, *answers[-2][1][0])
    inserted: dict[str, tuple[int, Decimal]] | None
    if conflict_possible:
        inserted = None
    elif mapping and by_category:
        inserted = {category: (n, amount * n) for (n, _rows), (_r, category, amount, _s) in zip(paid, mapping, strict=True) if n}
    else:
        inserted = {category: (n, total) for category, n, total in (paid[0][1] if paid else [])}
    return inserted, answers[-1][0]


def _set_totals(run: PayoutRun, inserted: dict[str, tuple[int, Decimal]] | None = None, *, no_adjustments: bool = False) -> None:
    """Count and total by category: from the INSERT's own rows when they are all the run has,
    otherwise one aggregate over the run's rows; the same for adjustments, unless the caller
    knows the run has none."""
    totals: dict[str, dict] = {}
    count, total = 0, Decimal("0.00")
    if inserted is None:
        rows = Payout.objects.filter(Payout.of_run(run)).values("category").annotate(n=Count("id"), s=Sum("amount")).order_by("category")
        inserted = {row["category"]: (row["n"], row["s"]) for row in rows}
    for category, (n, s) in sorted(inserted.items()):
        amount = Decimal(s).quantize(Decimal("0.01"))
        totals[category] = {"count": n, "amount": str(amount)}
        count += n
        total += amount
    adj = {"n": 0, "s": 0} if no_adjustments else Adjustment.objects.filter(run=run).aggregate(n=Count("id"), s=Sum("amount"))
    run.payout_count = count
    run.totals_by_category = totals
    run.adjustment_count = adj["n"] or 0
    run.adjustment_total = Decimal(adj["s"] or 0).quantize(Decimal("0.01"))
    run.total_amount = total + run.adjustment_total


def payout_run_compute(*, run_id: int) -> PayoutRun | None:
    """Compute a run in ONE transaction: claim it by locking its row while it is `computing` (a
    second worker waits and then finds nothing to do), insert one payout per active paid
    enrollment set-based (never twice: the primary key, and ON CONFLICT DO NOTHING whenever a
    conflict is possible, see _write_lines_postgresql), include pending adjustments,
    store the totals and flip to draft. A crash rolls everything back; the run stays `computing`
    and the next delivery of the task completes it. Returns None when there was nothing to do."""
    try:
        try:
            return _payout_run_compute(run_id=run_id)
        except _PayoutConflict:
            # Rolled back as a whole: computed again, the rows already paid this month skipped.
            logger.info("payout run %s: a payout already exists for some child this month; skipping it", run_id)
            return _payout_run_compute(run_id=run_id, conflict=True)
    except OperationalError:
        raise  # transient (connection lost, lock timeout…): the task retries
    except Exception as exc:
        logger.exception("payout run %s failed", run_id)
        PayoutRun.objects.filter(id=run_id, status=PayoutRun.Status.COMPUTING).update(
            status=PayoutRun.Status.FAILED, error=str(exc)[:2000]
        )
        raise


# The claim: the run's row, locked, while it is still `computing` (with its county).
_CLAIM = CompiledQuery(
    lambda run_id: PayoutRun.objects.select_for_update(of=("self",))
    .select_related("region")
    .filter(id=run_id, status=PayoutRun.Status.COMPUTING)[:1]
)


@transaction.atomic
def _payout_run_compute(*, run_id: int, conflict: bool = False) -> PayoutRun | None:
    # The claim: lock the run while it is still `computing`. A second worker waits on the lock and
    # then, the run being a draft by then, finds nothing (PostgreSQL re-checks the condition on
    # the row the first worker committed).
    claimed = _CLAIM.rows(run_id)
    run = claimed[0] if claimed else None
    if run is None:
        return None  # already computed (or approved, or gone): re-delivery and double beats end here
    run.attempts += 1
    run.started_at = timezone.now()
    params = {"county": run.region_id, "month": run.month, "cutoff": eighteen_cutoff(run.month)}
    mapping, problems = _resolution_map(run=run, params=params)
    # Payouts, education-grant instalments (apart from allowances: benefits/grants) and adjustments.
    inserted, attached = _write_lines(run=run, mapping=mapping, params=params, conflict=conflict)
    # A first computation (or one after payout_run_recompute, which detaches them) holds only the
    # adjustments it has just attached.
    _set_totals(run, inserted, no_adjustments=run.computed_at is None and not attached)
    run.problems = problems
    run.status = PayoutRun.Status.DRAFT
    run.computed_at = timezone.now()
    run.error = ""
    saved = {
        name: getattr(run, name)
        for name in (
            "payout_count", "total_amount", "totals_by_category", "adjustment_count", "adjustment_total",
            "problems", "status", "computed_at", "error", "attempts", "started_at", "grant_count", "grant_total",
        )
    }
    # The run row, its history row and the audit row in one statement (welfare/batch.py).
    audit = insert_statement(audit_row(actor=None, action="payout_run.computed", target=run, record_count=run.payout_count))
    execute_batch(update_row_with_history_statements(PayoutRun, run.id, when=run.computed_at, also=audit, **saved))
    return run


@transaction.atomic
def payout_run_recompute(*, by, run: PayoutRun) -> PayoutRun:
    """Throw away a draft (or failed) run's rows and compute it again (after fixing a standard or
    an enrollment). An approved run is frozen: corrections are adjustments."""
    require(by, Action.RUN_PAYOUTS)
    require_in_scope(by, run.region)
    run = PayoutRun.objects.select_for_update().get(id=run.id)
    if run.status not in (PayoutRun.Status.DRAFT, PayoutRun.Status.FAILED):
        raise field_error("status", _("Only a draft or failed run can be computed again; an approved run is frozen."))
    Payout.objects.filter(Payout.of_run(run)).delete()
    grant_payouts_discard(run)
    Adjustment.objects.filter(run=run).update(run=None)
    run.status, run.payout_count, run.total_amount, run.totals_by_category = PayoutRun.Status.COMPUTING, 0, 0, {}
    run.adjustment_count, run.adjustment_total, run.problems, run.error = 0, 0, [], ""
    run.computed_at = None
    run.save()
    audit_record(actor=by, action="payout_run.recomputed", target=run)
    _enqueue_compute(run.id)
    return run


@transaction.atomic
def payout_run_approve(*, by, run_id: int) -> PayoutRun:
    """Approve a draft run: flips its status (a million payout rows are not touched)."""
    require(by, Action.RUN_PAYOUTS)
    run = PayoutRun.objects.select_for_update().select_related("region").filter(id=run_id).first()
    if run is None:
        raise field_error("run", _("No such payout run."))
    require_in_scope(by, run.region)
    if run.status != PayoutRun.Status.DRAFT:
        raise field_error("status", _("Only a draft run can be approved (this one is %(s)s).") % {"s": run.get_status_display()})
    if run.problems:
        raise field_error(
            "status",
            _("Some enrolled children have no standard for this month: set the standard and compute the run again."),
        )
    run.status, run.approved_by, run.approved_at = PayoutRun.Status.APPROVED, by, timezone.now()
    run.save(update_fields=["status", "approved_by", "approved_at"])
    audit_record(actor=by, action="payout_run.approved", target=run, record_count=run.payout_count)
    return run


@transaction.atomic
def payout_run_mark_exported(*, by, run: PayoutRun) -> PayoutRun:
    """Record that the bank file was produced (the export itself is logged by welfare.exports)."""
    require(by, Action.RUN_PAYOUTS)
    require_in_scope(by, run.region)
    run = PayoutRun.objects.select_for_update().get(id=run.id)
    if run.status not in (PayoutRun.Status.APPROVED, PayoutRun.Status.EXPORTED):
        raise field_error("status", _("Approve the run before exporting it for the bank."))
    if run.status == PayoutRun.Status.APPROVED:
        run.status, run.exported_at = PayoutRun.Status.EXPORTED, timezone.now()
        run.save(update_fields=["status", "exported_at"])
    return run


def _next_open_month(county: Region) -> datetime.date:
    """The first month from now whose run is not frozen yet: where an adjustment is paid."""
    month = month_start(timezone.localdate())
    frozen = set(
        PayoutRun.objects.filter(region=county, month__gte=month, status__in=[PayoutRun.Status.APPROVED, PayoutRun.Status.EXPORTED])
        .values_list("month", flat=True)
    )
    while month in frozen:
        month = add_months(month, 1)
    return month


@transaction.atomic
def adjustment_create(
    *, by, child: Child, category: str, for_month, amount, reason: str, county: Region | None = None
) -> Adjustment:
    """Record a correction of an approved month: back pay (positive) or recovery (negative). It is
    paid in the next run of the paying county that is not frozen yet, and shows on both months."""
    require(by, Action.RUN_PAYOUTS)
    for_month = parse_month(for_month, field="for_month")
    if category not in PAID_CATEGORIES:
        raise field_error("category", _("Only paid categories are adjusted."))
    value = _money(amount, field="amount")
    if value == 0:
        raise field_error("amount", _("An adjustment of zero changes nothing."))
    if not (reason or "").strip():
        raise field_error("reason", _("Give the reason for the adjustment."))
    if county is None:
        enrollment = (
            Enrollment.objects.filter(child=child, start_month__lte=for_month)
            .filter(Q(end_month__isnull=True) | Q(end_month__gte=for_month))
            .select_related("county")
            .first()
        )
        county = enrollment.county if enrollment else county_of(child.household_region)
    if county is None:
        raise field_error("county", _("Choose the paying county."))
    require_in_scope(by, county)
    if for_month > month_start(timezone.localdate()):
        raise field_error("for_month", _("A month in the future cannot be corrected."))
    if value < 0:
        paid = Payout.objects.filter(id=payout_id(child.id, for_month), category=category).values_list("amount", flat=True).first()
        if paid is None or -value > paid:
            raise field_error("amount", _("A recovery cannot exceed what was paid for that month."))
    adjustment = Adjustment.objects.create(
        child=child,
        county=county,
        category=category,
        month=_next_open_month(county),
        for_month=for_month,
        amount=value,
        reason=reason.strip()[:300],
        created_by=by,
    )
    audit_record(actor=by, action="adjustment.created", target=adjustment, detail={"amount": str(value)})
    return adjustment


BEAT_TASK_NAME = "Start every county's payout run on the 1st"


def register_periodic_tasks() -> None:
    """Idempotent: the beat entry that starts every county's run at 01:00 on the 1st (local time)."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    schedule, _created = CrontabSchedule.objects.get_or_create(
        minute="0", hour="1", day_of_month="1", month_of_year="*", day_of_week="*", timezone=settings.TIME_ZONE
    )
    PeriodicTask.objects.update_or_create(
        name=BEAT_TASK_NAME,
        defaults={"task": "benefits.tasks.payout_runs_start_month_task", "crontab": schedule, "interval": None, "enabled": True},
    )
