"""Reads of enrollments and transfers between counties, scoped to the user."""

from django.db import models
from django.db.models import Q

from benefits.enrollments.models import Enrollment, Transfer
from benefits.standards.selectors import _path
from welfare.scoping import get_in_scope_or_404, scope_queryset


def enrollment_list(*, user) -> models.QuerySet[Enrollment]:
    """Enrollments paid by a county in the user's area or of children living in it."""
    path = _path(user)
    qs = Enrollment.objects.select_related("child", "county")
    if path is None:
        return qs.none()
    if path == "":
        return qs
    return qs.filter(Q(county__path__startswith=path) | Q(child__region__path__startswith=path))


def enrollment_get(*, user, enrollment_id) -> Enrollment:
    return get_in_scope_or_404(enrollment_list(user=user), id=enrollment_id)


def transfer_list(*, user) -> models.QuerySet[Transfer]:
    """Allowance transfers seen by the sending and the receiving county and the regions above them
    (city, province); nobody else (a township or village lies beneath a county, not above it)."""
    qs = Transfer.objects.select_related("child", "enrollment", "from_county", "to_county", "region")
    return scope_queryset(qs, user, region_field="from_county") | scope_queryset(qs, user, region_field="to_county")


def transfer_get(*, user, transfer_id) -> Transfer:
    return get_in_scope_or_404(transfer_list(user=user), id=transfer_id)
