"""API resources of enrollments (with `end` and `move`) and of transfers between counties (with
`accept` and `refuse`), registered by welfare/api_urls.py. Thin: reads through selectors, writes
through services."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from benefits.enrollments import selectors, services
from benefits.enrollments.models import Enrollment, Transfer
from cases.children.api import child_for_write
from cases.children.categories import PAID_CHOICES
from welfare.api import RegionCodeField
from welfare.api_fields import ERRORS, MonthField


def mask_account(value: str) -> str:
    return ("*" * max(len(value) - 4, 0) + value[-4:]) if value else ""


class EnrollmentSerializer(serializers.ModelSerializer):
    county: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    start_month = MonthField(read_only=True)
    end_month = MonthField(read_only=True)
    bank_account = serializers.SerializerMethodField(help_text="masked")

    class Meta:
        model = Enrollment
        fields = [
            "id", "child", "category", "county", "start_month", "end_month", "end_reason", "status",
            "application", "bank_account_holder", "bank_account",
        ]
        read_only_fields = fields

    def get_bank_account(self, obj: Enrollment) -> str:
        return mask_account(obj.bank_account)


class EnrollmentWriteSerializer(serializers.Serializer):
    child = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    category = serializers.ChoiceField(choices=PAID_CHOICES)
    start_month = MonthField()
    bank_account_holder = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    bank_account = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class EnrollmentEndSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=[c for c in Enrollment.EndReason.choices if c[0] != "moved"])
    on = serializers.DateField(required=False)
    disabled = serializers.BooleanField(required=False, default=False)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class EnrollmentMoveSerializer(serializers.Serializer):
    """A request to the receiving county; the month it takes effect is set on its acceptance."""

    county = RegionCodeField(help_text="the receiving county's code")
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class TransferSerializer(serializers.ModelSerializer):
    child_name = serializers.CharField(source="child.name", read_only=True)
    category = serializers.CharField(source="enrollment.category", read_only=True)
    from_county: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    to_county: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    region: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="new village")
    effective_month = MonthField(read_only=True, help_text="first month paid by the receiving county")

    class Meta:
        model = Transfer
        fields = [
            "id", "enrollment", "child", "child_name", "category", "from_county", "to_county", "requested_on", "status",
            "effective_month", "reason", "region", "new_enrollment", "decided_at",
        ]
        read_only_fields = fields


class EnrollmentFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Enrollment.Status.choices)
    category = filters.ChoiceFilter(choices=PAID_CHOICES)
    county = filters.CharFilter(field_name="county__code")
    child = filters.NumberFilter(field_name="child_id")

    class Meta:
        model = Enrollment
        fields = ["status", "category", "county", "child"]


@extend_schema_view(create=extend_schema(request=EnrollmentWriteSerializer, responses={201: EnrollmentSerializer, **ERRORS}))
class EnrollmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Paid enrollments. POST enrolls a child recognised before the system existed (county officials)."""

    serializer_class = EnrollmentSerializer
    filterset_class = EnrollmentFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.enrollment_list(user=self.request.user).order_by("id")

    def get_object(self):
        return selectors.enrollment_get(user=self.request.user, enrollment_id=self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        data = EnrollmentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        child = child_for_write(user=request.user, child_id=values.pop("child"))
        enrollment = services.enrollment_create(by=request.user, child=child, **values)
        return Response(EnrollmentSerializer(enrollment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EnrollmentEndSerializer, responses={200: EnrollmentSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def end(self, request, *args, **kwargs):
        data = EnrollmentEndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enrollment = services.enrollment_end(by=request.user, enrollment=self.get_object(), **data.validated_data)
        return Response(EnrollmentSerializer(enrollment).data)

    @extend_schema(request=EnrollmentMoveSerializer, responses={202: TransferSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def move(self, request, *args, **kwargs):
        """Ask another county to take the allowance over: 202 with the transfer; nothing moves
        until that county accepts it (`/api/transfers/{id}/accept/`)."""
        data = EnrollmentMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        transfer = services.transfer_request(
            by=request.user, enrollment=self.get_object(), to_county=data.validated_data["county"], reason=data.validated_data["reason"]
        )
        return Response(TransferSerializer(transfer).data, status=status.HTTP_202_ACCEPTED)


class TransferAcceptSerializer(serializers.Serializer):
    region = RegionCodeField(help_text="the village of the receiving county where the child lives now")


class TransferRefuseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class TransferFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Transfer.Status.choices)
    from_county = filters.CharFilter(field_name="from_county__code")
    to_county = filters.CharFilter(field_name="to_county__code")
    child = filters.NumberFilter(field_name="child_id")
    enrollment = filters.NumberFilter(field_name="enrollment_id")

    class Meta:
        model = Transfer
        fields = ["status", "from_county", "to_county", "child", "enrollment"]


class TransferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A child's allowance moving county (asked by `POST /api/enrollments/{id}/move/`). Seen by the
    sending and the receiving county and the regions above them; `accept` and `refuse` by the
    receiving county."""

    serializer_class = TransferSerializer
    filterset_class = TransferFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.transfer_list(user=self.request.user).order_by("-id")

    def get_object(self):
        return selectors.transfer_get(user=self.request.user, transfer_id=self.kwargs["pk"])

    @extend_schema(request=TransferAcceptSerializer, responses={200: TransferSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def accept(self, request, *args, **kwargs):
        transfer = self.get_object()
        data = TransferAcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        transfer = services.transfer_accept(by=request.user, transfer_id=transfer.id, region=data.validated_data["region"])
        return Response(TransferSerializer(selectors.transfer_list(user=request.user).get(id=transfer.id)).data)

    @extend_schema(request=TransferRefuseSerializer, responses={200: TransferSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def refuse(self, request, *args, **kwargs):
        transfer = self.get_object()
        data = TransferRefuseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        transfer = services.transfer_refuse(by=request.user, transfer_id=transfer.id, reason=data.validated_data["reason"])
        return Response(TransferSerializer(transfer).data)


routes = [("enrollments", EnrollmentViewSet, "enrollment"), ("transfers", TransferViewSet, "transfer")]
