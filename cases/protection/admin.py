"""Admin of protection casework: reports, cases, assessments, plans (with their measures) and
referrals, scoped by the casework selectors (a county official with staff status sees the
county's, a city official the city's hotline tickets and no case). Read-only for everyone but
administrators: casework is written on the pages and through the API, whose services keep its
rules. Reporters' names and phones are shown masked (revealing them is a logged action of the
screening county); a read of a case here is written to the access log, as on the case page."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.template_utils import HistoricalRecordContextHelper

from cases.children.admin import ChildTownshipFilter
from cases.protection import selectors, services
from cases.protection.models import Assessment, Case, CasePlan, CaseReport, PlanMeasure, Referral
from welfare.admin_mixins import ScopedHistoryAdmin, ScopedInlineMixin
from welfare.audit import client_ip
from welfare.roles import Action
from welfare.validators import mask_person_name, mask_phone

REPORTER_FIELDS = {"reporter_name": mask_person_name, "reporter_phone": mask_phone}


class CaseworkAdmin(ScopedHistoryAdmin):
    """Read-only but for administrators; nothing is added or deleted here."""

    add_permission = None
    change_permission = Action.ADMINISTER
    delete_permission = None
    show_full_result_count = False


class _ReporterMaskingHistoryHelper(HistoricalRecordContextHelper):
    """A report's history never shows the reporter in full."""

    def prepare_delta_change_value(self, change, value):
        if change.field in REPORTER_FIELDS:
            return REPORTER_FIELDS[change.field](value) if value else value
        return super().prepare_delta_change_value(change, value)


@admin.register(CaseReport)
class CaseReportAdmin(CaseworkAdmin):
    scope_selector = selectors.report_list_in_full
    list_display = ("id", "received_at", "source", "concern", "urgency", "child_name", "region", "status", "respond_by")
    list_filter = ("status", "source", "concern", "urgency")
    search_fields = ("child_name",)
    list_select_related = ("region",)
    ordering = ("-received_at", "-id")
    exclude = tuple(REPORTER_FIELDS)
    readonly_fields = (
        "masked_reporter_name", "masked_reporter_phone", "child", "region", "county", "case", "check_record", "filed_by",
        "screened_by", "screened_at", "received_at", "respond_by",
    )

    @admin.display(description=_("reporter's name"))
    def masked_reporter_name(self, obj) -> str:
        return mask_person_name(obj.reporter_name) or "-"

    @admin.display(description=_("reporter's phone"))
    def masked_reporter_phone(self, obj) -> str:
        return mask_phone(obj.reporter_phone) or "-"

    def get_historical_record_context_helper(self, request, historical_record):
        return _ReporterMaskingHistoryHelper(self.model, historical_record)


@admin.register(Case)
class CaseAdmin(CaseworkAdmin):
    scope_selector = selectors.case_list
    list_display = ("id", "child", "status", "risk_level", "opened_on", "opened_from", "caseworker", "next_follow_up_due", "closed_on")
    list_filter = ("status", "risk_level", "opened_from", ChildTownshipFilter)
    search_fields = ("child__name",)
    list_select_related = ("child", "caseworker")
    ordering = ("-opened_on", "-id")
    readonly_fields = ("child", "caseworker", "closed_by", "opened_on", "next_follow_up_due")

    def get_object(self, request, object_id, from_field=None):
        case = super().get_object(request, object_id, from_field)
        if case is not None and request.method == "GET":
            services.case_read_record(by=request.user, case=case, ip_address=client_ip(request))
        return case


@admin.register(Assessment)
class AssessmentAdmin(CaseworkAdmin):
    scope_selector = selectors.assessment_list
    list_display = ("id", "case", "assessed_on", "grade", "risk_level", "status", "written_by", "decided_by")
    list_filter = ("status", "grade", "risk_level")
    list_select_related = ("case", "written_by", "decided_by")
    ordering = ("-assessed_on", "-id")
    readonly_fields = ("case", "written_by", "submitted_by", "decided_by", "decided_at")


class PlanMeasureInline(ScopedInlineMixin, admin.TabularInline):
    """A plan's measures, read-only (progress is recorded on the case page)."""

    model = PlanMeasure
    extra = 0
    can_delete = False
    add_permission = None
    change_permission = None
    delete_permission = None
    fields = ("domain", "action", "responsible", "due_on", "status")
    readonly_fields = fields
    ordering = ("due_on", "id")


@admin.register(CasePlan)
class CasePlanAdmin(CaseworkAdmin):
    scope_selector = selectors.plan_list
    list_display = ("id", "case", "version", "status", "review_on", "written_by", "decided_by")
    list_filter = ("status",)
    list_select_related = ("case", "written_by", "decided_by")
    ordering = ("case_id", "-version")
    readonly_fields = ("case", "version", "written_by", "submitted_by", "decided_by", "decided_at")
    inlines = (PlanMeasureInline,)


@admin.register(Referral)
class ReferralAdmin(CaseworkAdmin):
    scope_selector = selectors.referral_list
    list_display = ("id", "case", "to_institution", "to_agency", "service", "status", "sent_on", "answered_at")
    list_filter = ("status",)
    search_fields = ("to_agency", "service")
    list_select_related = ("case", "to_institution")
    ordering = ("-sent_on", "-id")
    readonly_fields = ("case", "to_institution", "sent_by", "sent_on", "answered_by", "answered_at")
