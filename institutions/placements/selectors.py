"""Scoped reads of placements and care records (welfare/scoping.py, one place): officials see
those of the institutions in their region and of the children living there; institution staff,
their institution's (institutions/scoping.py)."""

from django.db.models import QuerySet

from institutions.placements.models import CareRecord, Placement
from welfare.scoping import scope_queryset


def placement_list(*, user) -> QuerySet[Placement]:
    """Placements in an institution in scope or of a child living in scope."""
    by_institution = scope_queryset(Placement.objects.all(), user, region_field="institution__region")
    by_child = scope_queryset(Placement.objects.all(), user, region_field="child__region")
    return by_institution | by_child


def care_record_list(*, user) -> QuerySet[CareRecord]:
    """Care records kept by an institution in scope or about a child living in scope."""
    by_institution = scope_queryset(CareRecord.objects.all(), user, region_field="institution__region")
    by_child = scope_queryset(CareRecord.objects.all(), user, region_field="child__region")
    return by_institution | by_child


def care_records_of_child(*, user, child_id) -> QuerySet[CareRecord]:
    """A child's care records the user may read, as a timeline (newest first)."""
    return (
        care_record_list(user=user)
        .filter(child_id=child_id)
        .select_related("institution", "recorded_by")
        .order_by("-recorded_on", "-id")
    )


def open_placement_of(*, user, child_id) -> Placement | None:
    """The child's open placement, when the user may read it."""
    return (
        placement_list(user=user).filter(child_id=child_id, left_on__isnull=True).select_related("institution").first()
    )


def transfer_targets(*, institution) -> QuerySet:
    """The institutions `institution` may transfer a child to: the others of its county (of its
    own region, for a city- or province-level institution)
    (institutions.placements.services.area_of: the one rule)."""
    from institutions.models import Institution
    from institutions.placements.services import area_of

    area = area_of(institution)
    return Institution.objects.filter(region__path__startswith=area.path).exclude(pk=institution.pk).order_by("name", "id")
