"""Scoped reads of staff and trainings (welfare/scoping.py): a region subtree for officials,
the institution itself for its staff (institutions/scoping.py)."""

from django.db.models import QuerySet

from institutions.staffing.models import Staff, Training
from welfare.scoping import scope_queryset


def staff_list(*, user) -> QuerySet[Staff]:
    return scope_queryset(Staff.objects.all(), user, region_field="region")


def training_list(*, user) -> QuerySet[Training]:
    return scope_queryset(Training.objects.all(), user, region_field="staff__region")
