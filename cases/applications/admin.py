"""Admin of recognition applications: scoped, with a filter for those past their time limit.
Review and approval of the selected applications call the services; rejection needs a reason
per child, so it stays on the application page."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.applications import selectors
from cases.applications.models import Application
from welfare.admin_mixins import ScopedHistoryAdmin
from welfare.errors import ApplicationError


class OverdueApplicationFilter(admin.SimpleListFilter):
    title = _("time limit")
    parameter_name = "time_limit"

    def lookups(self, request, model_admin):
        return [("past", _("Past the time limit")), ("open", _("Open, within the limit"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        open_q = Q(status__in=[Application.Status.SUBMITTED, Application.Status.REVIEWED])
        if self.value() == "past":
            return queryset.filter(open_q, due_on__lt=today)
        if self.value() == "open":
            return queryset.filter(open_q, due_on__gte=today)
        return queryset


@admin.register(Application)
class ApplicationAdmin(ScopedHistoryAdmin):
    """Recognition applications (read-only: review and approval happen on the application pages)."""

    scope_selector = selectors.application_list
    add_permission = None
    change_permission = None
    delete_permission = None
    list_display = ("child", "category", "status", "received_region", "county", "submitted_on", "due_on", "decided_on")
    list_filter = ("status", "category", OverdueApplicationFilter)
    search_fields = ("child__name", "reason")
    list_select_related = ("child", "received_region", "county")
    date_hierarchy = "submitted_on"
    ordering = ("due_on", "id")
    actions = ["review_selected", "approve_selected"]

    def _decide_each(self, request, queryset, decide, done_message) -> None:
        """Run one service per selected application; each refusal is reported, none is fatal.
        Rejection needs a reason per child, so it stays on the application page."""
        done, refused = 0, []
        for application in queryset.select_related("child"):
            try:
                decide(application)
            except (ApplicationError, PermissionDenied) as exc:
                refused.append(f"{application.child.name}: {getattr(exc, 'message', None) or exc}")
            else:
                done += 1
        if done:
            self.message_user(request, done_message % {"n": done}, messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description=_("Review the selected applications (township)"))
    def review_selected(self, request, queryset):
        from cases.applications.services import application_review

        self._decide_each(
            request, queryset, lambda a: application_review(by=request.user, application=a), _("%(n)d application(s) reviewed.")
        )

    @admin.action(description=_("Approve the selected applications (county)"))
    def approve_selected(self, request, queryset):
        from cases.applications.services import application_approve

        self._decide_each(
            request, queryset, lambda a: application_approve(by=request.user, application=a), _("%(n)d application(s) approved.")
        )
