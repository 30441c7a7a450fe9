"""Writes of staff and trainings: a staff member added (with a start date) and ended (with an
end date), a training attended (with hours). The only place these rules change data.

Who: for an institution's staff, `institutions.access.may_write_institution` (its own staff, the
county officials over it, administrators); for staff without an institution (child directors,
supervisors), the county officials whose region contains theirs and administrators. A staff
member of another institution is refused (403), and nothing changes."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from institutions.access import may_write_institution
from institutions.models import Institution
from institutions.staffing.models import Staff, Training
from welfare.audit import audit_record
from welfare.errors import ApplicationError, PermissionDeniedError
from welfare.models import Region
from welfare.roles import Role
from welfare.scoping import in_scope
from welfare.validators import person_name_clean, phone_clean

MAX_HOURS = Decimal("1000")
INSTITUTION_POSITIONS = (Staff.Position.DIRECTOR, Staff.Position.CARER, Staff.Position.SOCIAL_WORKER)


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise ApplicationError(next(iter(errors.values())), field_errors=errors)


def may_write_staff(user, *, institution: Institution | None, region: Region | None) -> bool:
    """Whether `user` may add or change staff of `institution` (or, without one, of `region`)."""
    if institution is not None:
        return may_write_institution(user, institution)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_admin_role or (user.role == Role.COUNTY_OFFICIAL and in_scope(user, region))


def _require_staff_writer(user, staff: Staff) -> None:
    if not may_write_staff(user, institution=staff.institution, region=staff.region):
        raise PermissionDeniedError(
            _("This staff member belongs to another institution or area: you cannot change their record.")
        )


def _future(value: datetime.date | None) -> bool:
    return value is not None and value > timezone.localdate()


@transaction.atomic
def staff_add(
    *,
    by,
    institution: Institution | None,
    name: str,
    position: str,
    appointed_on: datetime.date | None,
    phone: str = "",
    region: Region | None = None,
) -> Staff:
    """Add a staff member to an institution (region: the institution's), or — without an
    institution — a child director or supervisor of `region`."""
    if institution is None and region is None:
        message = _("Choose the institution.")
        raise ApplicationError(message, field_errors={"institution": message})
    if not may_write_staff(by, institution=institution, region=region):
        raise PermissionDeniedError(
            _("Only the institution's staff and the county's civil-affairs officials may do this.")
        )
    errors: dict[str, str] = {}
    try:
        name = person_name_clean(name)
    except ValidationError as exc:
        errors["name"] = _("Enter the name.") if exc.code == "blank" else exc.messages[0]
    if position not in Staff.Position.values:
        errors["position"] = _("Choose the position.")
    elif institution is not None and position not in INSTITUTION_POSITIONS:
        errors["position"] = _("An institution's staff are its director, carers and social workers.")
    try:
        phone = phone_clean(phone)
    except ValidationError as exc:
        errors["phone"] = exc.messages[0]
    if _future(appointed_on):
        errors["appointed_on"] = _("The date cannot be in the future.")
    _raise(errors)
    home = institution.region if institution is not None else region
    assert home is not None
    staff = Staff.objects.create(
        name=name,
        position=position,
        region=home,
        institution=institution,
        phone=phone,
        appointed_on=appointed_on,
    )
    audit_record(
        actor=by, action="staff.added", target=staff, detail={"institution": institution.pk if institution else None}
    )
    return staff


@transaction.atomic
def staff_end(*, by, staff: Staff, left_on: datetime.date | None) -> Staff:
    """A staff member leaves: on or after their start date, not in the future."""
    staff = (
        Staff.objects.select_for_update(of=("self",)).select_related("institution__region", "region").get(pk=staff.pk)
    )
    _require_staff_writer(by, staff)
    errors: dict[str, str] = {}
    if staff.left_on is not None:
        errors["staff"] = _("This staff member already left on %(date)s.") % {"date": staff.left_on.isoformat()}
    elif left_on is None:
        errors["left_on"] = _("Give the date the staff member left.")
    elif _future(left_on):
        errors["left_on"] = _("The date cannot be in the future.")
    elif staff.appointed_on is not None and left_on < staff.appointed_on:
        errors["left_on"] = _("The end date cannot be before the start date (%(date)s).") % {
            "date": staff.appointed_on.isoformat()
        }
    _raise(errors)
    staff.left_on = left_on
    staff.save(update_fields=["left_on"])
    audit_record(actor=by, action="staff.ended", target=staff)
    return staff


@transaction.atomic
def training_record(*, by, staff: Staff | None, title: str, held_on: datetime.date | None, hours) -> Training:
    """A training a staff member attended, with its hours."""
    if staff is None:
        message = _("Choose the staff member.")
        raise ApplicationError(message, field_errors={"staff": message})
    staff = Staff.objects.select_related("institution__region", "region").get(pk=staff.pk)
    _require_staff_writer(by, staff)
    errors: dict[str, str] = {}
    if not (title or "").strip():
        errors["title"] = _("Give the title of the training.")
    elif len(title) > 200:
        errors["title"] = _("This is too long (at most %(n)d characters).") % {"n": 200}
    if held_on is None:
        errors["held_on"] = _("Give the date of the training.")
    elif _future(held_on):
        errors["held_on"] = _("The date cannot be in the future.")
    try:
        value = Decimal(str(hours)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not (Decimal("0") < value <= MAX_HOURS):
        errors["hours"] = _("Give the hours, more than 0 and at most %(n)s.") % {"n": MAX_HOURS}
    _raise(errors)
    assert held_on is not None and value is not None
    training = Training.objects.create(staff=staff, title=title.strip(), held_on=held_on, hours=value)
    audit_record(actor=by, action="training.recorded", target=training, detail={"staff": staff.pk})
    return training
