"""API of institutions (`institutions`: read scoped to the caller; POST by a county official,
PATCH by the institution's staff and the county), registered by welfare/api_urls.py. Staff and
trainings: institutions/staffing/api.py; placements and care records:
institutions/placements/api.py; inspections and safety meetings: institutions/inspections/api.py."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from institutions import services
from institutions.models import Institution
from institutions.selectors import in_region_subtree, institution_list
from welfare.api import EXPORT_RENDERERS, ExportErrorsAsJsonMixin, RegionCodeField, export_format, export_schema
from welfare.api_fields import ERRORS, PhoneField
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


class InstitutionWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=Institution.Kind.choices)
    region = RegionCodeField()
    capacity = serializers.IntegerField(min_value=0, max_value=100000, required=False, default=0)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    phone = PhoneField(required=False, allow_blank=True, default="")
    is_rehabilitation_centre = serializers.BooleanField(required=False, default=False)


class InstitutionFilter(filters.FilterSet):
    region = filters.CharFilter(method="filter_region", label=gettext_lazy("region code (subtree)"))
    kind = filters.ChoiceFilter(choices=Institution.Kind.choices)
    name = filters.CharFilter(lookup_expr="icontains", max_length=100)

    class Meta:
        model = Institution
        fields = ["region", "kind", "name"]

    def filter_region(self, queryset, name, value):
        return in_region_subtree(queryset, "region", value)


@extend_schema_view(
    create=extend_schema(request=InstitutionWriteSerializer, responses={201: InstitutionSerializer, **ERRORS}),
    partial_update=extend_schema(request=InstitutionWriteSerializer, responses={200: InstitutionSerializer, **ERRORS}),
)
class InstitutionViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ScopedReadOnlyViewSet):
    """Welfare institutions, rescue centres, workstations, children's homes, social-work stations."""

    serializer_class = InstitutionSerializer
    filterset_class = InstitutionFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return institution_list(user=self.request.user).select_related("region").order_by("id")

    def create(self, request, *args, **kwargs):
        data = InstitutionWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        institution = services.institution_create(by=request.user, **data.validated_data)
        return Response(self.get_serializer(institution).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        institution = self.get_object()
        data = InstitutionWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        institution = services.institution_update(by=request.user, institution=institution, **data.validated_data)
        return Response(self.get_serializer(institution).data)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

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


routes = [
    ("institutions", InstitutionViewSet, "institution"),
]
urlpatterns: list = []
