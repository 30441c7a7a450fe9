"""Reads of edit conflicts, scoped by the child's village (welfare/scoping.py)."""

from django.db.models import QuerySet

from cases.sync.models import EditConflict
from welfare.scoping import get_in_scope_or_404, scope_queryset


def edit_conflict_list(*, user) -> QuerySet[EditConflict]:
    """The conflicts about children in the user's area (institution staff: none)."""
    return scope_queryset(EditConflict.objects.all(), user, region_field="child__region")


def edit_conflict_queue(*, user) -> QuerySet[EditConflict]:
    """The supervisor's queue: open conflicts in the area, oldest first."""
    return (
        edit_conflict_list(user=user)
        .filter(status=EditConflict.Status.OPEN)
        .select_related("child__region", "guardian", "proposed_by")
        .order_by("proposed_at", "id")
    )


def edit_conflicts_sent_by(*, user) -> QuerySet[EditConflict]:
    """The director's own edits awaiting the supervisor, or decided, newest first."""
    return (
        edit_conflict_list(user=user)
        .filter(proposed_by=user)
        .select_related("child", "guardian")
        .order_by("-proposed_at", "-id")
    )


def edit_conflict_get(*, user, conflict_id: int) -> EditConflict:
    """One conflict in the user's area, or 404."""
    return get_in_scope_or_404(edit_conflict_list(user=user).select_related("child__region", "guardian"), id=conflict_id)


def offline_village(user):
    """The village a director's phone keeps (their own region, a village), or None for anyone
    else: the offline web app is the village director's."""
    from welfare.models import Region
    from welfare.roles import Role

    region = getattr(user, "region", None)
    if user.role != Role.VILLAGE_DIRECTOR or region is None or region.level != Region.Level.VILLAGE:
        return None
    return region


def offline_children(*, user, village) -> QuerySet:
    """The children of the director's village with their guardians (through the scoped list)."""
    from django.db.models import Prefetch

    from cases.children.models import Guardian
    from cases.children.selectors import child_list

    return (
        child_list(user=user)
        .filter(region=village)
        .prefetch_related(Prefetch("guardians", queryset=Guardian.objects.order_by("id")))
        .order_by("name", "id")
    )


def offline_checks(*, user, village, limit: int = 300) -> QuerySet:
    """The latest checks of the village's children (the phone shows date, kind and risk only)."""
    from cases.checks.selectors import check_list

    return check_list(user=user).filter(child__region=village).order_by("-checked_on", "-id")[:limit]
