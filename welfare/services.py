"""Writes of regions and users: provisioning (import_regions, create_user, the admin's user form)."""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from welfare.audit import audit_record
from welfare.errors import ApplicationError
from welfare.models import Region
from welfare.regioncodes import RegionCodeError, region_code_normalize
from welfare.roles import Action, Role, require

REGION_CSV_HEADER = ("code", "name", "level", "parent")
_LEVEL_RANK = {level: i for i, level in enumerate(Region.LEVEL_ORDER)}
# Levels may also be written in Chinese in a roster.
_LEVEL_ALIASES = {
    "省": "province", "市": "city", "县": "county", "区": "county", "县区": "county",
    "乡": "township", "镇": "township", "街道": "township", "乡镇": "township",
    "村": "village", "社区": "village", "村居": "village",
}  # fmt: skip

# The region level each role is bound to (institution staff are bound to an institution,
# administrators to nothing).
ROLE_LEVEL = {
    Role.VILLAGE_DIRECTOR: Region.Level.VILLAGE,
    Role.TOWNSHIP_SUPERVISOR: Region.Level.TOWNSHIP,
    Role.COUNTY_OFFICIAL: Region.Level.COUNTY,
    Role.CITY_OFFICIAL: Region.Level.CITY,
    Role.PROVINCE_OFFICIAL: Region.Level.PROVINCE,
}
# Roles that work in the Django admin.
STAFF_ROLES = frozenset({Role.COUNTY_OFFICIAL, Role.ADMIN})


class RowErrors(ApplicationError):
    """A file was refused; `errors` lists one message per bad line ("line 7: ...")."""

    def __init__(self, message, *, errors: list[str]):
        super().__init__(message, field_errors={"rows": errors})
        self.errors = errors


@dataclass
class RegionImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: int = 0
    codes: list[str] = field(default_factory=list)


def region_rows_from_csv(stream: Iterable[str]) -> list[tuple[int, dict[str, str]]]:
    """Read a `code,name,level,parent` CSV (a BOM is tolerated) into (line number, row) pairs."""
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise RowErrors(
            _("The file is empty."), errors=[_("line 1: the header code,name,level,parent is missing")]
        ) from None
    header = [h.strip().lstrip("\ufeff").lower() for h in header]
    if tuple(header[:4]) != REGION_CSV_HEADER:
        msg = _("line 1: the header must be code,name,level,parent (found %(found)s)") % {"found": ",".join(header)}
        raise RowErrors(_("The file does not start with the header code,name,level,parent."), errors=[msg])
    rows = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        values = (values + ["", "", "", ""])[:4]
        rows.append((reader.line_num, dict(zip(REGION_CSV_HEADER, (v.strip() for v in values), strict=True))))
    return rows


def region_import_csv(*, text: str, by=None) -> RegionImportResult:
    """Import regions from the text of a CSV file (see `region_import`)."""
    return region_import(rows=region_rows_from_csv(io.StringIO(text.lstrip("\ufeff"))), by=by)


@dataclass(frozen=True)
class RegionRow:
    """One region of an import, as read and checked on its own: levels in English, codes as text
    (`parent` empty for a province)."""

    line: int
    code: str
    name: str
    level: str
    parent: str


def _region_row_problems(
    *, code: str, name: str, level: str, parent: str, raw_level: str, code_problems: list[str] | None = None
) -> list[str]:
    """What is wrong with one row on its own (the code, level, name and parent it gives);
    `code_problems`: what welfare.regioncodes found wrong with its code and parent code."""
    problems = list(code_problems or [])
    if level not in _LEVEL_RANK:
        problems.append(
            _("unknown level %(level)r (use province, city, county, township or village)") % {"level": raw_level}
        )
    if not name:
        problems.append(_("the name is empty"))
    elif len(name) > 100:
        problems.append(_("the name is longer than 100 characters"))
    if level == "province" and parent:
        problems.append(_("a province has no parent"))
    if level in _LEVEL_RANK and level != "province" and not parent:
        problems.append(_("the parent code is missing"))
    if parent and parent == code:
        problems.append(_("a region cannot be its own parent"))
    return problems


