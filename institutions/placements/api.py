"""API of placements (`placements`: admission by POST, action `discharge`) and care records
(`care-records`), registered by welfare/api_urls.py. Thin: reads through
institutions.placements.selectors (scoped; anything else is not found), writes through
institutions.placements.services (which hold every rule and answer 400 or 403)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases.children.api import child_for_write, possible_duplicate_answer
from cases.children.lookups import id_number_lookup, id_number_write
from cases.children.models import Sex
from cases.children.services import PossibleDuplicateError
from institutions.models import Institution
from institutions.placements import selectors, services
from institutions.placements.models import CareRecord, Placement
from welfare.api import EXPORT_RENDERERS, ExportErrorsAsJsonMixin, RegionCodeField, export_format, export_schema
from welfare.api_fields import ERRORS, IdNumberField, PersonNameField
from welfare.audit import client_ip
from welfare.exports import export_rows
from welfare.scoping import get_in_scope_or_404

TEXT = 5000


def id_field(**kwargs) -> serializers.IntegerField:
    """A record's id (a positive 64-bit integer; anything else is a 400)."""
    return serializers.IntegerField(min_value=1, max_value=2**63 - 1, **kwargs)


def institution_for_write(*, institution_id) -> Institution | None:
    """The institution a write names: any existing one (the service decides who may write it:
    403 outside one's scope), None when there is none (the service answers 400)."""
    return Institution.objects.select_related("region").filter(pk=institution_id).first()


class PlacementSerializer(serializers.ModelSerializer):
    discharged_to_region: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Placement
        fields = [
            "id", "child", "institution", "placed_on", "left_on", "reason", "admission_reason", "discharge_reason",
            "discharge_note", "found_at", "police_report_number", "birth_date_estimated", "case",
            "discharged_to_region", "transferred_to",
        ]  # fmt: skip
        read_only_fields = fields


class AdmittedChildSerializer(serializers.Serializer):
    """A child recorded nowhere (an abandoned infant, a minor without papers)."""

    name = PersonNameField(max_length=50)
    sex = serializers.ChoiceField(choices=Sex.choices)
    birth_date = serializers.DateField(help_text="estimated when unknown")
    birth_date_estimated = serializers.BooleanField(default=True)
    region = RegionCodeField(help_text="code of the village or community where the child was found")
    id_number = IdNumberField(required=False, allow_blank=True, default="")
    confirm_duplicate = serializers.BooleanField(required=False, default=False)


class AdmissionSerializer(serializers.Serializer):
    """`POST /api/placements/`: exactly one of `child`, `child_id_number`, `new_child`."""

    institution = id_field()
    child = id_field(required=False, allow_null=True, default=None, help_text="a child the caller can see")
    child_id_number = IdNumberField(
        required=False,
        allow_blank=True,
        default="",
        max_length=40,
        help_text="a full identity number of a child recorded anywhere",
    )
    new_child = AdmittedChildSerializer(required=False, allow_null=True, default=None)
    placed_on = serializers.DateField()
    admission_reason = serializers.ChoiceField(choices=Placement.AdmissionReason.choices)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    found_at = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    police_report_number = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    case = id_field(required=False, allow_null=True, default=None, help_text="protection case (temporary guardianship)")


class DischargeSerializer(serializers.Serializer):
    left_on = serializers.DateField()
    discharge_reason = serializers.ChoiceField(choices=Placement.DischargeReason.choices)
    note = serializers.CharField(max_length=TEXT, required=False, allow_blank=True, default="")
    discharged_to_region = RegionCodeField(
        required=False, allow_null=True, default=None, help_text="family return: where to"
    )
    transferred_to = id_field(required=False, allow_null=True, default=None, help_text="transfer: institution id")


class PlacementFilter(filters.FilterSet):
    child = filters.NumberFilter(field_name="child_id")
    institution = filters.NumberFilter(field_name="institution_id")
    current = filters.BooleanFilter(field_name="left_on", lookup_expr="isnull", label=gettext_lazy("still placed"))
    admission_reason = filters.ChoiceFilter(choices=Placement.AdmissionReason.choices)
    discharge_reason = filters.ChoiceFilter(choices=Placement.DischargeReason.choices)

    class Meta:
        model = Placement
        fields = ["child", "institution", "current", "admission_reason", "discharge_reason"]


def _case_for_write(case_id):
    if case_id is None:
        return None
    from cases.protection.models import Case

    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        raise serializers.ValidationError({"case": [_("There is no such case.")]})
    return case


