"""Who may change what of an institution, one rule each (the services call these; the API and
the pages ask them to decide what to offer):

- an institution's own work (admissions, discharges, care records, safety meetings, staff,
  trainings): its staff, the county officials of the county it lies in, administrators;
- inspections: county and city officials whose region contains the institution, administrators;
- the rectification of a finding: the staff of the inspected institution, the county officials
  of its county, administrators.

Nobody else writes (province officials read; township and village users neither)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from welfare.errors import PermissionDeniedError
from welfare.roles import Role
from welfare.scoping import in_scope, is_institution_user


def _active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def is_own_institution(user, institution) -> bool:
    """Whether `user` is on the staff (an account) of `institution`."""
    return (
        _active(user)
        and is_institution_user(user)
        and institution is not None
        and user.institution_id == institution.pk
    )


def may_write_institution(user, institution) -> bool:
    """Its staff, the county officials over it, administrators."""
    if not _active(user) or institution is None:
        return False
    if user.is_admin_role:
        return True
    if is_institution_user(user):
        return user.institution_id == institution.pk
    return user.role == Role.COUNTY_OFFICIAL and in_scope(user, institution.region)


def require_write_institution(user, institution) -> None:
    if not may_write_institution(user, institution):
        raise PermissionDeniedError(
            _("Only the institution's staff and the county's civil-affairs officials may do this.")
        )


def may_inspect(user, institution) -> bool:
    """County and city officials whose region contains the institution, administrators."""
    if not _active(user) or institution is None:
        return False
    if user.is_admin_role:
        return True
    return user.role in (Role.COUNTY_OFFICIAL, Role.CITY_OFFICIAL) and in_scope(user, institution.region)


def require_inspect(user, institution) -> None:
    if not may_inspect(user, institution):
        raise PermissionDeniedError(
            _("Inspections are recorded by the county or city civil-affairs officials over the institution.")
        )


def may_rectify(user, institution) -> bool:
    """The inspected institution's staff, the county officials over it, administrators."""
    return may_write_institution(user, institution)
