"""Scoped reads of the institutions app (the scoping of welfare/scoping.py, one place): a region
subtree for officials, the institution itself for its staff."""

from django.db.models import QuerySet

from institutions.models import Inspection, Institution, Placement, Staff, Training
from welfare.scoping import scope_queryset


def institution_list(*, user) -> QuerySet[Institution]:
    return scope_queryset(Institution.objects.all(), user, region_field="region")


def staff_list(*, user) -> QuerySet[Staff]:
    return scope_queryset(Staff.objects.all(), user, region_field="region")


def placement_list(*, user) -> QuerySet[Placement]:
    """Placements in an institution in scope or of a child living in scope."""
    by_institution = scope_queryset(Placement.objects.all(), user, region_field="institution__region")
    by_child = scope_queryset(Placement.objects.all(), user, region_field="child__region")
    return by_institution | by_child


def inspection_list(*, user) -> QuerySet[Inspection]:
    return scope_queryset(Inspection.objects.all(), user, region_field="institution__region")


def training_list(*, user) -> QuerySet[Training]:
    return scope_queryset(Training.objects.all(), user, region_field="staff__region")
