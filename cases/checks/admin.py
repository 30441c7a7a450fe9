"""Admin of checks (home visits): read-only and scoped. Checks are recorded on the check pages,
which keep the child's due date right."""

from django.contrib import admin

from cases.checks import selectors
from cases.checks.models import Check
from cases.children.admin import ChildTownshipFilter
from welfare.admin_mixins import ScopedHistoryAdmin


@admin.register(Check)
class CheckAdmin(ScopedHistoryAdmin):
    """Checks (home visits), read-only: recorded on the check pages, which keep due dates right."""

    scope_selector = selectors.check_list
    add_permission = None
    change_permission = None
    delete_permission = None
    list_display = ("child", "checked_on", "kind", "risk_level", "caregiver", "checked_by")
    list_filter = ("kind", "risk_level", ChildTownshipFilter)
    search_fields = ("child__name", "caregiver", "notes")
    list_select_related = ("child", "checked_by")
    date_hierarchy = "checked_on"
    ordering = ("-checked_on", "id")
