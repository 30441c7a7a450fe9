"""Admin of enrollments and transfers between counties: scoped and read-only (enrollments are
opened by approvals and ended on their page; transfers are decided on the transfer pages)."""

from django.contrib import admin

from benefits.enrollments import selectors
from benefits.enrollments.models import Enrollment, Transfer
from welfare.admin_mixins import ScopedHistoryAdmin


@admin.register(Enrollment)
class EnrollmentAdmin(ScopedHistoryAdmin):
    """Enrollments (read-only here: they are opened by approvals and ended on their page)."""

    scope_selector = selectors.enrollment_list
    add_permission = None
    change_permission = None
    delete_permission = None
    list_display = ("child", "category", "county", "start_month", "end_month", "end_reason", "status")
    list_filter = ("status", "category", "end_reason")
    search_fields = ("child__name",)
    list_select_related = ("child", "county")
    ordering = ("-id",)


@admin.register(Transfer)
class TransferAdmin(ScopedHistoryAdmin):
    """Allowance transfers between counties (read-only here: asked on the enrollment page, accepted
    or refused on the transfers page, which call the services). Seen by both counties and above."""

    scope_selector = selectors.transfer_list
    add_permission = None
    change_permission = None
    delete_permission = None
    list_display = ("child", "from_county", "to_county", "status", "requested_on", "effective_month", "decided_at")
    list_filter = ("status",)
    search_fields = ("child__name",)
    list_select_related = ("child", "from_county", "to_county")
    ordering = ("-id",)
