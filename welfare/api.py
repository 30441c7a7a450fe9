"""API plumbing shared by every app: the error handler and the regions resource."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters import rest_framework as filters
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.views import exception_handler as drf_exception_handler

from welfare.errors import ApplicationError
from welfare.models import Region
from welfare.scoping import region_list


def exception_handler(exc, context):
    """Business-rule errors become 400 with field-level messages; everything else as DRF does."""
    if isinstance(exc, ApplicationError):
        detail = {k: [str(v)] for k, v in exc.field_errors.items()} or {"detail": str(exc.message)}
        exc = ValidationError(detail)
    elif isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})
    return drf_exception_handler(exc, context)


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent"]


class RegionFilter(filters.FilterSet):
    parent = filters.CharFilter(field_name="parent__code", label="parent code")
    within = filters.CharFilter(method="filter_within", label="code of an ancestor region")

    class Meta:
        model = Region
        fields = ["level", "parent", "within"]

    def filter_within(self, queryset, name, value):
        return queryset.filter(path__contains=f"{value}/")


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Administrative regions in the caller's subtree, looked up by official code."""

    serializer_class = RegionSerializer
    lookup_field = "code"
    filterset_class = RegionFilter

    def get_queryset(self):
        return region_list(user=self.request.user).select_related("parent").order_by("code")


routes = [("regions", RegionViewSet, "region")]
urlpatterns: list = []
