"""Scoping in one place. Every read of people's records goes through `scope_queryset` (via an
app's selectors), every write checks `require_in_scope` or `require_record_in_scope`.

A user is bound to one region node or to one institution:
- officials and directors see everything beneath their region node, nothing beside or above it;
- institution staff have no region: they see what their institution holds (the children placed
  there, its staff, placements, trainings, inspections), as each domain app declares with
  `register_institution_scope`; a model with no declaration shows them nothing (deny by default);
- administrators see everything.
"""

import functools
import operator
from collections.abc import Callable, Iterable

from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from welfare.errors import PermissionDeniedError
from welfare.models import Region
from welfare.roles import Role

# model -> rule(institution_id, write) -> Q over that model. Filled by the domain apps' ready().
InstitutionRule = Callable[..., models.Q]
_INSTITUTION_RULES: dict[type[models.Model], InstitutionRule] = {}


def register_institution_scope(model: type[models.Model], rule: InstitutionRule) -> None:
    """Declare what of `model` an institution's staff may read (`rule(institution_id,
    write=False)`) and change (`write=True`). Called by a domain app's AppConfig.ready()."""
    _INSTITUTION_RULES[model] = rule


def is_institution_user(user) -> bool:
    return (
        getattr(user, "is_authenticated", False) and user.role == Role.INSTITUTION_STAFF and not user.is_superuser
    )


def _institution_filter(qs: models.QuerySet, user, *, write: bool) -> models.QuerySet:
    rule = _INSTITUTION_RULES.get(qs.model)
    if rule is None or not user.institution_id:
        return qs.none()
    return qs.filter(rule(user.institution_id, write=write))


def scope_queryset(qs: models.QuerySet, user, *, region_field: str = "region") -> models.QuerySet:
    """Narrow `qs` to rows whose `region_field` (a path to a Region foreign key) lies in the
    user's subtree; for institution staff, to their institution's rows. Anonymous, inactive or
    unbound users get nothing."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if is_institution_user(user):
        return _institution_filter(qs, user, write=False)
    path = user.scope_path
    if path is None:
        return qs.none()
    if path == "":
        return qs
    lookup = f"{region_field}__path__startswith" if region_field else "path__startswith"
    return qs.filter(**{lookup: path})


def scope_queryset_any(qs: models.QuerySet, user, *, region_fields: Iterable[str]) -> models.QuerySet:
    """Narrow `qs` to rows of which any of `region_fields` lies in the user's subtree (an
    enrollment: its paying county or the child's village), `scope_queryset` on each."""
    return functools.reduce(operator.or_, (scope_queryset(qs, user, region_field=f) for f in region_fields))


def scope_queryset_with_above(qs: models.QuerySet, user, *, region_field: str = "region") -> models.QuerySet:
    """Narrow `qs` to rows whose `region_field` lies in the user's subtree or above it, on the
    way up to the province: what was set there applies here (a standard, a check campaign).
    Institution staff (no region), anonymous, inactive or unbound users get nothing."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    path = user.scope_path
    if path is None:
        return qs.none()
    if path == "":
        return qs
    ancestors = [c for c in path.split("/") if c]
    return qs.filter(models.Q(**{f"{region_field}__path__startswith": path}) | models.Q(**{f"{region_field}__code__in": ancestors}))


def region_list(*, user) -> models.QuerySet[Region]:
    """The regions the user may see: their node and everything beneath it (institution staff:
    their institution's region node)."""
    return scope_queryset(Region.objects.all(), user, region_field="")  # type: ignore[arg-type]


def in_scope(user, region: Region | None) -> bool:
    """Whether the region lies in the user's subtree. Institution staff have no region: this is
    False for them everywhere (their writes go through `record_in_scope`)."""
    if region is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    path = user.scope_path
    return path is not None and region.path.startswith(path)


def require_in_scope(user, region: Region | None) -> None:
    """Raise PermissionDeniedError (403) unless the region lies in the user's subtree."""
    if not in_scope(user, region):
        raise PermissionDeniedError(_("This region is outside your area of responsibility."))


def record_in_scope(user, record: models.Model, *, region: Region | None) -> bool:
    """Whether the user may change `record`: for institution staff, whether their institution
    holds it for writing (a child in care, not one discharged); for everyone else, whether its
    `region` lies in their subtree."""
    if is_institution_user(user):
        if not user.is_active or record.pk is None:
            return False
        qs = type(record)._default_manager.filter(pk=record.pk)
        return _institution_filter(qs, user, write=True).exists()
    return in_scope(user, region)


def require_record_in_scope(user, record: models.Model, *, region: Region | None) -> None:
    """Raise PermissionDeniedError (403) unless the user may change `record` (record_in_scope)."""
    if not record_in_scope(user, record, region=region):
        raise PermissionDeniedError(_("This record is outside your area of responsibility."))


def get_in_scope_or_404(qs: models.QuerySet, **lookup):
    """Fetch one row of an already scoped queryset; anything outside it is simply not found."""
    try:
        return qs.get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
