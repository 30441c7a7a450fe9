"""Admin of payout runs, payouts and adjustments: scoped; runs are approved or computed again by
actions that call the services, payouts and adjustments are read-only."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from benefits.payouts import selectors, services
from benefits.payouts.models import PAYOUT_EPOCH, Adjustment, Payout, PayoutRun
from welfare.admin_mixins import ScopedAdminMixin
from welfare.errors import ApplicationError
from welfare.months import parse_month
from welfare.roles import Action


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
