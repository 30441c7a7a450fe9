"""Admin of allowance standards: scoped; a change is added as a new version through the service,
old versions are never edited."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from benefits.standards import selectors, services
from benefits.standards.models import WelfareStandard
from welfare.admin_mixins import ScopedHistoryAdmin
from welfare.errors import ApplicationError
from welfare.roles import Action


@admin.register(WelfareStandard)
class WelfareStandardAdmin(ScopedHistoryAdmin):
    """Standards: add a version (checked by `standard_create`); old versions stay as they are."""

    scope_selector = selectors.standard_list
    add_permission = Action.SET_STANDARDS
    change_permission = None
    delete_permission = None
    list_display = ("region", "category", "monthly_amount", "refers_to", "effective_from", "is_minimum", "document")
    list_filter = ("category", "is_minimum")
    search_fields = ("region__name", "region__code", "document")
    list_select_related = ("region",)
    ordering = ("region__path", "category", "-effective_from")
    fields = ("region", "category", "monthly_amount", "refers_to", "effective_from", "is_minimum", "document")

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        try:
            saved = services.standard_create(
                by=request.user,
                region=obj.region,
                category=obj.category,
                monthly_amount=obj.monthly_amount,
                refers_to=obj.refers_to,
                effective_from=obj.effective_from,
                document=obj.document,
                is_minimum=obj.is_minimum,
            )
        except ApplicationError as exc:
            # The admin has no clean way back to the form from save_model: report and keep nothing.
            self.message_user(request, str(exc.message), messages.ERROR)
            raise PermissionDenied(str(exc.message)) from None
        obj.pk = saved.pk
