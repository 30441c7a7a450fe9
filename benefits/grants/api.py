"""The `grants` API resource (registered by welfare/api_urls.py): filing (a student in scope, or
a full identity number), the county's actions `approve`, `reject`, `end`, and `renew` (a filing
for the next school year). Thin: reads through benefits.grants.selectors, writes through
benefits.grants.services."""

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from benefits.grants import selectors, services
from benefits.grants.models import Grant, GrantKind, StudyLevel
from cases.children.api import child_for_write
from cases.children.selectors import child_list, child_visible
from welfare.api import RegionCodeField
from welfare.api_fields import ERRORS, IdNumberField, MonthField
from welfare.audit import client_ip


class GrantSerializer(serializers.ModelSerializer):
    child = serializers.SerializerMethodField(help_text="the student's id; null for one outside the caller's area (filed by number)")
    received_region: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    county: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    end_month = MonthField(read_only=True)

    class Meta:
        model = Grant
        fields = [
            "id", "child", "kind", "school", "study_level", "school_year", "annual_amount", "instalments", "status",
            "reason", "received_region", "county", "enrolment_proof", "filed_by_student", "submitted_on", "decided_on",
            "end_month",
        ]
        read_only_fields = fields

    def get_child(self, obj: Grant) -> int | None:
        visible = getattr(obj, "child_visible", None)
        if visible is None:
            request = self.context.get("request")
            visible = request is not None and child_visible(user=request.user, child_id=obj.child_id)
        return obj.child_id if visible else None


class GrantWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=GrantKind.choices, required=False, default=GrantKind.ORPHAN_EDUCATION)
    received_region = RegionCodeField()
    child = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    child_id_number = IdNumberField(max_length=40, required=False)
    school_year = serializers.CharField(max_length=20)
    school = serializers.CharField(max_length=200)
    study_level = serializers.ChoiceField(choices=StudyLevel.choices)
    enrolment_proof = serializers.CharField(max_length=300)
    filed_by_student = serializers.BooleanField(required=False, default=False)
    bank_account_holder = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    bank_account = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if ("child" in attrs) == ("child_id_number" in attrs):
            raise serializers.ValidationError({"child": [_("Give either the child's id or the full identity number.")]})
        return attrs


class GrantRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class GrantEndSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    end_month = MonthField(required=False)


class GrantRenewSerializer(serializers.Serializer):
    school = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    study_level = serializers.ChoiceField(choices=StudyLevel.choices, required=False, allow_blank=True, default="")
    enrolment_proof = serializers.CharField(max_length=300)
    received_region = RegionCodeField(required=False, allow_null=True, default=None)


class GrantFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Grant.Status.choices)
    study_level = filters.ChoiceFilter(choices=StudyLevel.choices)
    school_year = filters.CharFilter()
    county = filters.CharFilter(field_name="county__code")
    child = filters.NumberFilter(field_name="child_id")

    class Meta:
        model = Grant
        fields = ["status", "study_level", "school_year", "county", "child"]


@extend_schema_view(create=extend_schema(request=GrantWriteSerializer, responses={201: GrantSerializer, **ERRORS}))
class GrantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Orphan education grants (孤儿助学工程): per school year, filed at a township of the province,
    decided and paid (in instalments with the monthly run) by the household-registration county."""

    serializer_class = GrantSerializer
    filterset_class = GrantFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        user = self.request.user
        return selectors.grant_search(user=user).annotate(child_visible=Exists(child_list(user=user).filter(id=OuterRef("child_id"))))

    def get_object(self):
        return selectors.grant_get(user=self.request.user, grant_id=self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        data = GrantWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        child = child_for_write(user=request.user, child_id=values.pop("child")) if "child" in values else None
        # by identity number: the service makes the lookup (counted, logged outside one's area)
        grant = services.grant_apply(by=request.user, data=services.GrantInput(child=child, ip_address=client_ip(request), **values))
        return Response(self.get_serializer(grant).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: GrantSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def approve(self, request, *args, **kwargs):
        grant = services.grant_approve(by=request.user, grant_id=self.get_object().id)
        return Response(self.get_serializer(grant).data)

    @extend_schema(request=GrantRejectSerializer, responses={200: GrantSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def reject(self, request, *args, **kwargs):
        data = GrantRejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grant = services.grant_reject(by=request.user, grant_id=self.get_object().id, **data.validated_data)
        return Response(self.get_serializer(grant).data)

    @extend_schema(request=GrantEndSerializer, responses={200: GrantSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def end(self, request, *args, **kwargs):
        data = GrantEndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grant = services.grant_end(by=request.user, grant_id=self.get_object().id, **data.validated_data)
        return Response(self.get_serializer(grant).data)

    @extend_schema(request=GrantRenewSerializer, responses={201: GrantSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def renew(self, request, *args, **kwargs):
        data = GrantRenewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grant = services.grant_renew(by=request.user, grant_id=self.get_object().id, **data.validated_data)
        return Response(self.get_serializer(grant).data, status=status.HTTP_201_CREATED)


routes = [("grants", GrantViewSet, "grant")]
