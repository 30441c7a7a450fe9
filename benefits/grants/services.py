"""Writes of the orphan education grant (孤儿助学工程): filing at a township, the county's approval
or rejection, renewal for the next school year, ending when study ends, grant standards, and the
instalments written into the county's monthly payout run. The only place their rules live.

Eligibility is one function (grant_eligibility). Instalments are written by one set-based
INSERT … SELECT … ON CONFLICT DO NOTHING (grant_payouts_statements), sent by the payout run in the
round trip of its other lines, in its per-county transaction (benefits/payouts/services.py,
_payout_run_compute; grant_payouts_insert on SQLite); a student, school year
and instalment is paid once, held by the primary key (benefits.grants.models.grant_payout_id).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from benefits.enrollments.models import Enrollment
from benefits.grants.models import (
    GRANT_EPOCH_YEAR,
    GRANT_INSTALMENT_BITS,
    Frequency,
    Grant,
    GrantKind,
    GrantPayout,
    GrantStandard,
    StudyLevel,
    grant_payout_id,
)
from benefits.grants.resolve import grant_standard_resolve
from benefits.grants.schedule import (
    instalment_month_check,
    instalment_schedule,
    parse_school_year,
    school_year_first_day,
    school_year_months,
    school_year_of,
)
from benefits.payouts.models import PAYOUT_CHILD_BITS, PayoutRun
from cases.applications.services import _may_receive_at, _receiving_township, household_county
from cases.children.categories import Category
from cases.children.lookups import id_number_lookup
from cases.children.models import CategoryMembership, Child
from cases.children.selectors import child_list
from welfare.audit import audit_record
from welfare.errors import PermissionDeniedError, field_error
from welfare.idnumber import normalize_id_number
from welfare.models import Region
from welfare.months import add_months, month_start, parse_month
from welfare.roles import Action, require
from welfare.scoping import require_in_scope

__all__ = [
    "GrantInput",
    "grant_apply",
    "grant_approve",
    "grant_eligibility",
    "grant_end",
    "grant_payouts_discard",
    "grant_payouts_insert",
    "grant_payouts_record",
    "grant_payouts_statements",
    "grant_reject",
    "grant_renew",
    "grant_standard_create",
    "instalment_month_check",
    "instalment_schedule",
]

# Recognised as an orphan (before 18) in one of these categories; an adopted child qualifies only
# as an adopted disabled orphan.
ORPHAN_CATEGORIES = (Category.ORPHAN_INSTITUTION, Category.ORPHAN_SCATTERED, Category.ADOPTED_DISABLED_ORPHAN)


def _birthday(born: datetime.date, years: int) -> datetime.date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February
        return born.replace(year=born.year + years, day=28) + datetime.timedelta(days=1)


def age_on(born: datetime.date, day: datetime.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def grant_eligibility(*, child: Child, school_year: str, study_level: str, on: datetime.date | None = None) -> None:
    """THE rule of who may receive the orphan education grant for a school year. Raises
    ApplicationError (a clear message on the field concerned) unless the young person:
    - was recognised as an orphan (a membership or enrollment of orphan_institution,
      orphan_scattered or adopted_disabled_orphan starting before their 18th birthday);
    - was not adopted, unless as a disabled orphan (an orphan enrollment ended by adoption
      disqualifies; adopted_disabled_orphan keeps support);
    - is 18 or older on `on` (today) and alive;
    - is in full-time study (vocational school, college, university, master's);
    - is not older than the highest age (the region's grant standard, or settings.GRANT_MAX_AGE)
      on the school year's first day."""
    on = on or timezone.localdate()
    parse_school_year(school_year)
    if study_level not in StudyLevel.values:
        raise field_error("study_level", _("The grant is for full-time study: vocational school, college, university or a master's degree."))
    if child.birth_date is None:
        raise field_error("child", _("The student's birth date is not recorded."))
    eighteen = _birthday(child.birth_date, 18)
    memberships = CategoryMembership.objects.filter(child=child, category__in=ORPHAN_CATEGORIES)
    enrollments = Enrollment.objects.filter(child=child, category__in=ORPHAN_CATEGORIES)
    recognised = (
        memberships.filter(start_date__lt=eighteen).values_list("category", flat=True).union(
            enrollments.filter(start_month__lt=eighteen).values_list("category", flat=True)
        )
    )
    categories = set(recognised)
    if not categories:
        raise field_error("child", _("This young person was never recognised as an orphan before turning 18: the education grant is for orphans."))
    adopted = enrollments.filter(end_reason=Enrollment.EndReason.ADOPTION).exclude(category=Category.ADOPTED_DISABLED_ORPHAN).exists()
    if adopted and Category.ADOPTED_DISABLED_ORPHAN not in categories:
        raise field_error("child", _("An adopted child receives the education grant only as an adopted disabled orphan."))
    if child.died_on is not None:
        raise field_error("child", _("This young person's death is recorded."))
    if on < eighteen:
        raise field_error("child", _("The education grant starts at 18: until then the orphan allowance is paid."))
    standard = grant_standard_resolve(region=child.household_region, school_year=school_year)
    if age_on(child.birth_date, school_year_first_day(school_year)) > standard.max_age:
        raise field_error(
            "school_year",
            _("The grant is paid up to the age of %(age)s (on 1 September of the school year).") % {"age": standard.max_age},
        )


@dataclass(frozen=True)
class GrantInput:
    """What a filing holds: the student (an id in one's scope, or a full identity number), the
    receiving township, the school year, the school and level, the proof of enrolment seen."""

    received_region: Region | None
    school_year: str
    school: str
    study_level: str
    enrolment_proof: str
    child: Child | None = None
    child_id_number: str = ""
    filed_by_student: bool = False
    bank_account_holder: str = ""
    bank_account: str = ""
    kind: str = GrantKind.ORPHAN_EDUCATION
    ip_address: str | None = None  # of a lookup by identity number (the access log)


def _school_year_open(school_year: str, today: datetime.date) -> None:
    first = parse_school_year(school_year)
    if not today.year - 1 <= first <= today.year + 1:
        raise field_error("school_year", _("Apply for the current or the next school year."))


def grant_apply(*, by, data: GrantInput, today: datetime.date | None = None) -> Grant:
    """File a grant for a school year at a township of the province of the student's household
    registration (by the child director on the student's behalf, or by the student in person);
    routed to the household-registration county, which decides and pays.

    A student outside the filer's area (named by identity number) is filed without telling the
    filer whether they are an orphan (docs/SECURITY.md, "Lookups by identity number"): the county
    applies the rule when it decides."""
    require(by, Action.APPLY)
    today = today or timezone.localdate()
    if data.kind != GrantKind.ORPHAN_EDUCATION:
        raise field_error("kind", _("Unknown kind of grant."))
    township = _receiving_township(data.received_region)
    if not _may_receive_at(by, township):
        raise field_error("received_region", _("You can only file at your own township."))
    school_year = school_year_of(parse_school_year(data.school_year))
    _school_year_open(school_year, today)
    school, proof = (data.school or "").strip(), (data.enrolment_proof or "").strip()
    if not school:
        raise field_error("school", _("Enter the school."))
    if data.study_level not in StudyLevel.values:
        raise field_error("study_level", _("The grant is for full-time study: vocational school, college, university or a master's degree."))
    if not proof:
        raise field_error("enrolment_proof", _("Note the proof of enrolment seen (e.g. the student card or the school's certificate)."))
    if data.child is not None:
        if not child_list(user=by).filter(id=data.child.id).exists():
            raise PermissionDeniedError(_("This child is outside your area of responsibility."))
        child, in_area = data.child, True
    else:
        number = normalize_id_number(data.child_id_number)
        if len(number) != 18:
            raise field_error("child_id_number", _("Enter the child's full 18-character identity number."))
        # The one lookup by identity number (counted against the rate, logged outside one's area).
        found = id_number_lookup(by=by, id_number=number, purpose="grant", ip_address=data.ip_address)
        if found is not None:
            found = Child.objects.select_related("household_region", "region").get(pk=found.pk)
        if found is None:
            raise field_error("child_id_number", _("No child with this identity number is recorded: register the child first."))
        child, in_area = found, child_list(user=by).filter(id=found.id).exists()
    county = household_county(child)
    if county is None:
        raise field_error("child", _("The child's household registration has no county to decide the application."))
    if county.ancestor_codes()[0] != township.ancestor_codes()[0]:
        raise field_error("received_region", _("The grant is filed at a township of the province of household registration."))
    if in_area:
        grant_eligibility(child=child, school_year=school_year, study_level=data.study_level, on=today)
    taken = Q(status__in=[Grant.Status.SUBMITTED, Grant.Status.APPROVED, Grant.Status.ENDED])
    if Grant.objects.filter(taken, child=child, kind=data.kind, school_year=school_year).exists():
        raise field_error("school_year", _("This student already has a grant (or a filing) for the school year %(y)s.") % {"y": school_year})
    try:
        # Not before: a refused filing by number still leaves its lookup in the access log.
        with transaction.atomic():
            grant = Grant.objects.create(
                child=child,
                kind=data.kind,
                school=school[:200],
                study_level=data.study_level,
                school_year=school_year,
                enrolment_proof=proof[:300],
                received_region=township,
                filed_by_student=bool(data.filed_by_student),
                county=county,
                bank_account_holder=(data.bank_account_holder or "").strip()[:50],
                bank_account=(data.bank_account or "").strip()[:40],
                submitted_on=today,
                submitted_by=by,
            )
            audit_record(actor=by, action="grant.submitted", target=grant, detail={"school_year": school_year, "county": county.code})
    except IntegrityError:
        raise field_error("school_year", _("This student already has a grant (or a filing) for the school year %(y)s.") % {"y": school_year}) from None
    return grant


def _locked(grant_id: int) -> Grant:
    grant = Grant.objects.select_for_update(of=("self",)).select_related("child", "child__household_region", "county").filter(id=grant_id).first()
    if grant is None:
        raise field_error("grant", _("No such grant."))
    return grant


@transaction.atomic
def grant_approve(*, by, grant_id: int, today: datetime.date | None = None) -> Grant:
    """The county's approval: applies the rule again, fixes the amount and the instalments from
    the grant standard in force on the school year's first day. Paid by the county's next runs."""
    require(by, Action.APPROVE)
    grant = _locked(grant_id)
    require_in_scope(by, grant.county)
    if grant.status == Grant.Status.APPROVED:
        raise field_error("status", _("This grant has already been approved."))
    if grant.status != Grant.Status.SUBMITTED:
        raise field_error("status", _("This grant has already been decided (%(s)s).") % {"s": grant.get_status_display()})
    today = today or timezone.localdate()
    grant_eligibility(child=grant.child, school_year=grant.school_year, study_level=grant.study_level, on=today)
    standard = grant_standard_resolve(region=grant.child.household_region, school_year=grant.school_year)
    grant.status, grant.decided_by, grant.decided_on = Grant.Status.APPROVED, by, today
    grant.annual_amount, grant.instalments, grant.standard = standard.annual_amount, standard.instalments, standard.standard
    grant.save(update_fields=["status", "decided_by", "decided_on", "annual_amount", "instalments", "standard"])
    audit_record(actor=by, action="grant.approved", target=grant, detail={"amount": str(grant.annual_amount), "instalments": grant.instalments})
    return grant


@transaction.atomic
def grant_reject(*, by, grant_id: int, reason: str) -> Grant:
    require(by, Action.APPROVE)
    if not (reason or "").strip():
        raise field_error("reason", _("Give the reason for the rejection."))
    grant = _locked(grant_id)
    require_in_scope(by, grant.county)
    if grant.status != Grant.Status.SUBMITTED:
        raise field_error("status", _("This grant has already been decided (%(s)s).") % {"s": grant.get_status_display()})
    grant.status, grant.decided_by, grant.decided_on = Grant.Status.REJECTED, by, timezone.localdate()
    grant.reason = reason.strip()
    grant.save(update_fields=["status", "decided_by", "decided_on", "reason"])
    audit_record(actor=by, action="grant.rejected", target=grant)
    return grant


@transaction.atomic
def grant_end(*, by, grant_id: int, reason: str, end_month=None) -> Grant:
    """Study ended (graduated, left school): instalments after `end_month` (default: this month)
    are not paid. The month lies in the school year and not before an instalment already paid."""
    require(by, Action.APPROVE)
    if not (reason or "").strip():
        raise field_error("reason", _("Give the reason why the grant ends (e.g. graduated, left school)."))
    grant = _locked(grant_id)
    require_in_scope(by, grant.county)
    if grant.status != Grant.Status.APPROVED:
        raise field_error("status", _("Only an approved grant can be ended (this one is %(s)s).") % {"s": grant.get_status_display()})
    first, final = school_year_months(grant.school_year)
    if end_month:
        month = parse_month(end_month, field="end_month")
        last = instalment_month_check(school_year=grant.school_year, month=month, field="end_month")
    else:  # this month, within the school year (before it starts: nothing is paid)
        last = min(max(month_start(timezone.localdate()), add_months(first, -1)), final)
    paid = GrantPayout.objects.filter(GrantPayout.of_grant(grant), month__gt=last).order_by("-month").values_list("month", flat=True).first()
    if paid is not None:
        raise field_error("end_month", _("An instalment of %(m)s has already been paid: end the grant from that month.") % {"m": paid.strftime("%Y-%m")})
    grant.status, grant.end_month, grant.ended_on = Grant.Status.ENDED, last, timezone.localdate()
    grant.reason = (grant.reason + "\n" + reason.strip()).strip()
    grant.save(update_fields=["status", "end_month", "ended_on", "reason"])
    audit_record(actor=by, action="grant.ended", target=grant, detail={"end_month": last.strftime("%Y-%m")})
    return grant


def grant_renew(*, by, grant_id: int, school: str, study_level: str, enrolment_proof: str, received_region: Region | None, today=None) -> Grant:
    """Renewal: a new filing for the school year after the grant's, for the same student."""
    from benefits.grants.selectors import grant_list

    grant = grant_list(user=by).select_related("child").filter(id=grant_id).first()
    if grant is None:
        raise field_error("grant", _("No such grant."))
    if grant.status not in (Grant.Status.APPROVED, Grant.Status.ENDED):
        raise field_error("status", _("Only an approved grant is renewed for the next school year."))
    next_year = school_year_of(grant.first_year + 1)
    return grant_apply(
        by=by,
        data=GrantInput(
            received_region=received_region or grant.received_region,
            school_year=next_year,
            school=school or grant.school,
            study_level=study_level or grant.study_level,
            enrolment_proof=enrolment_proof,
            child=grant.child,
            bank_account_holder=grant.bank_account_holder,
            bank_account=grant.bank_account,
        ),
        today=today,
    )


@transaction.atomic
def grant_standard_create(
    *, by, region: Region, annual_amount, effective_from: datetime.date, frequency: str = Frequency.MONTHLY, max_age: int | None = None, document: str = ""
) -> GrantStandard:
    """A province, city or county sets its grant per school year: never below the national amount."""
    from benefits.standards.services import _money

    require(by, Action.SET_STANDARDS)
    require_in_scope(by, region)
    if region.level not in (Region.Level.PROVINCE, Region.Level.CITY, Region.Level.COUNTY):
        raise field_error("region", _("Standards are set by a province, city or county."))
    amount = _money(annual_amount, field="annual_amount")
    national = Decimal(settings.GRANT_NATIONAL_AMOUNT)
    if amount < national:
        raise field_error("annual_amount", _("The grant cannot be lower than the national %(n)s yuan per school year.") % {"n": national})
    if frequency not in Frequency.values:
        raise field_error("frequency", _("Choose monthly or quarterly."))
    if max_age is not None and not 18 <= int(max_age) <= 40:
        raise field_error("max_age", _("Enter an age between 18 and 40."))
    try:
        with transaction.atomic():
            standard = GrantStandard.objects.create(
                region=region, annual_amount=amount, effective_from=effective_from, frequency=frequency,
                max_age=max_age, document=(document or "").strip()[:100], created_by=by,
            )
    except IntegrityError:
        raise field_error("effective_from", _("A version from this date already exists.")) from None
    audit_record(actor=by, action="grant_standard.created", target=standard, detail={"amount": str(amount)})
    return standard


# The instalments of a county's grants due by the run's month and not paid yet, in one statement.
# Mirrors benefits.grants.schedule.instalment_schedule (months: September + (n-1) × 12/instalments;
# amounts: the share rounded down to the fen, the remainder on the last). The primary key (student,
# school year, instalment: grant_payout_id, in SQL; the CHECK constraint refuses any other key) with
# ON CONFLICT DO NOTHING pays each instalment once, whichever run, worker or retry gets there first.
# Placeholders: run, county, month.
_INSERT_SQL = f"""
WITH ins AS (
    INSERT INTO benefits_grantpayout (id, run_id, grant_id, child_id, school_year, instalment, month, amount, standard_id)
    SELECT ((((substr(g.school_year, 1, 4)::bigint - {GRANT_EPOCH_YEAR}) << {GRANT_INSTALMENT_BITS}) | s.n) << {PAYOUT_CHILD_BITS}) | g.child_id,
           %s, g.id, g.child_id, g.school_year, s.n, s.month,
           CASE WHEN s.n = g.instalments
                THEN g.annual_amount - trunc(g.annual_amount / g.instalments, 2) * (g.instalments - 1)
                ELSE trunc(g.annual_amount / g.instalments, 2) END,
           g.standard_id
    FROM benefits_grant g
    CROSS JOIN LATERAL (
        SELECT n, (make_date(substr(g.school_year, 1, 4)::int, 9, 1)
                   + make_interval(months => ((n - 1) * (12 / g.instalments))::int))::date AS month
        FROM generate_series(1, g.instalments) AS n
    ) s
    WHERE g.county_id = %s AND g.status IN ('approved', 'ended')
      AND s.month <= %s AND (g.end_month IS NULL OR s.month <= g.end_month)
    ON CONFLICT (id) DO NOTHING
    RETURNING amount
)
SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM ins
"""  # noqa: S608 - the key's constants and %s placeholders only


def grant_payouts_statements(run: PayoutRun, *, discard_own: bool = False) -> list[tuple[str, list]]:
    """The run's grant instalments as SQL statements (PostgreSQL), for the payout run to send in its
    own round trip with its other lines: every instalment of the county's approved (or ended, up to
    their end month) grants due by the run's month and not paid yet — a grant approved late is paid
    its earlier instalments in the next run (nothing lost). A run computed for the first time (or
    after payout_run_recompute, which discards its lines: grant_payouts_discard) holds no grant
    lines of its own; `discard_own` (a run computed before, forced back to `computing`) drops them
    first, so that they are written and counted afresh. The last statement answers one row: the
    count and total written (give it to grant_payouts_record)."""
    own = [("DELETE FROM benefits_grantpayout WHERE run_id = %s", [run.id])] if discard_own else []
    return [*own, (_INSERT_SQL, [run.id, run.region_id, run.month])]


def grant_payouts_discard(run: PayoutRun) -> None:
    """Throw away a run's own grant lines before it is computed again (payout_run_recompute; the
    portable path, grant_payouts_insert)."""
    GrantPayout.objects.filter(run=run).delete()


def grant_payouts_record(run: PayoutRun, count, total) -> tuple[int, Decimal]:
    """Set the run's grant count and total (`grant_count`, `grant_total`), stored by the run's own
    save (update_fields of the payout run's computation), in the same transaction."""
    run.grant_count, run.grant_total = int(count), Decimal(total).quantize(Decimal("0.01"))
    return run.grant_count, run.grant_total


def grant_payouts_insert(*, run: PayoutRun) -> tuple[int, Decimal]:
    """The portable path (SQLite, the embedded demo) of what grant_payouts_statements writes on
    PostgreSQL: the same rows through the ORM, inside the run's transaction (the run's row is locked
    while `computing`), its own earlier lines dropped first. Sets and answers the run's grant count
    and total."""
    grant_payouts_discard(run)
    grants = Grant.objects.filter(county_id=run.region_id, status__in=[Grant.Status.APPROVED, Grant.Status.ENDED])
    rows = []
    for g in grants:
        assert g.annual_amount is not None and g.instalments is not None  # approved: held by grant_approved_has_amount
        for n, month, amount in instalment_schedule(school_year=g.school_year, annual_amount=g.annual_amount, instalments=g.instalments):
            if month <= run.month and (g.end_month is None or month <= g.end_month):
                key = grant_payout_id(g.child_id, g.school_year, n)
                rows.append(GrantPayout(id=key, run=run, grant=g, child_id=g.child_id, school_year=g.school_year, instalment=n, month=month, amount=amount, standard_id=g.standard_id))
    GrantPayout.objects.bulk_create(rows, ignore_conflicts=True)
    agg = GrantPayout.objects.filter(run=run).aggregate(n=Count("id"), s=Sum("amount"))
    return grant_payouts_record(run, agg["n"], agg["s"] or 0)
