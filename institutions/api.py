"""API resources of the institutions app: institutions, staff, placements (read-only, scoped to
the caller's region; registered by welfare/api_urls.py)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action

from institutions.models import Institution, Placement, Staff
from institutions.selectors import in_region_subtree, institution_list, placement_list, staff_list
from welfare.api import EXPORT_RENDERERS, ExportErrorsAsJsonMixin, export_format, export_schema
from welfare.exports import export_rows
from welfare.scoping import get_in_scope_or_404


class ScopedReadOnlyViewSet(ExportErrorsAsJsonMixin, viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = "[0-9]+"

    def get_object(self):
        return get_in_scope_or_404(self.get_queryset(), id=self.kwargs["pk"])


# --- institutions ---------------------------------------------------------------------------------


class InstitutionSerializer(serializers.ModelSerializer):
    region: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Institution
        fields = ["id", "name", "kind", "region", "capacity", "address", "phone", "is_rehabilitation_centre"]
        read_only_fields = fields


class InstitutionFilter(filters.FilterSet):
    region = filters.CharFilter(method="filter_region", label=gettext_lazy("region code (subtree)"))
    kind = filters.ChoiceFilter(choices=Institution.Kind.choices)
    name = filters.CharFilter(lookup_expr="icontains", max_length=100)

    class Meta:
        model = Institution
        fields = ["region", "kind", "name"]

    def filter_region(self, queryset, name, value):
        return in_region_subtree(queryset, "region", value)


class InstitutionViewSet(ScopedReadOnlyViewSet):
    """Welfare institutions, rescue centres, workstations, children's homes, social-work stations."""

    serializer_class = InstitutionSerializer
    filterset_class = InstitutionFilter

    def get_queryset(self):
        return institution_list(user=self.request.user).select_related("region").order_by("id")

    @export_schema(summary="Institutions as xlsx or csv (logged)")
    @action(detail=False, methods=["get"], renderer_classes=EXPORT_RENDERERS, pagination_class=None)
    def export(self, request, *args, **kwargs):
        columns = [
            (_("ID"), lambda i: i.id),
            (_("Name"), lambda i: i.name),
            (_("Kind"), lambda i: i.get_kind_display()),
            (_("Region code"), lambda i: i.region.code),
            (_("Region"), lambda i: i.region.name),
            (_("Capacity"), lambda i: i.capacity),
            (_("Address"), lambda i: i.address),
            (_("Phone"), lambda i: i.phone),
        ]
        return export_rows(
            user=request.user,
            request=request,
            rows=self.filter_queryset(self.get_queryset()),
            columns=columns,
            filename="institutions",
            fmt=export_format(request),
            action="institutions.exported",
        )


# --- staff ----------------------------------------------------------------------------------------


class StaffSerializer(serializers.ModelSerializer):
    region: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    trainings = serializers.SerializerMethodField()

    class Meta:
        model = Staff
        fields = ["id", "name", "position", "region", "institution", "phone", "appointed_on", "left_on", "trainings"]
        read_only_fields = fields

    def get_trainings(self, obj: Staff) -> int:
        return len(obj.trainings.all())


class StaffFilter(filters.FilterSet):
    region = filters.CharFilter(method="filter_region", label=gettext_lazy("region code (subtree)"))
    position = filters.ChoiceFilter(choices=Staff.Position.choices)
    institution = filters.NumberFilter(field_name="institution_id")
    active = filters.BooleanFilter(field_name="left_on", lookup_expr="isnull", label=gettext_lazy("still in post"))

    class Meta:
        model = Staff
        fields = ["region", "position", "institution", "active"]

    def filter_region(self, queryset, name, value):
        return in_region_subtree(queryset, "region", value)


class StaffViewSet(ScopedReadOnlyViewSet):
    """Child directors, supervisors, institution staff and officials, with their training count."""

    serializer_class = StaffSerializer
    filterset_class = StaffFilter

    def get_queryset(self):
        return staff_list(user=self.request.user).select_related("region").prefetch_related("trainings").order_by("id")

    @export_schema(summary="Staff as xlsx or csv (logged)")
    @action(detail=False, methods=["get"], renderer_classes=EXPORT_RENDERERS, pagination_class=None)
    def export(self, request, *args, **kwargs):
        columns = [
            (_("ID"), lambda s: s.id),
            (_("Name"), lambda s: s.name),
            (_("Position"), lambda s: s.get_position_display()),
            (_("Region code"), lambda s: s.region.code),
            (_("Region"), lambda s: s.region.name),
            (_("Phone"), lambda s: s.phone),
            (_("Appointed on"), lambda s: s.appointed_on.isoformat() if s.appointed_on else ""),
            (_("Left on"), lambda s: s.left_on.isoformat() if s.left_on else ""),
            (_("Trainings"), lambda s: len(s.trainings.all())),
        ]
        return export_rows(
            user=request.user,
            request=request,
            rows=self.filter_queryset(self.get_queryset()),
            columns=columns,
            filename="staff",
            fmt=export_format(request),
            action="staff.exported",
        )


# --- placements -----------------------------------------------------------------------------------


class PlacementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Placement
        fields = ["id", "child", "institution", "placed_on", "left_on", "reason"]
        read_only_fields = fields


class PlacementFilter(filters.FilterSet):
    child = filters.NumberFilter(field_name="child_id")
    institution = filters.NumberFilter(field_name="institution_id")
    current = filters.BooleanFilter(field_name="left_on", lookup_expr="isnull", label=gettext_lazy("still placed"))

    class Meta:
        model = Placement
        fields = ["child", "institution", "current"]


@extend_schema(summary="Placements of children in institutions")
class PlacementViewSet(ScopedReadOnlyViewSet):
    serializer_class = PlacementSerializer
    filterset_class = PlacementFilter

    def get_queryset(self):
        return placement_list(user=self.request.user).order_by("id")

    @export_schema(summary="Placements as xlsx or csv (logged)")
    @action(detail=False, methods=["get"], renderer_classes=EXPORT_RENDERERS, pagination_class=None)
    def export(self, request, *args, **kwargs):
        columns = [
            (_("ID"), lambda p: p.id),
            (_("Child ID"), lambda p: p.child_id),
            (_("Child"), lambda p: p.child.name),
            (_("Institution"), lambda p: p.institution.name),
            (_("Placed on"), lambda p: p.placed_on.isoformat()),
            (_("Left on"), lambda p: p.left_on.isoformat() if p.left_on else ""),
            (_("Reason"), lambda p: p.reason),
        ]
        return export_rows(
            user=request.user,
            request=request,
            rows=self.filter_queryset(self.get_queryset()).select_related("child", "institution"),
            columns=columns,
            filename="placements",
            fmt=export_format(request),
            action="placements.exported",
        )


routes = [
    ("institutions", InstitutionViewSet, "institution"),
    ("staff", StaffViewSet, "staff"),
    ("placements", PlacementViewSet, "placement"),
]
urlpatterns: list = []
