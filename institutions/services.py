"""Writes of institutions themselves: a county (or an administrator) records an institution of
its county; its staff and the county change its details. The rules of the work inside an
institution live in the sub-domains (staffing, placements, inspections)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from institutions.access import require_write_institution
from institutions.models import Institution
from welfare.audit import audit_record
from welfare.errors import ApplicationError, PermissionDeniedError
from welfare.models import Region
from welfare.roles import Role
from welfare.scoping import in_scope
from welfare.validators import phone_clean

FIELDS = ("name", "kind", "region", "capacity", "address", "phone", "is_rehabilitation_centre")


def _errors(values: dict) -> dict[str, str]:
    errors: dict[str, str] = {}
    if "name" in values and not (values["name"] or "").strip():
        errors["name"] = _("Enter the name.")
    if "kind" in values and values["kind"] not in Institution.Kind.values:
        errors["kind"] = _("Choose the kind of institution.")
    if "region" in values and values["region"] is None:
        errors["region"] = _("Choose the region.")
    if "capacity" in values and (values["capacity"] is None or int(values["capacity"]) < 0):
        errors["capacity"] = _("Give the number of beds (0 or more).")
    if "phone" in values:
        try:
            values["phone"] = phone_clean(values["phone"] or "")
        except ValidationError as exc:
            errors["phone"] = exc.messages[0]
    return errors


def _may_place_in(user, region: Region | None) -> bool:
    """A county official records institutions of their county; administrators anywhere."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_admin_role or (user.role == Role.COUNTY_OFFICIAL and in_scope(user, region))


def _save(institution: Institution, *, by, action: str) -> Institution:
    try:
        with transaction.atomic():
            institution.save()
    except IntegrityError:
        message = _("An institution of this name is already recorded in this region.")
        raise ApplicationError(message, field_errors={"name": message}) from None
    audit_record(actor=by, action=action, target=institution)
    return institution


@transaction.atomic
def institution_create(*, by, **values) -> Institution:
    values = {k: v for k, v in values.items() if k in FIELDS}
    if not _may_place_in(by, values.get("region")):
        raise PermissionDeniedError(_("Institutions are recorded by the county's civil-affairs officials."))
    errors = _errors(values)
    for name in ("name", "kind"):
        if name not in values:
            errors.setdefault(name, _("This field is required."))
    if errors:
        raise ApplicationError(next(iter(errors.values())), field_errors=errors)
    values["name"] = values["name"].strip()
    return _save(Institution(**values), by=by, action="institution.created")


@transaction.atomic
def institution_update(*, by, institution: Institution, **values) -> Institution:
    """Change an institution's details: its staff and the county over it. Moving it to another
    region is the county's, within its county."""
    institution = Institution.objects.select_for_update().select_related("region").get(pk=institution.pk)
    require_write_institution(by, institution)
    values = {k: v for k, v in values.items() if k in FIELDS}
    if "region" in values and values["region"] != institution.region and not _may_place_in(by, values["region"]):
        raise PermissionDeniedError(_("Institutions are recorded by the county's civil-affairs officials."))
    errors = _errors(values)
    if errors:
        raise ApplicationError(next(iter(errors.values())), field_errors=errors)
    for name, value in values.items():
        setattr(institution, name, value.strip() if name == "name" else value)
    return _save(institution, by=by, action="institution.updated")
