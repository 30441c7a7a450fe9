"""The `applications` API resource (registered by welfare/api_urls.py): filing, by a child in
scope or by a full identity number, and the actions `review`, `approve` and `reject`. Thin:
reads through cases.applications.selectors, writes through cases.applications.services."""

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases.applications import selectors, services
from cases.applications.models import Application
from cases.children.api import child_for_write
from cases.children.categories import PAID_CHOICES
from cases.children.lookups import id_number_lookup
from cases.children.selectors import child_list, child_visible
from welfare.api import RegionCodeField
from welfare.api_fields import ERRORS, IdNumberField, MonthField
from welfare.audit import client_ip


class ApplicationSerializer(serializers.ModelSerializer):
    child = serializers.SerializerMethodField(
        help_text="the child's id; null for a child outside the caller's area (filed by identity number)"
    )
    received_region: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    county: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Application
        fields = [
            "id", "child", "category", "received_region", "county", "status", "reason", "submitted_on", "due_on",
            "decided_on", "review_comment", "reviewed_on",
        ]
        read_only_fields = fields

    def get_child(self, obj: Application) -> int | None:
        """No internal id of a child outside the caller's area (docs/SECURITY.md, "Lookups by
        identity number"): `child_visible` annotated by the list, else asked for this one."""
        visible = getattr(obj, "child_visible", None)
        if visible is None:
            request = self.context.get("request")
            visible = request is not None and child_visible(user=request.user, child_id=obj.child_id)
        return obj.child_id if visible else None


class ApplicationWriteSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=PAID_CHOICES)
    received_region = RegionCodeField()
    child = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    child_id_number = IdNumberField(max_length=40, required=False)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if ("child" in attrs) == ("child_id_number" in attrs):
            raise serializers.ValidationError({"child": [_("Give either the child's id or the full identity number.")]})
        return attrs


class ReviewSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ApproveSerializer(serializers.Serializer):
    start_month = MonthField(required=False)
    bank_account_holder = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    bank_account = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ApplicationFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Application.Status.choices)
    category = filters.ChoiceFilter(choices=PAID_CHOICES)
    county = filters.CharFilter(field_name="county__code")
    child = filters.NumberFilter(field_name="child_id")
    overdue = filters.BooleanFilter(method="filter_overdue", label="past the time limit and still open")

    class Meta:
        model = Application
        fields = ["status", "category", "county", "child", "overdue"]

    def filter_overdue(self, queryset, name, value):
        from django.utils import timezone

        q = queryset.filter(status__in=services.OPEN, due_on__lt=timezone.localdate())
        return q if value else queryset.exclude(id__in=q.values("id"))


@extend_schema_view(create=extend_schema(request=ApplicationWriteSerializer, responses={201: ApplicationSerializer, **ERRORS}))
class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Recognition applications: filed at a township (cross-province by `child_id_number`), routed to
    the household-registration county, reviewed by the township, approved or rejected by the county."""

    serializer_class = ApplicationSerializer
    filterset_class = ApplicationFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        user = self.request.user
        return selectors.application_search(user=user).annotate(
            child_visible=Exists(child_list(user=user).filter(id=OuterRef("child_id")))
        )

    def get_object(self):
        return selectors.application_get(user=self.request.user, application_id=self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        data = ApplicationWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        child = child_for_write(user=request.user, child_id=values.pop("child")) if "child" in values else None
        if child is None:  # by identity number: a lookup (counted, logged outside one's area)
            id_number_lookup(
                by=request.user, id_number=values["child_id_number"], purpose="application", ip_address=client_ip(request)
            )
        application = services.application_submit(by=request.user, child=child, **values)
        return Response(self.get_serializer(application).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReviewSerializer, responses={200: ApplicationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def review(self, request, *args, **kwargs):
        data = ReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_review(by=request.user, application=self.get_object(), **data.validated_data)
        return Response(self.get_serializer(application).data)

    @extend_schema(request=ApproveSerializer, responses={200: ApplicationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def approve(self, request, *args, **kwargs):
        data = ApproveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_approve(by=request.user, application=self.get_object(), **data.validated_data)
        return Response(self.get_serializer(application).data)

    @extend_schema(request=RejectSerializer, responses={200: ApplicationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def reject(self, request, *args, **kwargs):
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_reject(by=request.user, application=self.get_object(), **data.validated_data)
        return Response(self.get_serializer(application).data)


routes = [("applications", ApplicationViewSet, "application")]
