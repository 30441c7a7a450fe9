"""Reads of allowance standards: those of the user's area and of the regions above it."""

from django.db import models
from django.db.models import Q

from benefits.standards.models import WelfareStandard


def _path(user) -> str | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return user.scope_path


def standard_list(*, user) -> models.QuerySet[WelfareStandard]:
    """Standards of the user's area and of the regions above it (which apply to it)."""
    path = _path(user)
    qs = WelfareStandard.objects.select_related("region")
    if path is None:
        return qs.none()
    if path == "":
        return qs
    ancestors = [c for c in path.split("/") if c]
    return qs.filter(Q(region__path__startswith=path) | Q(region__code__in=ancestors))
