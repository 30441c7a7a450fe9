"""API of staff (`staff`: POST adds, action `end`) and trainings (`trainings`), registered by
welfare/api_urls.py. Thin: reads through institutions.staffing.selectors (scoped), writes
through institutions.staffing.services (which hold every rule and answer 400 or 403)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from institutions.placements.api import id_field, institution_for_write
from institutions.selectors import in_region_subtree
from institutions.staffing import selectors, services
from institutions.staffing.models import Staff, Training
from welfare.api import EXPORT_RENDERERS, ExportErrorsAsJsonMixin, RegionCodeField, export_format, export_schema
from welfare.api_fields import ERRORS, PersonNameField, PhoneField
from welfare.exports import export_rows
from welfare.scoping import get_in_scope_or_404


class StaffSerializer(serializers.ModelSerializer):
    region: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    trainings = serializers.SerializerMethodField()

    class Meta:
        model = Staff
        fields = ["id", "name", "position", "region", "institution", "phone", "appointed_on", "left_on", "trainings"]
        read_only_fields = fields

    def get_trainings(self, obj: Staff) -> int:
        return len(obj.trainings.all())


class StaffWriteSerializer(serializers.Serializer):
    institution = id_field(required=False, allow_null=True, default=None)
    region = RegionCodeField(
        required=False, allow_null=True, default=None, help_text="without an institution: the village or township"
    )
    name = PersonNameField(max_length=50)
    position = serializers.ChoiceField(choices=Staff.Position.choices)
    phone = PhoneField(required=False, allow_blank=True, default="")
    appointed_on = serializers.DateField(required=False, allow_null=True, default=None)


class StaffEndSerializer(serializers.Serializer):
    left_on = serializers.DateField()


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


@extend_schema_view(create=extend_schema(request=StaffWriteSerializer, responses={201: StaffSerializer, **ERRORS}))
class StaffViewSet(ExportErrorsAsJsonMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Child directors, supervisors, institution staff and officials, with their training count."""

    serializer_class = StaffSerializer
    filterset_class = StaffFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return (
            selectors.staff_list(user=self.request.user)
            .select_related("region")
            .prefetch_related("trainings")
            .order_by("id")
        )

    def get_object(self):
        return get_in_scope_or_404(self.get_queryset(), id=self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        data = StaffWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        institution = None
        if values["institution"] is not None:
            institution = institution_for_write(institution_id=values["institution"])
            if institution is None:
                raise serializers.ValidationError({"institution": [_("There is no such institution.")]})
        values["institution"] = institution
        staff = services.staff_add(by=request.user, **values)
        return Response(self.get_serializer(self.get_queryset().get(pk=staff.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=StaffEndSerializer, responses={200: StaffSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def end(self, request, *args, **kwargs):
        """The staff member leaves (their end date)."""
        staff = self.get_object()
        data = StaffEndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.staff_end(by=request.user, staff=staff, left_on=data.validated_data["left_on"])
        return Response(self.get_serializer(self.get_queryset().get(pk=staff.pk)).data)

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


class TrainingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Training
        fields = ["id", "staff", "title", "held_on", "hours"]
        read_only_fields = fields


class TrainingWriteSerializer(serializers.Serializer):
    staff = id_field()
    title = serializers.CharField(max_length=200)
    held_on = serializers.DateField()
    hours = serializers.DecimalField(max_digits=5, decimal_places=1)


class TrainingFilter(filters.FilterSet):
    staff = filters.NumberFilter(field_name="staff_id")
    institution = filters.NumberFilter(field_name="staff__institution_id")
    year = filters.NumberFilter(field_name="held_on", lookup_expr="year", min_value=1900, max_value=2200)

    class Meta:
        model = Training
        fields = ["staff", "institution", "year"]


@extend_schema_view(
    create=extend_schema(request=TrainingWriteSerializer, responses={201: TrainingSerializer, **ERRORS})
)
class TrainingViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Trainings attended by staff, with their hours."""

    serializer_class = TrainingSerializer
    filterset_class = TrainingFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.training_list(user=self.request.user).order_by("-held_on", "-id")

    def get_object(self):
        return get_in_scope_or_404(self.get_queryset(), id=self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        data = TrainingWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        staff = Staff.objects.filter(pk=values.pop("staff")).first()
        if staff is None:
            raise serializers.ValidationError({"staff": [_("There is no such staff member.")]})
        training = services.training_record(by=request.user, staff=staff, **values)
        return Response(self.get_serializer(training).data, status=status.HTTP_201_CREATED)


routes = [
    ("staff", StaffViewSet, "staff"),
    ("trainings", TrainingViewSet, "training"),
]
urlpatterns: list = []
