"""The `standards` API resource (with `raise`), registered by welfare/api_urls.py. Thin: reads
through selectors, writes through services."""

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from benefits.standards import selectors, services
from benefits.standards.models import WelfareStandard
from cases.children.categories import PAID_CHOICES
from welfare.api import RegionCodeField
from welfare.api_fields import ERRORS


class StandardSerializer(serializers.ModelSerializer):
    region: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = WelfareStandard
        fields = ["id", "region", "category", "monthly_amount", "refers_to", "effective_from", "document", "is_minimum"]
        read_only_fields = fields


class StandardWriteSerializer(serializers.Serializer):
    region = RegionCodeField()
    category = serializers.ChoiceField(choices=PAID_CHOICES)
    monthly_amount = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True)
    refers_to = serializers.ChoiceField(choices=PAID_CHOICES, required=False, allow_null=True)
    effective_from = serializers.DateField()
    document = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    is_minimum = serializers.BooleanField(required=False, default=False)


class StandardRaiseSerializer(serializers.Serializer):
    region = RegionCodeField(required=False)
    regions = serializers.ListField(child=RegionCodeField(), required=False, max_length=500)
    categories = serializers.ListField(child=serializers.ChoiceField(choices=PAID_CHOICES), min_length=1, max_length=6)
    percent = serializers.DecimalField(max_digits=6, decimal_places=2, required=False, allow_null=True, min_value=0)
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True, min_value=0)
    effective_from = serializers.DateField()
    rounding = serializers.ChoiceField(choices=["yuan", "jiao"], default="yuan")
    document = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        regions = list(attrs.pop("regions", []) or [])
        if attrs.get("region"):
            regions.insert(0, attrs.pop("region"))
        if not regions:
            raise serializers.ValidationError({"region": [_("Choose at least one region.")]})
        attrs["regions"] = regions
        if (attrs.get("percent") is None) == (attrs.get("amount") is None):
            raise serializers.ValidationError({"percent": [_("Give either a percentage or an amount to raise by.")]})
        return attrs


class StandardFilter(filters.FilterSet):
    region = filters.CharFilter(field_name="region__code")
    category = filters.ChoiceFilter(choices=PAID_CHOICES)
    in_force_on = filters.DateFilter(field_name="effective_from", lookup_expr="lte", label="effective on or before")

    class Meta:
        model = WelfareStandard
        fields = ["region", "category", "is_minimum", "in_force_on"]


@extend_schema_view(create=extend_schema(request=StandardWriteSerializer, responses={201: StandardSerializer, **ERRORS}))
class StandardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Allowance standards of one's area and the regions above it. Versions are never edited: a
    change is a new version (POST), a raise creates new versions for many at once."""

    serializer_class = StandardSerializer
    filterset_class = StandardFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.standard_list(user=self.request.user).order_by("region__code", "category", "-effective_from", "id")

    def create(self, request, *args, **kwargs):
        data = StandardWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        standard = services.standard_create(by=request.user, **data.validated_data)
        return Response(StandardSerializer(standard).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=StandardRaiseSerializer, responses={201: StandardSerializer(many=True), **ERRORS})
    @action(detail=False, methods=["post"], url_path="raise")
    def raise_(self, request, *args, **kwargs):
        data = StandardRaiseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = services.standard_raise(by=request.user, **data.validated_data)
        return Response(StandardSerializer(created, many=True).data, status=status.HTTP_201_CREATED)


routes = [("standards", StandardViewSet, "standard")]
