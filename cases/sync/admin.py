"""Edit conflicts in the admin: read only (the supervisor decides on the queue page)."""

from django.contrib import admin

from cases.sync.models import EditConflict
from welfare.admin_mixins import ScopedAdminMixin


@admin.register(EditConflict)
class EditConflictAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("id", "record_type", "child", "field", "status", "choice", "proposed_by", "proposed_at")
    list_filter = ("status", "record_type")
    scope_region_field = "child__region"
    add_permission = None
    change_permission = None
    delete_permission = None
    # The values may hold an identity number: the admin shows the record, the queue page masks them.
    exclude = ("base_value", "current_value", "proposed_value")
