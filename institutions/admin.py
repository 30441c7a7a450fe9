"""Admin for institutions, their staff (and the child directors and supervisors), trainings,
placements and inspections, scoped to the user's region (institution staff: their institution)."""

from django.contrib import admin
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from institutions.inspections.selectors import safety_meeting_list
from institutions.models import CareRecord, Finding, Inspection, Institution, Placement, SafetyMeeting, Staff, Training
from institutions.placements.selectors import care_record_list
from institutions.selectors import inspection_list, institution_list, placement_list, staff_list, with_care_counts
from welfare.admin_mixins import ScopedAdminMixin, ScopedHistoryAdmin, ScopedInlineMixin
from welfare.roles import Action, Role
from welfare.validators import PersonFieldsAdminMixin


def county_or_admin(user) -> bool:
    """Institutions and inspections are the civil-affairs bureau's business."""
    return user.is_admin_role or user.role == Role.COUNTY_OFFICIAL


class StaffInline(PersonFieldsAdminMixin, ScopedInlineMixin, admin.TabularInline):
    model = Staff
    extra = 0
    can_delete = False
    fields = ("name", "position", "phone", "appointed_on", "left_on")
    show_change_link = True


@admin.register(Institution)
class InstitutionAdmin(PersonFieldsAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    person_name_fields = ()  # an institution's name is not a person's; its phone follows the rule
    scope_selector = institution_list
    add_permission = county_or_admin
    change_permission = county_or_admin
    list_display = (
        "name",
        "kind",
        "region",
        "capacity",
        "children_placed",
        "staff_count",
        "is_rehabilitation_centre",
        "phone",
    )
    list_filter = ("kind", "is_rehabilitation_centre", "region__level")
    search_fields = ("name", "address", "region__name", "^region__code")
    list_select_related = ("region",)
    autocomplete_fields = ("region",)
    fields = ("name", "kind", "region", "capacity", "is_rehabilitation_centre", "address", "phone")
    inlines = (StaffInline,)
    ordering = ("region__path", "kind", "name")

    def get_queryset(self, request):
        return with_care_counts(super().get_queryset(request))

    @admin.display(description=_("children placed"), ordering="children_in_care")
    def children_placed(self, obj) -> int:
        return obj.children_in_care

    @admin.display(description=_("staff"), ordering="staff_in_post")
    def staff_count(self, obj) -> int:
        return obj.staff_in_post


class TrainingInline(ScopedInlineMixin, admin.TabularInline):
    model = Training
    extra = 0
    fields = ("title", "held_on", "hours")


class ActiveStaffFilter(admin.SimpleListFilter):
    title = _("in post")
    parameter_name = "in_post"

    def lookups(self, request, model_admin):
        return [("yes", _("In post")), ("no", _("Left"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        in_post = Q(left_on__isnull=True) | Q(left_on__gt=today)
        if self.value() == "yes":
            return queryset.filter(in_post)
        if self.value() == "no":
            return queryset.exclude(in_post)
        return queryset


class TrainedFilter(admin.SimpleListFilter):
    title = _("trained")
    parameter_name = "trained"

    def lookups(self, request, model_admin):
        return [("yes", _("Trained")), ("no", _("Not trained yet"))]

    def queryset(self, request, queryset):
        trained = Training.objects.values("staff_id")
        if self.value() == "yes":
            return queryset.filter(pk__in=trained)
        if self.value() == "no":
            return queryset.exclude(pk__in=trained)
        return queryset


@admin.register(Staff)
class StaffAdmin(PersonFieldsAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Child directors, supervisors and institution staff with their trainings."""

    scope_selector = staff_list
    add_permission = Action.EDIT
    change_permission = Action.EDIT
    list_display = ("name", "position", "region", "institution", "phone", "appointed_on", "left_on", "training_count")
    list_filter = ("position", ActiveStaffFilter, TrainedFilter, "region__level")
    search_fields = ("name", "phone", "region__name", "^region__code", "institution__name")
    list_select_related = ("region", "institution")
    autocomplete_fields = ("region", "institution")
    raw_id_fields = ("user",)
    fields = ("name", "position", "region", "institution", "user", "phone", "appointed_on", "left_on")
    inlines = (TrainingInline,)
    ordering = ("region__path", "position", "name")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_trainings=Count("trainings"))

    @admin.display(description=_("trainings"), ordering="_trainings")
    def training_count(self, obj) -> int:
        return obj._trainings


@admin.register(Placement)
class PlacementAdmin(ScopedHistoryAdmin):
    scope_selector = placement_list
    add_permission = Action.EDIT
    change_permission = Action.EDIT
    list_display = ("child", "institution", "placed_on", "left_on", "reason")
    list_filter = (("left_on", admin.EmptyFieldListFilter), "institution__kind")
    search_fields = ("child__name", "institution__name", "reason")
    list_select_related = ("child", "institution")
    autocomplete_fields = ("child", "institution")
    date_hierarchy = "placed_on"
    ordering = ("-placed_on", "id")


class FindingInline(ScopedInlineMixin, admin.TabularInline):
    """An inspection's findings, read here: recorded and rectified through the pages and the API
    (institutions.inspections.services holds their rules)."""

    model = Finding
    extra = 0
    can_delete = False
    fields = ("text", "severity", "fix_by", "fixed_on", "fix_note")
    readonly_fields = fields
    add_permission = None
    change_permission = None
    delete_permission = None


@admin.register(Inspection)
class InspectionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_selector = inspection_list
    add_permission = county_or_admin
    change_permission = county_or_admin
    list_display = ("institution", "inspected_on", "unannounced", "level", "findings_excerpt")
    list_filter = ("unannounced", "level", "institution__kind")
    inlines = (FindingInline,)
    search_fields = ("institution__name", "summary")
    list_select_related = ("institution",)
    autocomplete_fields = ("institution",)
    date_hierarchy = "inspected_on"
    ordering = ("-inspected_on", "id")

    @admin.display(description=_("findings"))
    def findings_excerpt(self, obj) -> str:
        text = obj.summary or ""
        return text[:60] + ("…" if len(text) > 60 else "")


@admin.register(CareRecord)
class CareRecordAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Care records, read (written through the pages and the API: institutions.placements.services)."""

    scope_selector = care_record_list
    add_permission = None
    change_permission = None
    list_display = ("child", "institution", "recorded_on", "domain")
    list_filter = ("domain",)
    search_fields = ("child__name", "institution__name")
    list_select_related = ("child", "institution")
    readonly_fields = ("child", "institution", "placement", "recorded_on", "domain", "text", "recorded_by")
    date_hierarchy = "recorded_on"
    ordering = ("-recorded_on", "-id")


@admin.register(SafetyMeeting)
class SafetyMeetingAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Safety-management meetings, read (written through the pages and the API:
    institutions.inspections.services)."""

    scope_selector = safety_meeting_list
    add_permission = None
    change_permission = None
    list_display = ("institution", "held_on")
    search_fields = ("institution__name", "topics")
    list_select_related = ("institution",)
    readonly_fields = ("institution", "held_on", "attendees", "topics", "recorded_by")
    date_hierarchy = "held_on"
    ordering = ("-held_on", "-id")
