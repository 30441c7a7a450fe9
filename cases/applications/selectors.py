"""Reads of recognition applications, always scoped to the user's region: lists, the township
and county queues, those past their time limit, and the children one may file for."""

import datetime

from django.db import models
from django.utils import timezone

from cases.applications.models import Application
from cases.applications.services import OPEN
from cases.children.categories import PAID_CATEGORIES, Category
from cases.children.models import Child
from cases.children.selectors import child_list
from welfare.scoping import get_in_scope_or_404, scope_queryset_any

# A filing for a child (an application here, an education grant in benefits/grants) is seen where
# the child lives, where it was received and by the county that decides and pays (cross-region
# filing).
FILING_REGIONS = ("child__region", "received_region", "county")


def application_list(*, user) -> models.QuerySet[Application]:
    """Applications about children in scope, received in scope, or to be decided in scope
    (cross-region filing)."""
    return scope_queryset_any(Application.objects.all(), user, region_fields=FILING_REGIONS)


def application_get(*, user, application_id) -> Application:
    return get_in_scope_or_404(
        application_list(user=user).select_related("child", "child__household_region", "county", "received_region"), id=application_id
    )


def application_township_queue(*, user) -> models.QuerySet[Application]:
    """Submitted applications waiting for the township's review, oldest first."""
    return (
        application_list(user=user)
        .filter(status=Application.Status.SUBMITTED)
        .select_related("child", "county", "received_region")
        .order_by("due_on", "id")
    )


def application_county_queue(*, user) -> models.QuerySet[Application]:
    """Open applications to be decided by counties in the user's area, the most urgent first."""
    qs = application_list(user=user).filter(status__in=OPEN)
    path = user.scope_path
    if path:
        qs = qs.filter(county__path__startswith=path)
    return qs.select_related("child", "county", "received_region").order_by("due_on", "id")


def application_overdue_list(*, user, today: datetime.date | None = None) -> models.QuerySet[Application]:
    """Open applications past their time limit (listed for the county)."""
    today = today or timezone.localdate()
    return application_county_queue(user=user).filter(due_on__lt=today)


def application_search(*, user, status: str = "", category: str = "") -> models.QuerySet[Application]:
    qs = application_list(user=user).select_related("child", "county", "received_region")
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category=category)
    return qs.order_by("-submitted_on", "-id")


def child_for_application(*, user, child_id) -> Child:
    return get_in_scope_or_404(child_list(user=user).select_related("household_region"), id=child_id)


def category_choices() -> list[tuple[str, str]]:
    return [(c, str(Category(c).label)) for c in PAID_CATEGORIES]
