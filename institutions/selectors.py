"""Scoped reads of institutions (the scoping of welfare/scoping.py, one place): a region subtree
for officials, the institution itself for its staff. The reads of staff, placements and
inspections live in their sub-domains and are named here too, for the callers of old."""

from django.db.models import Count, Q, QuerySet

from institutions.inspections.selectors import inspection_list
from institutions.models import Institution
from institutions.placements.selectors import placement_list
from institutions.staffing.selectors import staff_list, training_list
from welfare.models import Region
from welfare.roles import Role
from welfare.scoping import scope_queryset

# Who reads the list of institutions page: the civil-affairs bureaus of counties, cities and
# provinces, the institutions' own staff (their institution) and administrators.
INSTITUTION_PAGE_ROLES = frozenset(
    {Role.COUNTY_OFFICIAL, Role.CITY_OFFICIAL, Role.PROVINCE_OFFICIAL, Role.INSTITUTION_STAFF, Role.ADMIN}
)


def institution_list(*, user) -> QuerySet[Institution]:
    return scope_queryset(Institution.objects.all(), user, region_field="region")


def institution_page_allowed(user) -> bool:
    """Whether the user may open the page of institutions (INSTITUTION_PAGE_ROLES)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or user.role in INSTITUTION_PAGE_ROLES


def in_region_subtree(queryset: QuerySet, field: str, code: str) -> QuerySet:
    """Rows whose `field` (a Region foreign key) lies beneath the region with `code` (an unknown
    code: none)."""
    path = Region.objects.filter(code=code).values_list("path", flat=True).first()
    return queryset.none() if path is None else queryset.filter(**{f"{field}__path__startswith": path})


def with_care_counts(institutions: QuerySet[Institution]) -> QuerySet[Institution]:
    """Institutions annotated with `children_in_care` (open placements) and `staff_in_post`
    (staff who have not left)."""
    return institutions.annotate(
        children_in_care=Count("placements", filter=Q(placements__left_on__isnull=True), distinct=True),
        staff_in_post=Count("staff", filter=Q(staff__left_on__isnull=True), distinct=True),
    )


def institution_overview(*, user, region_code: str = "", kind: str = "") -> QuerySet[Institution]:
    """Institutions in the user's scope, optionally beneath a region and of one kind, with the
    children in their care and their staff, by region and name."""
    qs = institution_list(user=user)
    if region_code:
        qs = in_region_subtree(qs, "region", region_code)
    if kind:
        qs = qs.filter(kind=kind)
    return with_care_counts(qs).select_related("region").order_by("region__path", "kind", "name", "id")


__all__ = [
    "INSTITUTION_PAGE_ROLES",
    "in_region_subtree",
    "inspection_list",
    "institution_list",
    "institution_overview",
    "institution_page_allowed",
    "placement_list",
    "staff_list",
    "training_list",
    "with_care_counts",
]
