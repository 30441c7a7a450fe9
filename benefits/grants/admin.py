"""Admin of the education grant: scoped; grants are read-only here (decided on their pages),
grant standards are added as new versions through the service."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from benefits.grants import selectors, services
from benefits.grants.models import Grant, GrantStandard
from welfare.admin_mixins import ScopedHistoryAdmin
from welfare.errors import ApplicationError
from welfare.roles import Action


@admin.register(Grant)
class GrantAdmin(ScopedHistoryAdmin):
    scope_selector = selectors.grant_list
    add_permission = None
    change_permission = None
    delete_permission = None
    list_display = ("child", "school_year", "study_level", "status", "annual_amount", "county", "submitted_on")
    list_filter = ("status", "study_level", "school_year")
    search_fields = ("child__name", "school")
    list_select_related = ("child", "county")
    ordering = ("-submitted_on", "id")


@admin.register(GrantStandard)
class GrantStandardAdmin(ScopedHistoryAdmin):
    scope_selector = selectors.grant_standard_list
    add_permission = Action.SET_STANDARDS
    change_permission = None
    delete_permission = None
    list_display = ("region", "annual_amount", "frequency", "max_age", "effective_from", "document")
    list_select_related = ("region",)
    ordering = ("region__path", "-effective_from")
    fields = ("region", "annual_amount", "frequency", "max_age", "effective_from", "document")

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        try:
            saved = services.grant_standard_create(
                by=request.user, region=obj.region, annual_amount=obj.annual_amount, effective_from=obj.effective_from,
                frequency=obj.frequency, max_age=obj.max_age, document=obj.document,
            )
        except ApplicationError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
            raise PermissionDenied(str(exc.message)) from None
        obj.pk = saved.pk
