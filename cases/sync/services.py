"""Edits made offline, sent with the `version` they were made from. Nothing is silently
overwritten: fields nobody else changed meanwhile are applied (merge), a field someone else
changed to another value is not applied but kept with both values for the township supervisor
(`EditConflict`), who picks one (`edit_conflict_resolve`). The rules: docs/offline.md."""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.children.models import Child, Guardian
from cases.children.services import (
    GUARDIAN_FIELDS,
    child_update,
    child_update_with_categories,
    guardian_fields_clean,
    guardian_update,
)
from cases.sync.models import EditConflict
from welfare.audit import audit_record
from welfare.errors import ApplicationError, PermissionDeniedError
from welfare.models import Region
from welfare.roles import Action, can, require
from welfare.scoping import require_in_scope, require_record_in_scope


@dataclass
class PatchOutcome:
    """What a versioned edit did: the record as it is now, the fields applied, the conflicts
    kept for the supervisor (none: the edit is fully applied)."""

    record: models.Model
    applied: list[str] = field(default_factory=list)
    conflicts: list[EditConflict] = field(default_factory=list)


def plain(value: Any) -> Any:
    """A field's value as JSON: a region by its code, a date in ISO form."""
    if isinstance(value, Region):
        return value.code
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


def _same(a: Any, b: Any) -> bool:
    return plain(a) == plain(b)


def _stored(record: models.Model, name: str) -> Any:
    """A field's stored value (a foreign key by its region code, read through the relation)."""
    return getattr(record, name)


def _as_read(record: models.Model, version: int):
    """The record as it was at `version` (its history row), or None when it is not known."""
    return record.history.filter(version=version).order_by("-history_date", "-history_id").first()  # type: ignore[attr-defined]


def _as_read_value(row, model: type[models.Model], name: str) -> Any:
    fld = model._meta.get_field(name)
    value = getattr(row, getattr(fld, "attname", name))
    if isinstance(fld, models.ForeignKey) and value is not None:
        return Region.objects.filter(pk=value).first() if fld.related_model is Region else value
    return value


def _split(*, record, model, version: int, proposed: dict[str, Any]) -> tuple[dict[str, Any], dict[str, tuple[Any, Any]]]:
    """Which proposed changes apply (nobody changed that field since `version`) and which clash
    (someone changed it to another value): {field: value}, {field: (value as read, value now)}."""
    row = _as_read(record, version)
    apply: dict[str, Any] = {}
    clash: dict[str, tuple[Any, Any]] = {}
    for name, value in proposed.items():
        current = _stored(record, name)
        if _same(current, value):
            continue  # the same change was made already
        as_read = _as_read_value(row, model, name) if row is not None else None
        if row is not None and _same(as_read, current):
            apply[name] = value
        else:
            clash[name] = (as_read, current)
    return apply, clash


def _refuse_version(version: int, current: int) -> None:
    if version < 1 or version > current:
        msg = _("This version of the record does not exist: read the record again.")
        raise ApplicationError(msg, field_errors={"version": msg})


def _record_conflicts(*, by, child: Child, guardian: Guardian | None, version: int, clash, proposed) -> list[EditConflict]:
    out = []
    for name, (as_read, current) in clash.items():
        conflict = EditConflict.objects.create(
            record_type=EditConflict.RecordType.GUARDIAN if guardian is not None else EditConflict.RecordType.CHILD,
            child=child,
            guardian=guardian,
            field=name,
            base_version=version,
            base_value=plain(as_read),
            current_value=plain(current),
            proposed_value=plain(proposed[name]),
            proposed_by=by,
        )
        audit_record(actor=by, action="edit_conflict.recorded", target=conflict, detail={"field": name})
        out.append(conflict)
    return out


