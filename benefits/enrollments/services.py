"""Writes of enrollments and transfers: enrolling a child (on approval, or a caseload recognised
before the system existed), ending an enrollment, its bank account, and moving a child's
allowance to another county (request, accept, refuse). The only place their rules live."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from benefits.enrollments.models import Enrollment, Transfer
from benefits.payouts.models import PayoutRun
from cases.children.categories import PAID_CATEGORIES, Category
from cases.children.models import CategoryMembership, Child
from welfare.audit import audit_record
from welfare.errors import PermissionDeniedError, field_error
from welfare.models import Region
from welfare.months import add_months, month_start
from welfare.roles import Action, require
from welfare.scoping import in_scope, require_in_scope


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
        raise field_error("category", _("Only paid categories are enrolled."))
    if county.level != Region.Level.COUNTY:
        raise field_error("county", _("The paying region must be a county."))
    Child.objects.select_for_update().filter(id=child.id).first()  # serialise enrollments of one child
    if Enrollment.objects.filter(child=child, status=Enrollment.Status.ACTIVE).exists():
        raise field_error("child", _("This child already has a paid enrollment: end it first (one allowance at a time)."))
    overlapping = Enrollment.objects.filter(child=child, end_month__gte=month_start(start_month)).exists()
    if overlapping:
        raise field_error("start_month", _("An earlier enrollment is paid until a later month: start after it ends."))
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
        raise field_error("child", _("This child already has a paid enrollment: end it first (one allowance at a time).")) from None
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
        raise field_error("child", _("The child's household registration has no county."))
    require_in_scope(by, county)
    start = month_start(start_month)
    if start > add_months(month_start(timezone.localdate()), 12):
        raise field_error("start_month", _("The first month cannot be more than a year ahead."))
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
    """The month of the child's 18th birthday: the last month paid."""
    return add_months(month_start(child.birth_date), 12 * 18)


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
        raise field_error("reason", _("This enrollment has already ended."))
    if reason not in Enrollment.EndReason.values or reason in (Enrollment.EndReason.MOVED,):
        raise field_error("reason", _("Choose why the enrollment ends (a move has its own action)."))
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
        raise field_error("transfer", _("There is no such transfer."))
    if not in_scope(by, transfer.to_county):
        raise PermissionDeniedError(_("Only the receiving county accepts or refuses a transfer."))
    if transfer.status != Transfer.Status.REQUESTED:
        raise field_error("status", _("This transfer has already been decided (%(s)s).") % {"s": transfer.get_status_display()})
    return transfer


@transaction.atomic
def transfer_request(*, by, enrollment: Enrollment, to_county: Region, reason: str = "") -> Transfer:
    """The child moved to another county: the paying county asks that county to take the allowance
    over. Nothing moves until it accepts (transfer_accept); at most one open request per enrollment."""
    require(by, Action.APPROVE)
    require_in_scope(by, enrollment.county)
    if to_county is None or to_county.level != Region.Level.COUNTY:
        raise field_error("county", _("Choose the county the child moved to (a county code)."))
    enrollment = Enrollment.objects.select_for_update().select_related("county").get(id=enrollment.id)
    if enrollment.status != Enrollment.Status.ACTIVE:
        raise field_error("county", _("This enrollment has already ended."))
    if to_county.id == enrollment.county_id:
        raise field_error("county", _("The child is already paid by this county."))
    already = _("This enrollment already has a transfer waiting for the receiving county's decision.")
    if Transfer.objects.filter(enrollment=enrollment, status=Transfer.Status.REQUESTED).exists():
        raise field_error("county", already)
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
        raise field_error("county", already) from None
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
        raise field_error("region", _("Choose the village of %(county)s where the child lives now.") % {"county": to_county.name})
    enrollment = Enrollment.objects.select_for_update().get(id=transfer.enrollment_id)
    if enrollment.status != Enrollment.Status.ACTIVE:
        raise field_error("status", _("The enrollment has ended since the request: refuse the transfer."))
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
        raise field_error("reason", _("Give the reason for refusing the transfer."))
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
        raise field_error("bank_account", _("A bank account number has digits only."))
    enrollment.bank_account_holder, enrollment.bank_account = (bank_account_holder or "").strip()[:50], account[:40]
    enrollment.save(update_fields=["bank_account_holder", "bank_account"])
    audit_record(actor=by, action="enrollment.bank_account_changed", target=enrollment)
    return enrollment
