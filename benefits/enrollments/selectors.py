"""Reads of enrollments and transfers between counties, scoped to the user."""

from django.db import models

from benefits.enrollments.models import Enrollment, Transfer
from welfare.models import Region
from welfare.scoping import get_in_scope_or_404, scope_queryset_any


def enrollment_list(*, user) -> models.QuerySet[Enrollment]:
    """Enrollments paid by a county in the user's area or of children living in it."""
    qs = Enrollment.objects.select_related("child", "county")
    return scope_queryset_any(qs, user, region_fields=("county", "child__region"))


def enrollment_get(*, user, enrollment_id) -> Enrollment:
    return get_in_scope_or_404(enrollment_list(user=user), id=enrollment_id)


def transfer_list(*, user) -> models.QuerySet[Transfer]:
    """Allowance transfers seen by the sending and the receiving county and the regions above them
    (city, province); nobody else (a township or village lies beneath a county, not above it)."""
    qs = Transfer.objects.select_related("child", "enrollment", "from_county", "to_county", "region")
    return scope_queryset_any(qs, user, region_fields=("from_county", "to_county"))


def transfer_get(*, user, transfer_id) -> Transfer:
    return get_in_scope_or_404(transfer_list(user=user), id=transfer_id)


def transfer_villages(*, county: Region) -> models.QuerySet[Region]:
    """The villages of a receiving county, where the child may live now (accepting a transfer)."""
    return (
        Region.objects.filter(path__startswith=county.path, level=Region.Level.VILLAGE).select_related("parent").order_by("path")
    )
