"""Admin of allowances: scoped like every page; writes go through the services (standards are
added as new versions, never edited; runs are approved by an action that calls the service)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from benefits import selectors, services
from benefits.models import PAYOUT_EPOCH, Adjustment, Enrollment, Payout, PayoutRun, Transfer, WelfareStandard
from benefits.months import parse_month
from welfare.admin_mixins import ScopedAdminMixin, ScopedHistoryAdmin
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


@admin.action(description=_("Approve the selected draft runs"))
def approve_runs(modeladmin, request, queryset):
    done = 0
    for run in queryset:
        try:
            services.payout_run_approve(by=request.user, run_id=run.id)
            done += 1
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{run}: {exc.message}", messages.WARNING)
    if done:
        modeladmin.message_user(request, _("%(n)d runs approved.") % {"n": done}, messages.SUCCESS)


@admin.action(description=_("Compute the selected draft or failed runs again"))
def recompute_runs(modeladmin, request, queryset):
    for run in queryset:
        try:
            services.payout_run_recompute(by=request.user, run=run)
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{run}: {exc.message}", messages.WARNING)


@admin.register(PayoutRun)
class PayoutRunAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_selector = selectors.payout_run_list
    add_permission = None
    change_permission = Action.RUN_PAYOUTS  # for the actions; every field is read-only
    delete_permission = None
    actions = [approve_runs, recompute_runs]
    list_display = ("region", "month", "status", "payout_count", "total_amount", "approved_by", "approved_at")
    list_filter = ("status", "month")
    list_select_related = ("region", "approved_by")
    ordering = ("-month", "region__code")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


class PayoutMonthFilter(admin.SimpleListFilter):
    """The month paid, read through the payout key's range for the month (Payout.in_months): a
    plain filter on the `month` column would scan every month's rows."""

    title = _("month")
    parameter_name = "month"

    def lookups(self, request, model_admin):
        months = selectors.payout_run_list(user=request.user).order_by("-month").values_list("month", flat=True).distinct()
        return [(f"{m:%Y-%m}", f"{m:%Y-%m}") for m in months[:36]]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            month = parse_month(self.value())
        except ApplicationError:
            return queryset.none()
        return queryset.filter(Payout.in_months([month])) if month >= PAYOUT_EPOCH else queryset.none()


@admin.register(Payout)
class PayoutAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_selector = selectors.payout_list
    add_permission = None
    change_permission = None
    delete_permission = None
    list_display = ("child", "category", "month", "amount", "standard", "run")
    list_filter = ("category", PayoutMonthFilter)
    list_select_related = ("child", "standard", "standard__region", "run", "run__region")
    ordering = ("-id",)


@admin.register(Adjustment)
class AdjustmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_selector = selectors.adjustment_list
    add_permission = None
    change_permission = None
    delete_permission = None
    list_display = ("child", "category", "for_month", "month", "amount", "reason", "run")
    list_select_related = ("child", "run", "run__region")
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
