"""Reads of allowance standards: those of the user's area and of the regions above it."""

from django.db import models

from benefits.standards.models import WelfareStandard
from welfare.scoping import scope_queryset_with_above


def standard_list(*, user) -> models.QuerySet[WelfareStandard]:
    """Standards of the user's area and of the regions above it (which apply to it)."""
    return scope_queryset_with_above(WelfareStandard.objects.select_related("region"), user)
