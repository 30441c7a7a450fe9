"""API of inspections (`inspections`, with their `findings`; action `rectify`) and safety meetings
(`safety-meetings`), registered by welfare/api_urls.py. Thin: reads through
institutions.inspections.selectors (scoped; anything else is not found), writes through
institutions.inspections.services (which hold every rule and answer 400 or 403)."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from institutions.inspections import selectors, services
from institutions.inspections.models import Finding, Inspection, SafetyMeeting
from institutions.placements.api import id_field, institution_for_write
from welfare.api_fields import ERRORS
from welfare.scoping import get_in_scope_or_404

TEXT = 5000


class FindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Finding
        fields = ["id", "text", "severity", "fix_by", "fixed_on", "fix_note"]
        read_only_fields = fields


class InspectionSerializer(serializers.ModelSerializer):
    findings = FindingSerializer(many=True, read_only=True)

    class Meta:
        model = Inspection
        fields = ["id", "institution", "inspected_on", "unannounced", "inspectors", "level", "summary", "findings"]
        read_only_fields = fields


class FindingWriteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=TEXT)
    severity = serializers.ChoiceField(choices=Finding.Severity.choices, default=Finding.Severity.MEDIUM)
    fix_by = serializers.DateField(help_text="rectification deadline")


class InspectionWriteSerializer(serializers.Serializer):
    institution = id_field()
    inspected_on = serializers.DateField()
    unannounced = serializers.BooleanField(default=False, help_text="四不两直")
    inspectors = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    summary = serializers.CharField(max_length=TEXT, required=False, allow_blank=True, default="")
    findings = FindingWriteSerializer(many=True, required=False, default=list)


class RectifySerializer(serializers.Serializer):
    finding = id_field()
    fixed_on = serializers.DateField()
    fix_note = serializers.CharField(max_length=TEXT)


class InspectionFilter(filters.FilterSet):
    institution = filters.NumberFilter(field_name="institution_id")
    unannounced = filters.BooleanFilter()
    year = filters.NumberFilter(field_name="inspected_on", lookup_expr="year", min_value=1900, max_value=2200)
    open_findings = filters.BooleanFilter(method="filter_open", label=gettext_lazy("with findings not yet rectified"))

    class Meta:
        model = Inspection
        fields = ["institution", "unannounced", "year", "open_findings"]

    def filter_open(self, queryset, name, value):
        has_open = queryset.filter(findings__fixed_on__isnull=True).values("pk")
        return queryset.filter(pk__in=has_open) if value else queryset.exclude(pk__in=has_open)


@extend_schema_view(
    create=extend_schema(request=InspectionWriteSerializer, responses={201: InspectionSerializer, **ERRORS})
)
class InspectionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Inspections of institutions (announced or unannounced: 四不两直) with their findings."""

    serializer_class = InspectionSerializer
    filterset_class = InspectionFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return (
            selectors.inspection_list(user=self.request.user)
            .prefetch_related(Prefetch("findings", queryset=Finding.objects.order_by("id")))
            .order_by("-inspected_on", "-id")
        )

    def get_object(self):
        return get_in_scope_or_404(self.get_queryset(), id=self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        data = InspectionWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        institution = institution_for_write(institution_id=values["institution"])
        if institution is None:
            raise serializers.ValidationError({"institution": [_("There is no such institution.")]})
        inspection = services.inspection_record(
            by=request.user,
            data=services.InspectionInput(
                institution=institution,
                inspected_on=values["inspected_on"],
                unannounced=values["unannounced"],
                inspectors=values["inspectors"],
                summary=values["summary"],
                findings=tuple(services.FindingInput(**f) for f in values["findings"]),
            ),
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=inspection.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=RectifySerializer, responses={200: InspectionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def rectify(self, request, *args, **kwargs):
        """Record the rectification (整改) of one of the inspection's findings."""
        inspection = self.get_object()
        data = RectifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        finding = Finding.objects.filter(pk=values["finding"], inspection=inspection).first()
        if finding is None:
            raise serializers.ValidationError({"finding": [_("This inspection has no such finding.")]})
        services.finding_rectify(
            by=request.user, finding=finding, fixed_on=values["fixed_on"], fix_note=values["fix_note"]
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=inspection.pk)).data)

    @extend_schema(responses={200: FindingSerializer(many=True)})
    @action(detail=False, methods=["get"])
    def past_deadline(self, request, *args, **kwargs):
        """Findings not rectified whose deadline has passed, in the caller's scope."""
        rows = selectors.findings_past_deadline(user=request.user, today=timezone.localdate())
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(FindingSerializer(page, many=True).data)


class SafetyMeetingSerializer(serializers.ModelSerializer):
    class Meta:
        model = SafetyMeeting
        fields = ["id", "institution", "held_on", "attendees", "topics"]
        read_only_fields = fields


class SafetyMeetingWriteSerializer(serializers.Serializer):
    institution = id_field()
    held_on = serializers.DateField()
    attendees = serializers.CharField(max_length=TEXT)
    topics = serializers.CharField(max_length=TEXT)


class SafetyMeetingFilter(filters.FilterSet):
    institution = filters.NumberFilter(field_name="institution_id")
    year = filters.NumberFilter(field_name="held_on", lookup_expr="year", min_value=1900, max_value=2200)

    class Meta:
        model = SafetyMeeting
        fields = ["institution", "year"]


@extend_schema_view(
    create=extend_schema(request=SafetyMeetingWriteSerializer, responses={201: SafetyMeetingSerializer, **ERRORS})
)
class SafetyMeetingViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Quarterly safety-management meetings of institutions."""

    serializer_class = SafetyMeetingSerializer
    filterset_class = SafetyMeetingFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.safety_meeting_list(user=self.request.user).order_by("-held_on", "-id")

    def get_object(self):
        return get_in_scope_or_404(self.get_queryset(), id=self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        data = SafetyMeetingWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        institution = institution_for_write(institution_id=values.pop("institution"))
        if institution is None:
            raise serializers.ValidationError({"institution": [_("There is no such institution.")]})
        meeting = services.safety_meeting_record(by=request.user, institution=institution, **values)
        return Response(self.get_serializer(meeting).data, status=status.HTTP_201_CREATED)


routes = [
    ("inspections", InspectionViewSet, "inspection"),
    ("safety-meetings", SafetyMeetingViewSet, "safety-meeting"),
]
urlpatterns: list = []