@extend_schema_view(create=extend_schema(request=AdmissionSerializer, responses={201: PlacementSerializer, **ERRORS}))
class PlacementViewSet(ExportErrorsAsJsonMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Placements of children in institutions: admission (`POST`), discharge (action)."""

    serializer_class = PlacementSerializer
    filterset_class = PlacementFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.placement_list(user=self.request.user).select_related("discharged_to_region").order_by("id")

    def get_object(self):
        return get_in_scope_or_404(self.get_queryset(), id=self.kwargs["pk"])

    def handle_exception(self, exc):
        if isinstance(exc, PossibleDuplicateError):
            return Response(possible_duplicate_answer(exc), status=status.HTTP_400_BAD_REQUEST)
        return super().handle_exception(exc)

    def create(self, request, *args, **kwargs):
        data = AdmissionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        institution = institution_for_write(institution_id=values["institution"])
        if institution is None:
            raise serializers.ValidationError({"institution": [_("There is no such institution.")]})
        child = child_for_write(user=request.user, child_id=values["child"]) if values["child"] is not None else None
        new = values["new_child"]
        admission = services.AdmissionInput(
            institution=institution,
            placed_on=values["placed_on"],
            admission_reason=values["admission_reason"],
            reason=values["reason"],
            child=child,
            child_id_number=values["child_id_number"],
            new_child=services.NewChildInput(**new) if new else None,
            found_at=values["found_at"],
            police_report_number=values["police_report_number"],
            case=_case_for_write(values["case"]),
        )

        def admit():
            return services.placement_admit(by=request.user, data=admission)

        if new and new.get("id_number"):
            placement = id_number_write(
                by=request.user,
                id_number=new["id_number"],
                purpose="placement_admit",
                ip_address=client_ip(request),
                write=admit,
            )
        else:
            if child is None and values["child_id_number"]:
                id_number_lookup(
                    by=request.user,
                    id_number=values["child_id_number"],
                    purpose="placement_admit",
                    ip_address=client_ip(request),
                )
            placement = admit()
        return Response(self.get_serializer(placement).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DischargeSerializer, responses={200: PlacementSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def discharge(self, request, *args, **kwargs):
        """Discharge the child: adoption, return to the family, foster family, turned 18, transfer, death, other."""
        placement = self.get_object()
        data = DischargeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        to_institution = None
        if values["transferred_to"] is not None:
            to_institution = institution_for_write(institution_id=values["transferred_to"])
            if to_institution is None:
                raise serializers.ValidationError({"transferred_to": [_("There is no such institution.")]})
        placement = services.placement_discharge(
            by=request.user,
            placement=placement,
            left_on=values["left_on"],
            discharge_reason=values["discharge_reason"],
            note=values["note"],
            to_region=values["discharged_to_region"],
            to_institution=to_institution,
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=placement.pk)).data)

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
            (_("Admission reason"), lambda p: p.get_admission_reason_display()),
            (_("Discharge reason"), lambda p: p.get_discharge_reason_display() if p.discharge_reason else ""),
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


# --- care records ---------------------------------------------------------------------------------


class CareRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = CareRecord
        fields = ["id", "child", "institution", "placement", "recorded_on", "domain", "text", "recorded_by"]
        read_only_fields = fields


class CareRecordWriteSerializer(serializers.Serializer):
    placement = id_field()
    recorded_on = serializers.DateField()
    domain = serializers.ChoiceField(choices=CareRecord.Domain.choices)
    text = serializers.CharField(max_length=TEXT)


class CareRecordFilter(filters.FilterSet):
    child = filters.NumberFilter(field_name="child_id")
    institution = filters.NumberFilter(field_name="institution_id")
    domain = filters.ChoiceFilter(choices=CareRecord.Domain.choices)

    class Meta:
        model = CareRecord
        fields = ["child", "institution", "domain"]


@extend_schema_view(
    create=extend_schema(request=CareRecordWriteSerializer, responses={201: CareRecordSerializer, **ERRORS})
)
class CareRecordViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """A child's care in an institution, dated, by domain (养治康教安)."""

    serializer_class = CareRecordSerializer
    filterset_class = CareRecordFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.care_record_list(user=self.request.user).order_by("-recorded_on", "-id")

    def get_object(self):
        return get_in_scope_or_404(self.get_queryset(), id=self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        data = CareRecordWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        placement = Placement.objects.select_related("institution").filter(pk=values["placement"]).first()
        if placement is None:
            raise serializers.ValidationError({"placement": [_("There is no such placement.")]})
        record = services.care_record_add(
            by=request.user,
            placement=placement,
            recorded_on=values["recorded_on"],
            domain=values["domain"],
            text=values["text"],
        )
        return Response(self.get_serializer(record).data, status=status.HTTP_201_CREATED)


routes = [
    ("placements", PlacementViewSet, "placement"),
    ("care-records", CareRecordViewSet, "care-record"),
]
urlpatterns: list = []
