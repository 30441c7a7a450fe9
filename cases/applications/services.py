"""Recognition (认定) workflow: services (writes) and selectors (reads) of applications.

Submit (at any township of the country for orphans and de-facto-unsupported children, of the
province for the other paid categories) → routed to the county of household registration →
township review → county approval (which enrolls the child) or rejection with a reason, within a
time limit counted in Chinese working days.
"""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.applications.models import Application
from cases.children.categories import NATIONWIDE_FILING, PAID_CATEGORIES, PROVINCEWIDE_FILING
from cases.children.models import Child
from cases.children.selectors import child_list
from welfare.audit import audit_record
from welfare.errors import PermissionDeniedError, field_error
from welfare.idnumber import normalize_id_number
from welfare.models import Region
from welfare.roles import Action, require
from welfare.scoping import in_scope, require_in_scope
from welfare.workdays import add_working_days

OPEN = (Application.Status.SUBMITTED, Application.Status.REVIEWED)


def household_county(child: Child) -> Region | None:
    region = child.household_region
    if region.level == Region.Level.COUNTY:
        return region
    return region.ancestor_at(Region.Level.COUNTY)


def _receiving_township(region: Region | None) -> Region:
    if region is not None and region.level == Region.Level.VILLAGE:
        region = region.parent
    if region is None or region.level != Region.Level.TOWNSHIP:
        raise field_error("received_region", _("Choose the township (or street office) that receives the application."))
    return region


def _may_receive_at(user, township: Region) -> bool:
    """A user may file at their own township (a village director files at the township of the
    village) or at any township in their area."""
    if in_scope(user, township):
        return True
    return bool(user.region_id) and township.contains(user.region)


@transaction.atomic
def application_submit(
    *,
    by,
    category: str,
    received_region: Region | None,
    child: Child | None = None,
    child_id_number: str | None = None,
    reason: str = "",
    submitted_on: datetime.date | None = None,
    admission: bool = False,
) -> Application:
    """File an application. The child is one in the filer's scope, or (cross-region filing) any
    recorded child named by the full identity number.

    About a child outside the filer's area the answer names the deciding county and nothing
    else: the application is filed whether or not the child already receives an allowance (the
    county, which pays it, sees that and decides), so the answer never tells a stranger whether
    a child is supported (docs/SECURITY.md, "Lookups by identity number").

    `admission`: an institution admitting an orphan files for `orphan_institution` at the
    township of the child's village (the caller, institutions.placements.services.placement_admit,
    has checked who may admit; the child is then in the institution's care and scope)."""
    if not admission:
        require(by, Action.APPLY)
    if category not in PAID_CATEGORIES:
        raise field_error("category", _("Applications are for the paid categories."))
    township = _receiving_township(received_region)
    if not admission and not _may_receive_at(by, township):
        raise field_error("received_region", _("You can only file at your own township."))
    if child is not None:
        # A child named by id must be one the filer may see; anyone else is named by number.
        if not child_list(user=by).filter(id=child.id).exists():
            raise PermissionDeniedError(_("This child is outside your area of responsibility."))
        in_area = True
    else:
        number = normalize_id_number(child_id_number)
        if len(number) != 18:
            raise field_error("child_id_number", _("Enter the child's full 18-character identity number."))
        child = Child.objects.select_related("household_region", "region").with_id_number(number).first()
        if child is None:
            raise field_error("child_id_number", _("No child with this identity number is recorded: register the child first."))
        in_area = child_list(user=by).filter(id=child.id).exists()
    county = household_county(child)
    if county is None:
        raise field_error("child", _("The child's household registration has no county to decide the application."))
    province_of_township = township.ancestor_codes()[0]
    if category in NATIONWIDE_FILING:
        pass  # 跨省通办: any township in the country
    elif category in PROVINCEWIDE_FILING:
        if county.ancestor_codes()[0] != province_of_township:
            raise field_error(
                "received_region",
                _("This category can only be filed in the province of the child's household registration."),
            )
    elif not county.contains(township):
        raise field_error("received_region", _("This category can only be filed in the county of household registration."))
    from benefits.enrollments.models import Enrollment

    if in_area and Enrollment.objects.filter(child=child, status=Enrollment.Status.ACTIVE).exists():
        raise field_error("child", _("This child already receives an allowance (one at a time)."))
    if Application.objects.filter(child=child, category=category, status__in=OPEN).exists():
        raise field_error("category", _("An application for this child and category is already waiting for a decision."))
    submitted_on = submitted_on or timezone.localdate()
    try:
        with transaction.atomic():
            application = Application.objects.create(
                child=child,
                category=category,
                received_region=township,
                county=county,
                reason=(reason or "").strip(),
                submitted_on=submitted_on,
                due_on=add_working_days(submitted_on, settings.APPLICATION_TIME_LIMIT_WORKING_DAYS),
                submitted_by=by,
            )
    except IntegrityError:
        raise field_error("category", _("An application for this child and category is already waiting for a decision.")) from None
    audit_record(actor=by, action="application.submitted", target=application, detail={"category": category, "county": county.code})
    return application