@transaction.atomic
def child_update_versioned(*, by, child: Child, version: int, categories: list[str] | None = None, **fields) -> PatchOutcome:
    """`child_update_with_categories` for an edit made from `version` of the child's record: as it
    is when nothing changed since; otherwise merged field by field, clashes kept for the
    supervisor. Categories are only ever added, so they never clash."""
    require(by, Action.EDIT)
    require_record_in_scope(by, child, region=child.region)
    locked = Child.objects.select_for_update().select_related("region", "household_region").get(pk=child.pk)
    _refuse_version(version, locked.version)
    if version == locked.version:
        updated = child_update_with_categories(by=by, child=locked, categories=categories, **fields)
        return PatchOutcome(record=updated, applied=sorted(fields))
    apply, clash = _split(record=locked, model=Child, version=version, proposed=fields)
    updated = locked
    if apply or categories is not None:
        updated = child_update_with_categories(by=by, child=locked, categories=categories, **apply)
    conflicts = _record_conflicts(by=by, child=locked, guardian=None, version=version, clash=clash, proposed=fields)
    return PatchOutcome(record=updated, applied=sorted(apply), conflicts=conflicts)


@transaction.atomic
def guardian_update_versioned(*, by, guardian: Guardian, version: int, **fields) -> PatchOutcome:
    """`guardian_update` for an edit made from `version` of the guardian's record (see
    `child_update_versioned`). The values sent are checked by the guardian's rules first, clashing
    ones included, so the supervisor is only ever offered valid values."""
    require(by, Action.EDIT)
    require_record_in_scope(by, guardian.child, region=guardian.child.region)
    locked = Guardian.objects.select_for_update().select_related("child__region").get(pk=guardian.pk)
    _refuse_version(version, locked.version)
    unknown = set(fields) - set(GUARDIAN_FIELDS)
    if unknown:
        raise ApplicationError(_("These fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(unknown))})
    cleaned = guardian_fields_clean(**{**{f: getattr(locked, f) for f in GUARDIAN_FIELDS}, **fields})
    proposed = {name: cleaned[name] for name in fields}
    if version == locked.version:
        return PatchOutcome(record=guardian_update(by=by, guardian=locked, **proposed), applied=sorted(proposed))
    apply, clash = _split(record=locked, model=Guardian, version=version, proposed=proposed)
    updated = guardian_update(by=by, guardian=locked, **apply) if apply else locked
    conflicts = _record_conflicts(by=by, child=locked.child, guardian=locked, version=version, clash=clash, proposed=proposed)
    return PatchOutcome(record=updated, applied=sorted(apply), conflicts=conflicts)


def _value_for_child(name: str, value: Any) -> Any:
    fld = Child._meta.get_field(name)
    if isinstance(fld, models.ForeignKey):
        return Region.objects.filter(code=value).first()
    if isinstance(fld, models.DateField) and isinstance(value, str):
        return datetime.date.fromisoformat(value)
    return value


@transaction.atomic
def edit_conflict_resolve(*, by, conflict: EditConflict, choice: str) -> EditConflict:
    """The supervisor picks a clash's value: `current` keeps the server's, `proposed` applies the
    phone's through the record's own service (its rules, its history, a new version). Logged."""
    if not (can(by, Action.REVIEW) or can(by, Action.APPROVE)):
        raise PermissionDeniedError(_("Your role is not allowed to do this."))
    require_in_scope(by, conflict.child.region)
    conflict = EditConflict.objects.select_for_update(of=("self",)).select_related("child__region", "guardian").get(pk=conflict.pk)
    if conflict.status != EditConflict.Status.OPEN:
        msg = _("This conflict has already been resolved.")
        raise ApplicationError(msg, field_errors={"choice": msg})
    if choice not in EditConflict.Choice.values:
        msg = _("Choose which value to keep.")
        raise ApplicationError(msg, field_errors={"choice": msg})
    if choice == EditConflict.Choice.PROPOSED:
        if conflict.guardian is not None:
            guardian_update(by=by, guardian=conflict.guardian, **{conflict.field: conflict.proposed_value})
        else:
            child_update(by=by, child=conflict.child, **{conflict.field: _value_for_child(conflict.field, conflict.proposed_value)})
    conflict.status = EditConflict.Status.RESOLVED
    conflict.choice, conflict.resolved_by, conflict.resolved_at = choice, by, timezone.now()
    conflict.save(update_fields=["status", "choice", "resolved_by", "resolved_at"])
    audit_record(actor=by, action="edit_conflict.resolved", target=conflict, detail={"field": conflict.field, "choice": choice})
    return conflict