def _region_rows_read(rows: list[tuple[int, dict[str, str]]]) -> tuple[dict[str, RegionRow], list[tuple[int, str]]]:
    """The rows that are right on their own, by code, and one message per wrong line (a code
    given twice is wrong on its second line)."""
    errors: list[tuple[int, str]] = []
    wanted: dict[str, RegionRow] = {}
    for line, raw in rows:
        code, name = raw.get("code", "").strip(), raw.get("name", "").strip()
        level = raw.get("level", "").strip()
        level = _LEVEL_ALIASES.get(level, level.lower())
        parent = raw.get("parent", "").strip()
        # Codes as the official lists publish them, made canonical; the level from the code
        # when the column is empty (welfare.regioncodes).
        code_problems: list[str] = []
        try:
            canonical = region_code_normalize(code, level=level if level in _LEVEL_RANK else None)
            code, level = canonical.code, level or canonical.level
        except RegionCodeError as exc:
            code_problems.append(str(exc.message))
        if parent:
            try:
                parent = region_code_normalize(parent).code
            except RegionCodeError as exc:
                code_problems.append(_("parent: %(problem)s") % {"problem": exc.message})
        problems = _region_row_problems(
            code=code, name=name, level=level, parent=parent, raw_level=raw.get("level", ""), code_problems=code_problems
        )
        if code in wanted:
            problems.append(
                _("the code %(code)s already appears on line %(line)d") % {"code": code, "line": wanted[code].line}
            )
        if problems:
            errors.append((line, _("line %(line)d: %(problems)s") % {"line": line, "problems": "; ".join(problems)}))
            continue
        wanted[code] = RegionRow(line=line, code=code, name=name, level=level, parent=parent)
    return wanted, errors


def _regions_existing(wanted: dict[str, RegionRow]) -> dict[str, Region]:
    """The regions already recorded among the rows' codes and parents."""
    lookup = sorted(set(wanted) | {w.parent for w in wanted.values() if w.parent})
    existing: dict[str, Region] = {}
    for i in range(0, len(lookup), 900):  # SQLite limits the variables of one statement
        existing.update((r.code, r) for r in Region.objects.filter(code__in=lookup[i : i + 900]))
    return existing


def _region_parent_errors(wanted: dict[str, RegionRow], existing: dict[str, Region]) -> list[tuple[int, str]]:
    """Each row's parent must be in the file or the database, at a higher level."""

    def level_of(code: str) -> str | None:
        if code in wanted:
            return wanted[code].level
        return existing[code].level if code in existing else None

    errors: list[tuple[int, str]] = []
    for w in wanted.values():
        if not w.parent:
            continue
        parent_level = level_of(w.parent)
        if parent_level is None:
            errors.append(
                (
                    w.line,
                    _("line %(line)d: the parent %(parent)s is neither in the file nor in the database")
                    % {"line": w.line, "parent": w.parent},
                )
            )
        elif _LEVEL_RANK[parent_level] >= _LEVEL_RANK[w.level]:
            errors.append(
                (
                    w.line,
                    _("line %(line)d: a %(level)s cannot lie inside the %(parent_level)s %(parent)s")
                    % {"line": w.line, "level": w.level, "parent_level": parent_level, "parent": w.parent},
                )
            )
    return errors


def _region_level_write(
    *, level: str, wanted: dict[str, RegionRow], existing: dict[str, Region], by_code: dict[str, Region], result: RegionImportResult
) -> None:
    """Create and update the regions of one level (their parents are written by then: `by_code`).
    A moved region carries its subtree along: the descendants' paths are rewritten."""
    new: list[Region] = []
    changed: list[Region] = []
    for code in sorted(c for c, w in wanted.items() if w.level == level):
        w = wanted[code]
        parent_region = by_code.get(w.parent) if w.parent else None
        path = (parent_region.path if parent_region else "") + code + "/"
        region = existing.get(code)
        if region is None:
            new.append(Region(code=code, name=w.name, level=level, parent=parent_region, path=path))
            continue
        old_path = region.path
        if (region.name, region.level, region.parent_id, region.path) == (
            w.name,
            level,
            parent_region.pk if parent_region else None,
            path,
        ):
            result.unchanged += 1
            continue
        region.name, region.level, region.parent, region.path = w.name, level, parent_region, path
        changed.append(region)
        if old_path != path:
            Region.objects.filter(path__startswith=old_path).exclude(pk=region.pk).update(
                path=Concat(Value(path), Substr("path", len(old_path) + 1))
            )
            result.moved += 1
    if new:
        Region.objects.bulk_create(new, batch_size=2000)
        if any(r.pk is None for r in new):  # backends that cannot return ids
            ids = dict(Region.objects.filter(code__in=[r.code for r in new]).values_list("code", "id"))
            for r in new:
                r.pk = ids[r.code]
        result.created += len(new)
    if changed:
        Region.objects.bulk_update(changed, ["name", "level", "parent", "path"], batch_size=2000)
        result.updated += len(changed)
    for r in new + changed:
        by_code[r.code] = r


def _regions_write(*, wanted: dict[str, RegionRow], existing: dict[str, Region]) -> RegionImportResult:
    """Write checked rows, parents before children: by level, then code."""
    result = RegionImportResult()
    by_code: dict[str, Region] = dict(existing)
    for level in Region.LEVEL_ORDER:
        _region_level_write(level=level, wanted=wanted, existing=existing, by_code=by_code, result=result)
    result.codes = sorted(wanted)
    return result


