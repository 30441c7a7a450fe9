"""The rules of a child's record that need no database, each written once: which category
memberships may be open together and how one ends, and what an identity number says about the
sex and birth date typed beside it. The services (cases.children.services), the admin and the
roster import (cases.roster.services) call these; national uniqueness of a number needs the
database and stays with its callers, one child at a time or a whole file at a time."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.children.categories import is_paid
from welfare.idnumber import mask_id_number, normalize_id_number, parse_id_number


def membership_refusal(*, category: str, open_categories: Iterable[str]) -> str | None:
    """Why a child whose memberships `open_categories` are open cannot start `category`, or None
    when they can. A category is open once at a time, and a child is in one paid category at a
    time (one basic living allowance); the database backs both with partial unique indexes
    (CategoryMembership.Meta.constraints)."""
    others = list(open_categories)
    if category in others:
        return _("The child is already in this category.")
    if is_paid(category) and any(is_paid(other) for other in others):
        return _("A child can receive only one basic living allowance: end the other paid category first.")
    return None


def membership_end_errors(*, start_date: datetime.date, end_date: datetime.date, end_reason: str) -> dict[str, str]:
    """Why a membership that started on `start_date` cannot end on `end_date` for
    `end_reason`, by field (empty when it can): never before it started, always with a reason."""
    errors: dict[str, str] = {}
    if end_date < start_date:
        errors["end_date"] = _("The end date cannot be before the start date.")
    if not (end_reason or "").strip():
        errors["end_reason"] = _("Give the reason the membership ends.")
    return errors


@dataclass(frozen=True)
class Identity:
    """What `identity_check` made of a number and the sex and birth date typed beside it: the
    normalised number (None without one), the sex and birth date (typed, or taken from the
    number), and the refusals by field (empty when all is well)."""

    id_number: str | None
    sex: str | None
    birth_date: datetime.date | None
    errors: dict[str, str]


def identity_check(
    *, id_number: str | None, sex: str | None, birth_date: datetime.date | None, today: datetime.date | None = None
) -> Identity:
    """The identity rules of a child. A number must be valid (format, province, birth date,
    check character); the sex and birth date come from it when not typed and must agree with it
    when typed. Without a number both must be typed. A birth date is never in the future.
    National uniqueness needs the database: `cases.children.services.child_identity_validate`
    adds it for one child, the roster import for a whole file."""
    today = today or timezone.localdate()
    number = normalize_id_number(id_number) or None
    errors: dict[str, str] = {}
    if number:
        try:
            info = parse_id_number(number, today=today)
        except ValidationError as exc:
            errors["id_number"] = exc.messages[0]
        else:
            if sex and sex != info.sex:
                errors["sex"] = _("The sex does not match the identity number (it says %(sex)s).") % {
                    "sex": _("male") if info.sex == "M" else _("female")
                }
            if birth_date and birth_date != info.birth_date:
                errors["birth_date"] = _("The birth date does not match the identity number (it says %(date)s).") % {
                    "date": info.birth_date.isoformat()
                }
            number, sex, birth_date = info.number, sex or info.sex, birth_date or info.birth_date
    else:
        if not sex:
            errors["sex"] = _("Enter the sex (there is no identity number to take it from).")
        if not birth_date:
            errors["birth_date"] = _("Enter the birth date (there is no identity number to take it from).")
    if birth_date and birth_date > today:
        errors["birth_date"] = _("The birth date cannot be in the future.")
    return Identity(id_number=number, sex=sex, birth_date=birth_date, errors=errors)


def id_number_recorded_message(*, number: str, region: str | None, county: str | None) -> str:
    """The refusal of a number recorded already (numbers are unique nationally). `region` names
    where the child is recorded, given only when the caller may see that child; otherwise the
    message names `county` at most: a number typed into a form must not tell a stranger where a
    child lives (docs/SECURITY.md, "Lookups by identity number")."""
    if region is not None:
        return _("The child with the number %(number)s is already recorded in %(region)s.") % {
            "number": mask_id_number(number),
            "region": region,
        }
    return _("The child with the number %(number)s is already recorded in another area (%(county)s): contact that county.") % {
        "number": mask_id_number(number),
        "county": county or "—",
    }
