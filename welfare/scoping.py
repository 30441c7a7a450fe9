"""Region scoping in one place. Every read of people's records goes through `scope_queryset`
(via an app's selectors), every write checks `require_in_scope`.

A user is bound to one region node (or an institution) and sees everything beneath it,
nothing beside or above it. Administrators see everything.
"""

from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from welfare.errors import PermissionDeniedError
from welfare.models import Region


def scope_queryset(qs: models.QuerySet, user, *, region_field: str = "region") -> models.QuerySet:
    """Narrow `qs` to rows whose `region_field` (a path to a Region foreign key) lies in the
    user's subtree. Anonymous, inactive or unbound users get nothing."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    path = user.scope_path
    if path is None:
        return qs.none()
    if path == "":
        return qs
    lookup = f"{region_field}__path__startswith" if region_field else "path__startswith"
    return qs.filter(**{lookup: path})


def region_list(*, user) -> models.QuerySet[Region]:
    """The regions the user may see: their node and everything beneath it."""
    return scope_queryset(Region.objects.all(), user, region_field="")  # type: ignore[arg-type]


def in_scope(user, region: Region | None) -> bool:
    if region is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    path = user.scope_path
    return path is not None and region.path.startswith(path)


def require_in_scope(user, region: Region | None) -> None:
    """Raise PermissionDeniedError (403) unless the region lies in the user's subtree."""
    if not in_scope(user, region):
        raise PermissionDeniedError(_("This region is outside your area of responsibility."))


def get_in_scope_or_404(qs: models.QuerySet, **lookup):
    """Fetch one row of an already scoped queryset; anything outside it is simply not found."""
    try:
        return qs.get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