def _locked(application: Application) -> Application:
    return Application.objects.select_for_update().select_related("child", "county", "received_region").get(id=application.id)


def _may_review(user, application: Application) -> bool:
    child = application.child
    return any(in_scope(user, r) for r in (child.household_region, child.region, application.received_region))


@transaction.atomic
def application_review(*, by, application: Application, comment: str = "") -> Application:
    """The township's review (审核): passes the application to the county with a comment."""
    require(by, Action.REVIEW)
    application = _locked(application)
    if not _may_review(by, application):
        require_in_scope(by, application.county)  # raises 403 with the usual message
    if application.status != Application.Status.SUBMITTED:
        raise field_error("status", _("Only a submitted application can be reviewed (this one is %(s)s).") % {"s": application.get_status_display()})
    application.status = Application.Status.REVIEWED
    application.reviewed_by, application.reviewed_on = by, timezone.localdate()
    application.review_comment = (comment or "").strip()
    application.save(update_fields=["status", "reviewed_by", "reviewed_on", "review_comment"])
    audit_record(actor=by, action="application.reviewed", target=application)
    return application


@transaction.atomic
def application_approve(
    *,
    by,
    application: Application,
    start_month: datetime.date | None = None,
    bank_account_holder: str = "",
    bank_account: str = "",
    comment: str = "",
):
    """The county's approval (审批): enrolls the child from the month after approval (by default,
    settings.ENROLLMENT_START_MONTH_OFFSET) and opens the category membership."""
    from benefits.enrollments.services import enrollment_open
    from welfare.months import add_months, month_start

    require(by, Action.APPROVE)
    require_in_scope(by, application.county)
    application = _locked(application)
    if application.status == Application.Status.APPROVED:
        raise field_error("status", _("This application has already been approved."))
    if application.status != Application.Status.REVIEWED:
        raise field_error("status", _("The township must review the application before the county decides."))
    today = timezone.localdate()
    start = month_start(start_month) if start_month else add_months(month_start(today), settings.ENROLLMENT_START_MONTH_OFFSET)
    application.status, application.decided_by, application.decided_on = Application.Status.APPROVED, by, today
    if comment:
        application.reason = (application.reason + "\n" + comment.strip()).strip()
    application.save(update_fields=["status", "decided_by", "decided_on", "reason"])
    enrollment = enrollment_open(
        by=by,
        child=application.child,
        category=application.category,
        county=application.county,
        start_month=start,
        application=application,
        bank_account_holder=bank_account_holder,
        bank_account=bank_account,
        on=today,
    )
    audit_record(actor=by, action="application.approved", target=application, detail={"enrollment": enrollment.id})
    return application


@transaction.atomic
def application_reject(*, by, application: Application, reason: str) -> Application:
    require(by, Action.APPROVE)
    require_in_scope(by, application.county)
    if not (reason or "").strip():
        raise field_error("reason", _("Give the reason for the rejection."))
    application = _locked(application)
    if application.status not in OPEN:
        raise field_error("status", _("This application has already been decided."))
    application.status, application.decided_by, application.decided_on = Application.Status.REJECTED, by, timezone.localdate()
    application.reason = reason.strip()
    application.save(update_fields=["status", "decided_by", "decided_on", "reason"])
    audit_record(actor=by, action="application.rejected", target=application)
    return application
