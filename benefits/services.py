"""Writes of allowance standards, enrollments, payout runs and adjustments: the only place
their rules live. Views, API, admin, commands and Celery tasks call these."""

import datetime
import logging
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from benefits.models import (
    Adjustment,
    Enrollment,
    Payout,
    PayoutRun,
    Transfer,
    WelfareStandard,
    payout_id,
    payout_month_base,
)
from benefits.months import add_months, eighteen_cutoff, month_start, parse_month
from benefits.standards import StandardBook, StandardCycle, StandardMissing, path_codes
from cases.categories import PAID_CATEGORIES, Category
from cases.models import CategoryMembership, Child
from welfare.audit import audit_record, audit_record_many
from welfare.errors import ApplicationError, PermissionDeniedError
from welfare.models import Region
from welfare.roles import Action, require
from welfare.scoping import in_scope, require_in_scope

logger = logging.getLogger(__name__)

STANDARD_LEVELS = (Region.Level.PROVINCE, Region.Level.CITY, Region.Level.COUNTY)
ROUNDING = {"yuan": Decimal("1"), "jiao": Decimal("0.1")}


def _fail(field: str, message) -> ApplicationError:
    return ApplicationError(message, field_errors={field: message})


def _money(value, *, field: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        raise _fail(field, _("Enter an amount in yuan, for example 1600.00.")) from None
    if not amount.is_finite() or abs(amount) >= Decimal("100000000"):
        raise _fail(field, _("Enter an amount in yuan, for example 1600.00."))
    return amount


# --------------------------------------------------------------------------------------------
# Standards
# --------------------------------------------------------------------------------------------


def _check_no_cycles(*, region: Region, on: datetime.date) -> None:
    """Resolve every paid category at the region and every region beneath it that has standards,
    on `on` and on every later date a version takes effect: a circle of "refers to" is refused."""
    sub_paths = set(
        WelfareStandard.objects.filter(region__path__startswith=region.path).values_list("region__path", flat=True)
    ) | {region.path}
    codes: set[str] = set()
    for p in sub_paths:
        codes.update(path_codes(p))
    dates = {on} | set(
        WelfareStandard.objects.filter(region__code__in=codes, effective_from__gt=on).values_list("effective_from", flat=True)
    )
    for day in sorted(dates):
        book = StandardBook(on=day, paths=sub_paths)
        for p in sub_paths:
            for category in PAID_CATEGORIES:
                try:
                    book.resolve(path_codes(p), category, apply_floor=False)
                except StandardMissing:
                    pass
                except StandardCycle as exc:
                    raise _fail("refers_to", str(exc)) from None


def _check_minimum(*, standard: WelfareStandard) -> None:
    """An ordinary standard below a minimum in force on the region's path is refused."""
    if standard.is_minimum or standard.monthly_amount is None:
        return
    book = StandardBook(on=standard.effective_from, paths=[standard.region.path])
    floor = book.floor(path_codes(standard.region.path), standard.category)
    if floor is not None and floor.monthly_amount is not None and standard.monthly_amount < floor.monthly_amount:
        raise _fail(
            "monthly_amount",
            _("%(amount)s is below the minimum of %(minimum)s yuan set by %(region)s (%(document)s) in force from %(date)s.")
            % {
                "amount": standard.monthly_amount,
                "minimum": floor.monthly_amount,
                "region": floor.region.name,
                "document": floor.document or "-",
                "date": floor.effective_from.isoformat(),
            },
        )


@transaction.atomic
def standard_create(
    *,
    by,
    region: Region,
    category: str,
    effective_from: datetime.date,
    monthly_amount=None,
    refers_to: str | None = None,
    document: str = "",
    is_minimum: bool = False,
    _audit: bool = True,
) -> WelfareStandard:
    """Add a version of a standard. Old versions are never edited: a change is a new version."""
    if by is not None:
        require(by, Action.SET_STANDARDS)
        require_in_scope(by, region)
    if region.level not in STANDARD_LEVELS:
        raise _fail("region", _("Standards are set by a province, city or county."))
    if category not in PAID_CATEGORIES:
        raise _fail("category", _("Only paid categories have an allowance standard."))
    refers_to = refers_to or None
    if (monthly_amount in (None, "")) == (refers_to is None):
        raise _fail("monthly_amount", _("Give either a monthly amount or the category it refers to, not both."))
    amount = None
    if refers_to is not None:
        if refers_to not in PAID_CATEGORIES:
            raise _fail("refers_to", _("A standard can only refer to another paid category."))
        if refers_to == category:
            raise _fail("refers_to", _("A standard cannot refer to its own category."))
        if is_minimum:
            raise _fail("refers_to", _("A minimum needs an amount."))
    else:
        amount = _money(monthly_amount, field="monthly_amount")
        if amount < 0:
            raise _fail("monthly_amount", _("The monthly amount cannot be negative."))
    if is_minimum and region.level == Region.Level.COUNTY:
        raise _fail("is_minimum", _("Minimums are set by a province or city."))
    if not isinstance(effective_from, datetime.date):
        raise _fail("effective_from", _("Enter the date the standard takes effect."))
    if WelfareStandard.objects.filter(region=region, category=category, effective_from=effective_from, is_minimum=is_minimum).exists():
        raise _fail(
            "effective_from",
            _("There is already a version of this standard from %(date)s: versions are never edited, choose another date.")
            % {"date": effective_from.isoformat()},
        )
    standard = WelfareStandard(
        region=region,
        category=category,
        monthly_amount=amount,
        refers_to=refers_to,
        effective_from=effective_from,
        document=(document or "").strip()[:100],
        is_minimum=is_minimum,
        created_by=by if getattr(by, "pk", None) else None,
    )
    _check_minimum(standard=standard)
    try:
        with transaction.atomic():
            standard.save()
    except IntegrityError:
        raise _fail("effective_from", _("This version was saved a moment ago.")) from None
    if refers_to is not None:
        _check_no_cycles(region=region, on=effective_from)
    if _audit:
        audit_record(actor=by, action="standard.created", target=standard, detail={"category": category})
    return standard


def _round(value: Decimal, rounding: str) -> Decimal:
    return value.quantize(ROUNDING[rounding], rounding=ROUND_HALF_UP).quantize(Decimal("0.01"))


@transaction.atomic
def standard_raise(
    *,
    by,
    regions: list[Region],
    categories: list[str],
    effective_from: datetime.date,
    percent=None,
    amount=None,
    rounding: str = "yuan",
    document: str = "",
) -> list[WelfareStandard]:
    """Raise the standards of these regions and categories by a percentage or a fixed amount from
    a date (自然增长): a new version per standard, old versions untouched. Standards that refer
    to another category follow it automatically and are not copied. All or nothing."""
    if by is not None:
        require(by, Action.SET_STANDARDS)
    if (percent in (None, "")) == (amount in (None, "")):
        raise _fail("percent", _("Give either a percentage or an amount to raise by."))
    if rounding not in ROUNDING:
        raise _fail("rounding", _("Rounding is 'yuan' or 'jiao'."))
    if not regions:
        raise _fail("region", _("Choose at least one region."))
    if not categories:
        raise _fail("categories", _("Choose at least one category."))
    for c in categories:
        if c not in PAID_CATEGORIES:
            raise _fail("categories", _("Unknown or unpaid category: %(c)s") % {"c": c})
    step = _money(percent if amount in (None, "") else amount, field="percent" if amount in (None, "") else "amount")
    if step < 0:
        raise _fail("percent" if amount in (None, "") else "amount", _("A raise cannot be negative."))
    created: list[WelfareStandard] = []
    for region in regions:
        if by is not None:
            require_in_scope(by, region)
        for category in categories:
            for minimum in (False, True):
                current = (
                    WelfareStandard.objects.filter(
                        region=region, category=category, is_minimum=minimum, effective_from__lte=effective_from
                    )
                    .order_by("-effective_from", "-id")
                    .first()
                )
                if current is None or current.monthly_amount is None:
                    continue  # nothing of its own here, or it refers to another category and follows it
                if amount in (None, ""):
                    new_amount = _round(current.monthly_amount * (Decimal(1) + step / Decimal(100)), rounding)
                else:
                    new_amount = _round(current.monthly_amount + step, rounding)
                created.append(
                    standard_create(
                        by=by,
                        region=region,
                        category=category,
                        effective_from=effective_from,
                        monthly_amount=new_amount,
                        document=document,
                        is_minimum=minimum,
                        _audit=False,
                    )
                )
    if not created:
        raise _fail("categories", _("None of these regions has its own amount for these categories to raise."))
    audit_record(
        actor=by,
        action="standard.raised",
        record_count=len(created),
        detail={
            "regions": [r.code for r in regions],
            "categories": categories,
            "percent": str(percent) if percent not in (None, "") else None,
            "amount": str(amount) if amount not in (None, "") else None,
            "effective_from": effective_from.isoformat(),
        },
    )
    return created


# --------------------------------------------------------------------------------------------
# Enrollments
# --------------------------------------------------------------------------------------------


def county_of(region: Region | None) -> Region | None:
    if region is None:
        return None
    if region.level == Region.Level.COUNTY:
        return region
    return region.ancestor_at(Region.Level.COUNTY)


def _open_membership(*, child: Child, category: str, on: datetime.date, reason: str) -> None:
    """Make sure the child's category membership matches the paid enrollment (one paid at a time)."""
    current = CategoryMembership.objects.select_for_update().filter(
        child=child, category__in=PAID_CATEGORIES, end_date__isnull=True
    )
    for m in current:
        if m.category == category:
            return
        m.end_date = max(on, m.start_date)
        m.end_reason = _("Recognised as %(c)s") % {"c": Category(category).label}
        m.save(update_fields=["end_date", "end_reason"])
    CategoryMembership.objects.create(child=child, category=category, start_date=on, reason=reason[:200])


def _close_membership(*, child: Child, category: str, on: datetime.date, reason: str) -> None:
    for m in CategoryMembership.objects.select_for_update().filter(child=child, category=category, end_date__isnull=True):
        m.end_date = max(on, m.start_date)
        m.end_reason = reason[:200]
        m.save(update_fields=["end_date", "end_reason"])


def enrollment_open(
    *,
    by,
    child: Child,
    category: str,
    county: Region,
    start_month: datetime.date,
    application=None,
    bank_account_holder: str = "",
    bank_account: str = "",
    on: datetime.date | None = None,
) -> Enrollment:
    """Enroll a child (internal: callers check roles and scope). One active paid enrollment per child."""
    if category not in PAID_CATEGORIES:
        raise _fail("category", _("Only paid categories are enrolled."))
    if county.level != Region.Level.COUNTY:
        raise _fail("county", _("The paying region must be a county."))
    Child.objects.select_for_update().filter(id=child.id).first()  # serialise enrollments of one child
    if Enrollment.objects.filter(child=child, status=Enrollment.Status.ACTIVE).exists():
        raise _fail("child", _("This child already has a paid enrollment: end it first (one allowance at a time)."))
    overlapping = Enrollment.objects.filter(child=child, end_month__gte=month_start(start_month)).exists()
    if overlapping:
        raise _fail("start_month", _("An earlier enrollment is paid until a later month: start after it ends."))
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(
                child=child,
                category=category,
                county=county,
                start_month=month_start(start_month),
                application=application,
                bank_account_holder=(bank_account_holder or "").strip()[:50],
                bank_account=(bank_account or "").strip()[:40],
                created_by=by if getattr(by, "pk", None) else None,
            )
    except IntegrityError:
        raise _fail("child", _("This child already has a paid enrollment: end it first (one allowance at a time).")) from None
    _open_membership(child=child, category=category, on=on or timezone.localdate(), reason=_("Enrolled"))
    audit_record(actor=by, action="enrollment.opened", target=enrollment, detail={"category": category, "county": county.code})
    return enrollment


@transaction.atomic
def enrollment_create(
    *,
    by,
    child: Child,
    category: str,
    start_month: datetime.date,
    bank_account_holder: str = "",
    bank_account: str = "",
) -> Enrollment:
    """Enroll a child recognised before the system existed (migration of an existing caseload);
    the start month may be in the past. Paid by the county of household registration."""
    require(by, Action.ENROLL)
    county = county_of(child.household_region) or county_of(child.region)
    if county is None:
        raise _fail("child", _("The child's household registration has no county."))
    require_in_scope(by, county)
    start = month_start(start_month)
    if start > add_months(month_start(timezone.localdate()), 12):
        raise _fail("start_month", _("The first month cannot be more than a year ahead."))
    return enrollment_open(
        by=by,
        child=child,
        category=category,
        county=county,
        start_month=start,
        bank_account_holder=bank_account_holder,
        bank_account=bank_account,
    )


def _eighteenth_month(child: Child) -> datetime.date:
    b = child.birth_date
    return datetime.date(b.year + 18, b.month, 1)


@transaction.atomic
def enrollment_end(
    *,
    by,
    enrollment: Enrollment,
    reason: str,
    on: datetime.date | None = None,
    disabled: bool = False,
    note: str = "",
) -> Enrollment:
    """End a paid enrollment with a reason. The last month paid is the month of the event (the
    month of the 18th birthday for `age`, of death for `death`). An adopted disabled orphan keeps
    support: a new enrollment at the adopted-disabled-orphan category (which refers to the
    scattered-orphan standard) starts the next month."""
    if by is not None:
        require(by, Action.APPROVE)
        require_in_scope(by, enrollment.county)
    enrollment = Enrollment.objects.select_for_update().get(id=enrollment.id)
    if enrollment.status != Enrollment.Status.ACTIVE:
        raise _fail("reason", _("This enrollment has already ended."))
    if reason not in Enrollment.EndReason.values or reason in (Enrollment.EndReason.MOVED,):
        raise _fail("reason", _("Choose why the enrollment ends (a move has its own action)."))
    child = enrollment.child
    on = on or timezone.localdate()
    if reason == Enrollment.EndReason.AGE:
        on = child.birth_date.replace(year=child.birth_date.year + 18) if not (
            child.birth_date.month == 2 and child.birth_date.day == 29
        ) else datetime.date(child.birth_date.year + 18, 3, 1)
        last = _eighteenth_month(child)
    else:
        last = month_start(on)
    if reason == Enrollment.EndReason.DEATH and child.died_on is None:
        Child.objects.filter(id=child.id).update(died_on=on)
    last = max(last, enrollment.start_month)
    enrollment.end_month, enrollment.end_reason, enrollment.status = last, reason, Enrollment.Status.ENDED
    enrollment.save(update_fields=["end_month", "end_reason", "status"])
    _close_membership(child=child, category=enrollment.category, on=on, reason=enrollment.get_end_reason_display() + (f": {note}" if note else ""))
    audit_record(actor=by, action="enrollment.ended", target=enrollment, detail={"reason": reason})
    if (
        reason == Enrollment.EndReason.ADOPTION
        and disabled
        and enrollment.category in (Category.ORPHAN_INSTITUTION, Category.ORPHAN_SCATTERED)
    ):
        enrollment_open(
            by=by,
            child=child,
            category=Category.ADOPTED_DISABLED_ORPHAN,
            county=enrollment.county,
            start_month=add_months(last, 1),
            bank_account_holder=enrollment.bank_account_holder,
            bank_account=enrollment.bank_account,
            on=on,
        )
    return enrollment


# --------------------------------------------------------------------------------------------
# Transfers: a child's allowance moving to another county
# --------------------------------------------------------------------------------------------


def _transfer_effective_month(*, enrollment: Enrollment, to_county_id: int, on: datetime.date) -> datetime.date:
    """The first month the receiving county pays, for an acceptance on `on`: the month after the
    acceptance, and after every month either county already has a payout run for (a month run is
    paid as it was: never paid a second time, never taken back by backdating), and after the
    enrollment's own first month (the sending enrollment ends the month before: at least one month).
    The sending county pays up to the month before it."""
    last_run = PayoutRun.objects.filter(region_id__in=[enrollment.county_id, to_county_id]).aggregate(m=Max("month"))["m"]
    months = [add_months(month_start(on), 1), add_months(enrollment.start_month, 1)]
    if last_run is not None:
        months.append(add_months(last_run, 1))
    return max(months)


def _decidable_transfer(*, by, transfer_id: int) -> Transfer:
    """The transfer, locked, for a decision by the receiving county (county officials only; the
    sending county cannot decide its own request: 403)."""
    require(by, Action.APPROVE)
    transfer = (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("from_county", "to_county")
        .filter(id=transfer_id)
        .first()
    )
    if transfer is None:
        raise _fail("transfer", _("There is no such transfer."))
    if not in_scope(by, transfer.to_county):
        raise PermissionDeniedError(_("Only the receiving county accepts or refuses a transfer."))
    if transfer.status != Transfer.Status.REQUESTED:
        raise _fail("status", _("This transfer has already been decided (%(s)s).") % {"s": transfer.get_status_display()})
    return transfer


@transaction.atomic
def transfer_request(*, by, enrollment: Enrollment, to_county: Region, reason: str = "") -> Transfer:
    """The child moved to another county: the paying county asks that county to take the allowance
    over. Nothing moves until it accepts (transfer_accept); at most one open request per enrollment."""
    require(by, Action.APPROVE)
    require_in_scope(by, enrollment.county)
    if to_county is None or to_county.level != Region.Level.COUNTY:
        raise _fail("county", _("Choose the county the child moved to (a county code)."))
    enrollment = Enrollment.objects.select_for_update().select_related("county").get(id=enrollment.id)
    if enrollment.status != Enrollment.Status.ACTIVE:
        raise _fail("county", _("This enrollment has already ended."))
    if to_county.id == enrollment.county_id:
        raise _fail("county", _("The child is already paid by this county."))
    already = _("This enrollment already has a transfer waiting for the receiving county's decision.")
    if Transfer.objects.filter(enrollment=enrollment, status=Transfer.Status.REQUESTED).exists():
        raise _fail("county", already)
    try:
        with transaction.atomic():
            transfer = Transfer.objects.create(
                enrollment=enrollment,
                child_id=enrollment.child_id,
                from_county=enrollment.county,
                to_county=to_county,
                requested_on=timezone.localdate(),
                requested_by=by if getattr(by, "pk", None) else None,
                reason=(reason or "").strip()[:300],
            )
    except IntegrityError:  # transfer_one_open_per_enrollment: a request made a moment ago
        raise _fail("county", already) from None
    audit_record(
        actor=by, action="transfer.requested", target=transfer,
        detail={"enrollment": enrollment.id, "from": enrollment.county.code, "to": to_county.code},
    )
    return transfer


@transaction.atomic
def transfer_accept(*, by, transfer_id: int, region: Region | None) -> Transfer:
    """The receiving county takes the allowance over, in one transaction: the sending enrollment
    ends with the month before the effective month (_transfer_effective_month: after acceptance,
    after any month either county has run), a new enrollment in the receiving county starts at it,
    and the child's record moves to `region`, a village of the receiving county (its household
    registration too, when that lay in the sending county). Two acceptances at once: the transfer's
    row lock lets one through; the other finds it decided."""
    transfer = _decidable_transfer(by=by, transfer_id=transfer_id)
    to_county = transfer.to_county
    if region is None or region.level != Region.Level.VILLAGE or not region.path.startswith(to_county.path):
        raise _fail("region", _("Choose the village of %(county)s where the child lives now.") % {"county": to_county.name})
    enrollment = Enrollment.objects.select_for_update().get(id=transfer.enrollment_id)
    if enrollment.status != Enrollment.Status.ACTIVE:
        raise _fail("status", _("The enrollment has ended since the request: refuse the transfer."))
    today = timezone.localdate()
    effective = _transfer_effective_month(enrollment=enrollment, to_county_id=to_county.id, on=today)
    enrollment.end_month, enrollment.end_reason, enrollment.status = (
        add_months(effective, -1), Enrollment.EndReason.MOVED, Enrollment.Status.ENDED,
    )
    enrollment.save(update_fields=["end_month", "end_reason", "status"])
    audit_record(
        actor=by, action="enrollment.moved", target=enrollment,
        detail={"to": to_county.code, "transfer": transfer.id, "end_month": enrollment.end_month.strftime("%Y-%m")},
    )
    child = Child.objects.select_for_update(of=("self",)).select_related("region", "household_region").get(id=enrollment.child_id)
    before = {"region": child.region.code, "household_region": child.household_region.code}
    child.region = region
    fields = ["region"]
    # The household registration follows when it was in the sending county: applications and
    # enrollments are routed to the household-registration county, which now pays.
    if county_of(child.household_region) == transfer.from_county:
        child.household_region = region
        fields.append("household_region")
    child._history_user = by  # type: ignore[attr-defined]  # simple-history: who moved the child
    child.save(update_fields=[*fields, "updated_at"])
    audit_record(actor=by, action="child.moved", target=child, detail={"from": before, "to": region.code, "transfer": transfer.id})
    new = enrollment_open(
        by=by,
        child=child,
        category=enrollment.category,
        county=to_county,
        start_month=effective,
        application=enrollment.application,
        bank_account_holder=enrollment.bank_account_holder,
        bank_account=enrollment.bank_account,
        on=today,
    )
    transfer.status, transfer.effective_month, transfer.region, transfer.new_enrollment = (
        Transfer.Status.ACCEPTED, effective, region, new,
    )
    transfer.decided_by, transfer.decided_at = (by if getattr(by, "pk", None) else None), timezone.now()
    transfer.save(update_fields=["status", "effective_month", "region", "new_enrollment", "decided_by", "decided_at"])
    audit_record(
        actor=by, action="transfer.accepted", target=transfer,
        detail={"effective_month": effective.strftime("%Y-%m"), "old_enrollment": enrollment.id, "new_enrollment": new.id},
    )
    return transfer


@transaction.atomic
def transfer_refuse(*, by, transfer_id: int, reason: str) -> Transfer:
    """The receiving county refuses, with a reason; the allowance stays where it was."""
    transfer = _decidable_transfer(by=by, transfer_id=transfer_id)
    reason = (reason or "").strip()
    if not reason:
        raise _fail("reason", _("Give the reason for refusing the transfer."))
    transfer.status, transfer.reason = Transfer.Status.REFUSED, reason[:300]
    transfer.decided_by, transfer.decided_at = (by if getattr(by, "pk", None) else None), timezone.now()
    transfer.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    audit_record(actor=by, action="transfer.refused", target=transfer)
    return transfer


@transaction.atomic
def enrollment_set_bank_account(*, by, enrollment: Enrollment, bank_account_holder: str, bank_account: str) -> Enrollment:
    require(by, Action.ENROLL)
    require_in_scope(by, enrollment.county)
    account = "".join((bank_account or "").split())
    if account and not account.isdigit():
        raise _fail("bank_account", _("A bank account number has digits only."))
    enrollment.bank_account_holder, enrollment.bank_account = (bank_account_holder or "").strip()[:50], account[:40]
    enrollment.save(update_fields=["bank_account_holder", "bank_account"])
    audit_record(actor=by, action="enrollment.bank_account_changed", target=enrollment)
    return enrollment


# --------------------------------------------------------------------------------------------
# Payout runs
# --------------------------------------------------------------------------------------------


def _enqueue_compute(run_id: int) -> None:
    from benefits.tasks import payout_run_compute_task

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
        raise _fail("month", _("A month in the future cannot be paid yet."))
    return month


def payout_run_start(*, by, region: Region, month, enqueue: bool = True) -> tuple[PayoutRun, bool]:
    """Ask for a county's run of a month. Answers the existing run when there is one (a failed one
    is restarted); otherwise creates it as `computing` and queues the computation."""
    if by is not None:
        require(by, Action.RUN_PAYOUTS)
    if region is None or region.level != Region.Level.COUNTY:
        raise _fail("region", _("Payout runs are per county: choose a county."))
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
    counties = list(Region.objects.filter(level=Region.Level.COUNTY).filter(Exists(paying)).order_by("code"))
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
                for run in started:
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
    below = WelfareStandard.objects.filter(region__path__startswith=county.path).exclude(region=county).exists()
    if not below:
        book = StandardBook(on=run.month, paths=[county.path])
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
    resolve_path = {rid: (p if p.startswith(county.path) else county.path) for rid, p in region_paths.items()}
    book = StandardBook(on=run.month, paths=set(resolve_path.values()) | {county.path})
    for region_id, category, count in pairs:
        try:
            r = book.resolve(path_codes(resolve_path[region_id]), category)
        except (StandardMissing, StandardCycle) as exc:
            code = resolve_path[region_id].rstrip("/").rsplit("/", 1)[-1]
            problems.append({"region": code, "category": category, "count": count, "message": str(exc)})
            continue
        mapping.append((region_id, category, r.amount, r.standard.id))
    return mapping, problems


def _insert_payouts(*, run: PayoutRun, mapping, params: dict) -> dict[str, tuple[int, Decimal]] | None:
    """Write the run's payouts. On PostgreSQL set-based INSERT … SELECT and, when the rows it wrote
    are all the run has, their totals by category (count, sum) from the statements themselves;
    None when the totals must be read back from the table (see _set_totals)."""
    if not mapping:
        return None
    by_category = all(region_id == 0 for region_id, *_rest in mapping)
    if connection.vendor == "postgresql":
        return _insert_payouts_postgresql(run=run, mapping=mapping, params=params, by_category=by_category)
    # Portable path (SQLite, the embedded demo): the same rows through the ORM.
    lookup = {(r, c): (a, s) for r, c, a, s in mapping}
    qs = _active_enrollments(params).values_list("id", "child_id", "child__region_id", "category")
    month = params["month"]
    batch = []
    for eid, cid, rid, cat in qs.iterator(chunk_size=2000):
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
    return None


_PAYOUT_COLUMNS = (
    "INSERT INTO benefits_payout (id, run_id, child_id, enrollment_id, category, month, amount, standard_id) "
)
_PAID_IN_MONTH = "e.county_id = %s AND e.start_month <= %s AND e.paid_through >= %s"


def _payout_insert_sql(*, mapping, by_category: bool, on_conflict: bool) -> tuple[str, list]:
    """The INSERT … SELECT of a county's month in one statement: the enrollments paid in the month
    (their `paid_through`, kept by the database, already folds in the end month, the 18th birthday
    and death: see benefits/schema.py), joined to the standards resolved once per (region,
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


_RUN_SETTINGS = "SET LOCAL random_page_cost = 1.1; SET LOCAL jit = off"

# One category of a county's month (the usual case: standards set at county level or above, one
# amount per category). Placeholders: key base, run, month, amount, standard, county, month, month,
# category. Its row count is the category's count, its total count × amount: no second read.
_PAYOUT_CATEGORY_SQL = (
    _PAYOUT_COLUMNS  # noqa: S608 - constant fragments and %s placeholders only
    + "SELECT %s::bigint | e.child_id, %s, e.child_id, e.id, e.category, %s, %s::numeric, %s::bigint "
    "FROM benefits_enrollment e WHERE " + _PAID_IN_MONTH + " AND e.category = %s"
)


def _insert_payouts_postgresql(*, run: PayoutRun, mapping, params: dict, by_category: bool) -> dict[str, tuple[int, Decimal]] | None:
    """Double payment is impossible either way: the primary key (child and month) refuses it. The
    claim (the run's row locked while `computing`, see _payout_run_compute) makes this worker the only
    writer of the run, so the usual case is a first computation that conflicts with nothing: plain
    INSERTs, one per category, whose row counts give the totals (no second read of the rows; a
    RETURNING clause would cost 15 % more). ON CONFLICT DO NOTHING costs a speculative insertion
    per row (measured: +40-60 % on the insert), so it is used only when a conflict is possible or
    has happened:
    - the run already has rows (its computation was forced again): ON CONFLICT straight away;
    - a plain INSERT hits the key (a child paid the same month by another county's run, e.g.
      overlapping enrollments): the savepoint is rolled back and one INSERT runs with ON CONFLICT
      DO NOTHING, so the outcome is exactly that of ON CONFLICT DO NOTHING (the earlier payment
      stands, nothing is paid twice)."""
    m = params["month"]
    base = payout_month_base(m)
    inserted: dict[str, tuple[int, Decimal]] | None = None
    with connection.cursor() as cur:
        # A county is a small slice of the enrollments: read them through the index rather than
        # scanning the table; no JIT compilation for a statement this short. Local to this
        # transaction.
        cur.execute(_RUN_SETTINGS)
        # A run holds rows only once a computation of it has committed (rows, totals and
        # computed_at are written in one transaction; a recomputation deletes the rows and clears
        # computed_at). The hint only chooses the faster statement: if it were ever wrong, the
        # key would still refuse a second payment (see the savepoint below).
        conflict_possible = run.computed_at is not None
        if not conflict_possible:
            try:
                with transaction.atomic():  # a savepoint: a conflict rolls back these INSERTs only
                    inserted = {}
                    if by_category:
                        # Every category in one round trip (client-side binding, one result and
                        # row count per statement).
                        cur.execute(
                            ";".join([_PAYOUT_CATEGORY_SQL] * len(mapping)),
                            [v for _r, c, a, sid in mapping for v in (base, run.id, m, a, sid, params["county"], m, m, c)],
                        )
                        results = cur.cursor
                        for _region, category, amount, _standard in mapping:
                            if results.rowcount:
                                inserted[category] = (results.rowcount, amount * results.rowcount)
                            results.nextset()
                    else:
                        sql, flat = _payout_insert_sql(mapping=mapping, by_category=False, on_conflict=False)
                        cur.execute(
                            f"WITH ins AS ({sql} RETURNING category, amount) "  # noqa: S608 - constant fragments and %s placeholders only
                            "SELECT category, COUNT(*), SUM(amount) FROM ins GROUP BY category ORDER BY category",
                            [base, run.id, m, *flat, params["county"], m, m],
                        )
                        inserted = {category: (n, s) for category, n, s in cur.fetchall()}
            except IntegrityError:
                logger.info("payout run %s: a payout already exists for some child this month; skipping it", run.id)
                inserted, conflict_possible = None, True
        if conflict_possible:
            sql, flat = _payout_insert_sql(mapping=mapping, by_category=by_category, on_conflict=True)
            cur.execute(sql, [base, run.id, m, *flat, params["county"], m, m])
    return inserted


def _set_totals(run: PayoutRun, inserted: dict[str, tuple[int, Decimal]] | None = None, *, no_adjustments: bool = False) -> None:
    """Count and total by category: from the INSERT's own rows when they are all the run has,
    otherwise one aggregate over the run's rows; the same for adjustments, unless the caller
    knows the run has none."""
    totals: dict[str, dict] = {}
    count, total = 0, Decimal("0.00")
    if inserted is None:
        rows = Payout.objects.filter(run=run).values("category").annotate(n=Count("id"), s=Sum("amount")).order_by("category")
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
    conflict is possible, see _insert_payouts_postgresql), include pending adjustments,
    store the totals and flip to draft. A crash rolls everything back; the run stays `computing`
    and the next delivery of the task completes it. Returns None when there was nothing to do."""
    try:
        return _payout_run_compute(run_id=run_id)
    except OperationalError:
        raise  # transient (connection lost, lock timeout…): the task retries
    except Exception as exc:
        logger.exception("payout run %s failed", run_id)
        PayoutRun.objects.filter(id=run_id, status=PayoutRun.Status.COMPUTING).update(
            status=PayoutRun.Status.FAILED, error=str(exc)[:2000]
        )
        raise


@transaction.atomic
def _payout_run_compute(*, run_id: int) -> PayoutRun | None:
    # The claim: lock the run while it is still `computing`. A second worker waits on the lock and
    # then, the run being a draft by then, finds nothing (PostgreSQL re-checks the condition on
    # the row the first worker committed).
    run = (
        PayoutRun.objects.select_for_update(of=("self",))
        .select_related("region")
        .filter(id=run_id, status=PayoutRun.Status.COMPUTING)
        .first()
    )
    if run is None:
        return None  # already computed (or approved, or gone): re-delivery and double beats end here
    run.attempts += 1
    run.started_at = timezone.now()
    params = {"county": run.region_id, "month": run.month, "cutoff": eighteen_cutoff(run.month)}
    mapping, problems = _resolution_map(run=run, params=params)
    inserted = _insert_payouts(run=run, mapping=mapping, params=params)
    attached = Adjustment.objects.filter(county_id=run.region_id, run__isnull=True, month__lte=run.month).update(run=run)
    # A first computation (or one after payout_run_recompute, which detaches them) holds only the
    # adjustments it has just attached.
    _set_totals(run, inserted, no_adjustments=run.computed_at is None and not attached)
    run.problems = problems
    run.status = PayoutRun.Status.DRAFT
    run.computed_at = timezone.now()
    run.error = ""
    run.save(
        update_fields=[
            "payout_count", "total_amount", "totals_by_category", "adjustment_count", "adjustment_total",
            "problems", "status", "computed_at", "error", "attempts", "started_at",
        ]
    )
    audit_record(actor=None, action="payout_run.computed", target=run, record_count=run.payout_count)
    return run


@transaction.atomic
def payout_run_recompute(*, by, run: PayoutRun) -> PayoutRun:
    """Throw away a draft (or failed) run's rows and compute it again (after fixing a standard or
    an enrollment). An approved run is frozen: corrections are adjustments."""
    require(by, Action.RUN_PAYOUTS)
    require_in_scope(by, run.region)
    run = PayoutRun.objects.select_for_update().get(id=run.id)
    if run.status not in (PayoutRun.Status.DRAFT, PayoutRun.Status.FAILED):
        raise _fail("status", _("Only a draft or failed run can be computed again; an approved run is frozen."))
    Payout.objects.filter(run=run).delete()
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
        raise _fail("run", _("No such payout run."))
    require_in_scope(by, run.region)
    if run.status != PayoutRun.Status.DRAFT:
        raise _fail("status", _("Only a draft run can be approved (this one is %(s)s).") % {"s": run.get_status_display()})
    if run.problems:
        raise _fail(
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
        raise _fail("status", _("Approve the run before exporting it for the bank."))
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
        raise _fail("category", _("Only paid categories are adjusted."))
    value = _money(amount, field="amount")
    if value == 0:
        raise _fail("amount", _("An adjustment of zero changes nothing."))
    if not (reason or "").strip():
        raise _fail("reason", _("Give the reason for the adjustment."))
    if county is None:
        enrollment = (
            Enrollment.objects.filter(child=child, start_month__lte=for_month)
            .filter(Q(end_month__isnull=True) | Q(end_month__gte=for_month))
            .select_related("county")
            .first()
        )
        county = enrollment.county if enrollment else county_of(child.household_region)
    if county is None:
        raise _fail("county", _("Choose the paying county."))
    require_in_scope(by, county)
    if for_month > month_start(timezone.localdate()):
        raise _fail("for_month", _("A month in the future cannot be corrected."))
    if value < 0:
        paid = Payout.objects.filter(id=payout_id(child.id, for_month), category=category).values_list("amount", flat=True).first()
        if paid is None or -value > paid:
            raise _fail("amount", _("A recovery cannot exceed what was paid for that month."))
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


# --------------------------------------------------------------------------------------------
# Periodic tasks
# --------------------------------------------------------------------------------------------

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
