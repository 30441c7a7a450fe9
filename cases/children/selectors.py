"""Reads of children, guardians and category memberships, always scoped to the user's region."""

from typing import cast

from django.db import models
from django.db.models import Q

from cases.children.models import CategoryMembership, Child, ChildQuerySet, Draft, Guardian
from welfare.roles import Action, Role, can
from welfare.scoping import get_in_scope_or_404, scope_queryset


def child_list(*, user) -> models.QuerySet[Child]:
    """Children the user may see: residence village in their subtree; institution staff, the
    children their institution holds (welfare/scoping.py)."""
    return scope_queryset(Child.objects.all(), user, region_field="region")


def child_get(*, user, child_id) -> Child:
    """One child in scope, or 404."""
    return get_in_scope_or_404(child_list(user=user).select_related("region", "household_region"), id=child_id)


def child_home_counts(*, user) -> dict[str, int]:
    """The figures of the home page's tiles (welfare/views.py): the worklist of directors and
    supervisors (records returned to them and their drafts) and the children awaiting review."""
    children = child_list(user=user)
    counts = {}
    if user.role in (Role.VILLAGE_DIRECTOR, Role.TOWNSHIP_SUPERVISOR):
        counts["worklist"] = (
            children.filter(review_status=Child.ReviewStatus.RETURNED).count() + Draft.objects.filter(user=user).count()
        )
    if can(user, Action.REVIEW) or can(user, Action.APPROVE):
        counts["child_review"] = children.filter(review_status=Child.ReviewStatus.PENDING).count()
    return counts


def child_visible(*, user, child_id) -> bool:
    """Whether the child lies in the user's scope (one indexed query)."""
    return child_list(user=user).filter(id=child_id).exists()


def child_search(*, user, query: str = "") -> models.QuerySet[Child]:
    """Find children by name, identity number (full or its last digits) or a guardian's name.
    A full number is a lookup: the API and the pages count and log it (cases.children.lookups) first."""
    qs = child_list(user=user)
    query = (query or "").strip()
    if query:
        from welfare.idnumber import normalize_id_number

        number = normalize_id_number(query)
        cond = Q(name__icontains=query) | Q(guardians__name__icontains=query)
        if number and (number.isdigit() or number[-1:] == "X"):
            # Stored encrypted: found by its blind indexes (cases.children.models.ChildQuerySet).
            scoped = cast(ChildQuerySet, qs)
            found = Child.objects.with_id_number(number) if len(number) == 18 else scoped.id_numbers_ending(number)
            cond |= Q(id__in=found.values("id"))
        qs = qs.filter(cond).distinct()
    return qs


def guardian_list(*, user) -> models.QuerySet[Guardian]:
    return Guardian.objects.filter(child__in=child_list(user=user))


def membership_list(*, user) -> models.QuerySet[CategoryMembership]:
    return CategoryMembership.objects.filter(child__in=child_list(user=user))


def current_categories(child: Child, *, on=None) -> list[str]:
    """Category codes the child belongs to on a date (today by default)."""
    from django.utils import timezone

    on = on or timezone.localdate()
    return list(
        child.memberships.open_on(on)
        .order_by("category")
        .values_list("category", flat=True)
    )


def child_filter(
    qs: models.QuerySet[Child],
    *,
    region_code: str = "",
    category: str = "",
    sub_category: str = "",
    on=None,
    check_state: str = "",
) -> models.QuerySet[Child]:
    """Narrow an already scoped child queryset the way the dashboard's numbers count: a region's
    subtree, a category (and sub-category) in force on a date, a check state."""
    from django.utils import timezone

    from welfare.models import Region

    if region_code:
        region = Region.objects.filter(code=region_code).only("path").first()
        qs = qs.filter(region__path__startswith=region.path) if region else qs.none()
    if category:
        on = on or timezone.localdate()
        memberships = CategoryMembership.objects.filter(category=category).open_on(on)
        if sub_category:
            memberships = memberships.filter(sub_category=sub_category)
        qs = qs.filter(id__in=memberships.values("child_id"))
    if check_state:
        qs = qs.filter(check_state=check_state)
    return qs