@transaction.atomic
def region_import(*, rows: list[tuple[int, dict[str, str]]], by=None) -> RegionImportResult:
    """Create or update regions from (line number, {code, name, level, parent}) rows: read and
    check each row (`_region_rows_read`), check the tree against the database
    (`_region_parent_errors`), then write (`_regions_write`).

    All or nothing: every bad row is reported with its line number and nothing is written.
    Idempotent: existing codes get their name (and level or parent) updated, new ones are
    created. Parents may come after their children in the file, or already be in the database.
    `path` is computed for new regions and recomputed (with the subtree) for moved ones.
    """
    if by is not None:
        require(by, Action.ADMINISTER)
    wanted, errors = _region_rows_read(rows)
    existing = _regions_existing(wanted)
    errors += _region_parent_errors(wanted, existing)
    if errors:
        errors.sort(key=lambda e: e[0])
        raise RowErrors(
            _("%(n)d line(s) of the file are wrong; nothing was imported.") % {"n": len(errors)},
            errors=[msg for _line, msg in errors],
        )
    result = _regions_write(wanted=wanted, existing=existing)
    if result.created or result.updated:
        audit_record(
            actor=by,
            action="regions.imported",
            record_count=result.created + result.updated,
            detail={"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
        )
    return result


def user_binding_errors(*, role: str, region: Region | None, institution) -> dict[str, str]:
    """What is wrong with binding a user of `role` to a region or an institution (empty: fine)."""
    errors: dict[str, str] = {}
    if role not in Role.values:
        errors["role"] = _("Unknown role %(role)r; use one of: %(roles)s") % {
            "role": role,
            "roles": ", ".join(Role.values),
        }
        return errors
    if role == Role.ADMIN:
        if region is not None:
            errors["region"] = _("An administrator is not bound to a region.")
        if institution is not None:
            errors["institution"] = _("An administrator is not bound to an institution.")
    elif role == Role.INSTITUTION_STAFF:
        if institution is None:
            errors["institution"] = _("Institution staff must be bound to an institution.")
        if region is not None:
            errors["region"] = _("Institution staff are bound to their institution, not to a region.")
    else:
        if institution is not None:
            errors["institution"] = _("Only institution staff are bound to an institution.")
        expected = ROLE_LEVEL[Role(role)]
        if region is None:
            errors["region"] = _("A %(role)s must be bound to a %(level)s.") % {
                "role": Role(role).label,
                "level": Region.Level(expected).label,
            }
        elif region.level != expected:
            errors["region"] = _("A %(role)s must be bound to a %(level)s; %(region)s is a %(actual)s.") % {
                "role": Role(role).label,
                "level": Region.Level(expected).label,
                "region": str(region),
                "actual": region.get_level_display(),
            }
    return errors


@transaction.atomic
def user_provision(
    *,
    username: str,
    role: str,
    password: str,
    region_code: str | None = None,
    institution_id: int | None = None,
    first_name: str = "",
    last_name: str = "",
    password_hash: str | None = None,
    by=None,
):
    """Create a user bound to a region or an institution, or update an existing one's role,
    binding and password. Returns (user, created). County officials and administrators may
    use the Django admin (is_staff); administrators are superusers. `password_hash`, when given,
    is the already hashed `password` (demo data hashes one password once for many users)."""
    if by is not None:
        require(by, Action.ADMINISTER)
    User = get_user_model()
    Institution = User._meta.get_field("institution").related_model
    username = (username or "").strip()
    errors: dict[str, str] = {}
    if not username:
        errors["username"] = _("Enter a user name.")
    region = None
    institution: Any = None  # an institutions.Institution: the kernel does not import that app
    if region_code:
        region = Region.objects.filter(code=region_code.strip()).first()
        if region is None:
            errors["region"] = _("There is no region with the code %(code)s.") % {"code": region_code}
    if institution_id is not None:
        institution = Institution._default_manager.filter(pk=institution_id).select_related("region").first()
        if institution is None:
            errors["institution"] = _("There is no institution with the id %(id)s.") % {"id": institution_id}
    if not errors:
        errors.update(user_binding_errors(role=role, region=region, institution=institution))
    user = User.objects.filter(username=username).first() if username else None
    created = user is None
    if user is None:
        user = User(username=username)
    if first_name:
        user.first_name = first_name
    if last_name:
        user.last_name = last_name
    if not errors:
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            errors["password"] = " ".join(exc.messages)
    if errors:
        raise ApplicationError(next(iter(errors.values())), field_errors=errors)
    user.role = role
    user.region = region
    user.institution = institution
    user.is_staff = role in STAFF_ROLES
    user.is_superuser = role == Role.ADMIN
    user.is_active = True
    if password_hash:
        user.password = password_hash
    else:
        user.set_password(password)
    user.save()
    audit_record(actor=by, action="user.provisioned" if created else "user.updated", target=user, detail={"role": role})
    return user, created
