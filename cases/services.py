"""Writes of children, guardians and category memberships: the only place their rules live."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.categories import PAID_CATEGORIES, Category, is_paid
from cases.models import CategoryMembership, Child, Guardian
from welfare.audit import audit_record
from welfare.errors import ApplicationError
from welfare.idnumber import mask_id_number, normalize_id_number, parse_id_number
from welfare.models import Region
from welfare.roles import Action, require
from welfare.scoping import require_in_scope


def _validated_identity(
    *, id_number: str | None, sex: str | None, birth_date: datetime.date | None, exclude_child_id: int | None = None
) -> tuple[str | None, str, datetime.date]:
    """Check the identity number and what was typed beside it; return (number, sex, birth)."""
    number = normalize_id_number(id_number) or None
    errors: dict[str, str] = {}
    if number:
        try:
            info = parse_id_number(number)
        except ValidationError as exc:
            raise ApplicationError(exc.messages[0], field_errors={"id_number": exc.messages[0]}) from None
        if sex and sex != info.sex:
            errors["sex"] = _("The sex does not match the identity number (it says %(sex)s).") % {
                "sex": _("male") if info.sex == "M" else _("female")
            }
        if birth_date and birth_date != info.birth_date:
            errors["birth_date"] = _("The birth date does not match the identity number (it says %(date)s).") % {
                "date": info.birth_date.isoformat()
            }
        sex, birth_date = sex or info.sex, birth_date or info.birth_date
        existing = Child.objects.filter(id_number=number).exclude(id=exclude_child_id).select_related("region").first()
        if existing is not None:
            errors["id_number"] = _("The child with the number %(number)s is already recorded in %(region)s.") % {
                "number": mask_id_number(number),
                "region": existing.region.full_name,
            }
    else:
        if not sex:
            errors["sex"] = _("Enter the sex (there is no identity number to take it from).")
        if not birth_date:
            errors["birth_date"] = _("Enter the birth date (there is no identity number to take it from).")
    if birth_date and birth_date > timezone.localdate():
        errors["birth_date"] = _("The birth date cannot be in the future.")
    if errors:
        raise ApplicationError(next(iter(errors.values())), field_errors=errors)
    assert sex is not None and birth_date is not None
    return number, sex, birth_date


def _require_village(region: Region | None, field: str = "region") -> Region:
    if region is None or region.level != Region.Level.VILLAGE:
        msg = _("Choose the village or community where the child lives.")
        raise ApplicationError(msg, field_errors={field: msg})
    return region


@transaction.atomic
def child_register(
    *,
    by,
    name: str,
    region: Region,
    household_region: Region | None = None,
    id_number: str | None = None,
    sex: str | None = None,
    birth_date: datetime.date | None = None,
    school: str = "",
    health_notes: str = "",
    disability_notes: str = "",
    categories: list[str] | None = None,
    registered_on: datetime.date | None = None,
) -> Child:
    """Record a new child. The identity number is validated and unique nationally; sex and
    birth date come from it when not typed and must agree with it when typed."""
    require(by, Action.CREATE)
    _require_village(region)
    require_in_scope(by, region)
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Enter the child's name."), field_errors={"name": _("Enter the child's name.")})
    number, sex, birth_date = _validated_identity(id_number=id_number, sex=sex, birth_date=birth_date)
    today = timezone.localdate()
    child = Child(
        name=name,
        id_number=number,
        sex=sex,
        birth_date=birth_date,
        region=region,
        household_region=household_region or region,
        school=school,
        health_notes=health_notes,
        disability_notes=disability_notes,
        registered_on=registered_on or today,
        created_by=by,
    )
    try:
        with transaction.atomic():
            child.save()
    except IntegrityError:
        # A concurrent registration of the same number won the race.
        raise ApplicationError(
            _("This identity number was recorded a moment ago."), field_errors={"id_number": _("This identity number was recorded a moment ago.")}
        ) from None
    for category in categories or []:
        membership_start(by=by, child=child, category=category, start_date=child.registered_on)
    audit_record(actor=by, action="child.registered", target=child)
    return child


@transaction.atomic
def child_update(*, by, child: Child, **fields) -> Child:
    """Change a child's record; identity rules as on registration."""
    require(by, Action.EDIT)
    require_in_scope(by, child.region)
    if "region" in fields:
        _require_village(fields["region"])
        require_in_scope(by, fields["region"])
    if {"id_number", "sex", "birth_date"} & fields.keys():
        number, sex, birth = _validated_identity(
            id_number=fields.get("id_number", child.id_number),
            sex=fields.get("sex", child.sex),
            birth_date=fields.get("birth_date", child.birth_date),
            exclude_child_id=child.id,
        )
        fields.update(id_number=number, sex=sex, birth_date=birth)
    allowed = {"name", "id_number", "sex", "birth_date", "region", "household_region", "school", "health_notes", "disability_notes", "died_on"}
    unknown = set(fields) - allowed
    if unknown:
        raise ApplicationError(_("These fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(unknown))})
    for key, value in fields.items():
        setattr(child, key, value)
    child.review_status = Child.ReviewStatus.PENDING
    child.save()
    audit_record(actor=by, action="child.updated", target=child, detail={"fields": sorted(fields)})
    return child


@transaction.atomic
def guardian_add(
    *,
    by,
    child: Child,
    name: str,
    relation: str,
    id_number: str = "",
    phone: str = "",
    is_migrant_worker: bool = False,
    work_place: str = "",
    can_act_as_guardian: bool = True,
) -> Guardian:
    require(by, Action.CREATE)
    require_in_scope(by, child.region)
    errors = {}
    if not (name or "").strip():
        errors["name"] = _("Enter the guardian's name.")
    if relation not in Guardian.Relation.values:
        errors["relation"] = _("Choose the relation to the child.")
    number = normalize_id_number(id_number)
    if number:
        try:
            parse_id_number(number)
        except ValidationError as exc:
            errors["id_number"] = exc.messages[0]
    if errors:
        raise ApplicationError(next(iter(errors.values())), field_errors=errors)
    guardian = Guardian.objects.create(
        child=child,
        name=name.strip(),
        relation=relation,
        id_number=number,
        phone=(phone or "").strip(),
        is_migrant_worker=is_migrant_worker,
        work_place=work_place if is_migrant_worker else "",
        can_act_as_guardian=can_act_as_guardian,
    )
    audit_record(actor=by, action="guardian.added", target=guardian)
    return guardian


@transaction.atomic
def membership_start(
    *, by, child: Child, category: str, start_date: datetime.date, reason: str = "", sub_category: str = ""
) -> CategoryMembership:
    """Put a child in a category. A paid category excludes every other paid one."""
    require(by, Action.EDIT)
    require_in_scope(by, child.region)
    if category not in Category.values:
        raise ApplicationError(_("Unknown category: %(c)s") % {"c": category}, field_errors={"categories": _("Unknown category.")})
    open_q = Q(end_date__isnull=True) | Q(end_date__gte=start_date)
    current = CategoryMembership.objects.select_for_update().filter(child=child).filter(open_q)
    if current.filter(category=category).exists():
        msg = _("The child is already in this category.")
        raise ApplicationError(msg, field_errors={"categories": msg})
    if is_paid(category) and current.filter(category__in=PAID_CATEGORIES).exists():
        msg = _("A child can receive only one basic living allowance: end the other paid category first.")
        raise ApplicationError(msg, field_errors={"categories": msg})
    membership = CategoryMembership.objects.create(
        child=child, category=category, start_date=start_date, reason=reason, sub_category=sub_category
    )
    audit_record(actor=by, action="membership.started", target=membership, detail={"category": category})
    return membership


@transaction.atomic
def membership_end(*, by, membership: CategoryMembership, end_date: datetime.date, end_reason: str) -> CategoryMembership:
    require(by, Action.EDIT)
    require_in_scope(by, membership.child.region)
    if end_date < membership.start_date:
        msg = _("The end date cannot be before the start date.")
        raise ApplicationError(msg, field_errors={"end_date": msg})
    if not (end_reason or "").strip():
        msg = _("Give the reason the membership ends.")
        raise ApplicationError(msg, field_errors={"end_reason": msg})
    membership.end_date, membership.end_reason = end_date, end_reason.strip()
    membership.save(update_fields=["end_date", "end_reason"])
    audit_record(actor=by, action="membership.ended", target=membership)
    return membership
