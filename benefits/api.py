"""API resources of allowances (registered by welfare/api_urls.py): standards (with `raise`),
applications (with `review`, `approve`, `reject`), enrollments, payout runs (with `approve`,
`export`) and payouts. Thin: reads through selectors, writes through services."""

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from benefits import selectors, services
from benefits.models import PAYOUT_CHILD_BITS, PAYOUT_EPOCH, Enrollment, Payout, PayoutRun, Transfer, WelfareStandard
from benefits.months import parse_month
from cases import applications as app_services
from cases.categories import PAID_CATEGORIES, Category
from cases.lookups import id_number_lookup
from cases.models import Application, Child
from cases.selectors import child_list, child_visible
from welfare.api import EXPORT_RENDERERS, ExportErrorsAsJsonMixin, RegionCodeField, export_format, export_schema
from welfare.api_fields import IdNumberField
from welfare.audit import client_ip
from welfare.errors import ApplicationError
from welfare.exports import export_rows
from welfare.roles import Action, can
from welfare.scoping import get_in_scope_or_404

PAID_CHOICES = [(c, Category(c).label) for c in PAID_CATEGORIES]
ERRORS = {400: OpenApiResponse(description="field errors"), 403: OpenApiResponse(description="outside scope or role")}


class MonthField(serializers.Field):
    """A month as "YYYY-MM" (stored as the first day of the month)."""

    default_error_messages = {"invalid": _("Enter a month as YYYY-MM, for example 2025-03.")}

    def to_representation(self, value):
        return value.strftime("%Y-%m") if value else None

    def to_internal_value(self, data):
        try:
            return parse_month(data)
        except ApplicationError:
            self.fail("invalid")


def mask_account(value: str) -> str:
    return ("*" * max(len(value) - 4, 0) + value[-4:]) if value else ""


def child_for_write(*, user, child_id) -> Child:
    """A child referred to by a write: in scope, else 403 when it exists elsewhere, else 400."""
    child = child_list(user=user).select_related("household_region", "region").filter(id=child_id).first()
    if child is not None:
        return child
    if Child.objects.filter(id=child_id).exists():
        raise PermissionDenied(_("This child is outside your area of responsibility."))
    raise serializers.ValidationError({"child": [_("There is no child with this id.")]})


# --- standards ------------------------------------------------------------------------------------


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


# --- applications ---------------------------------------------------------------------------------


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

        q = queryset.filter(status__in=app_services.OPEN, due_on__lt=timezone.localdate())
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
        return app_services.application_search(user=user).annotate(
            child_visible=Exists(child_list(user=user).filter(id=OuterRef("child_id")))
        )

    def get_object(self):
        return app_services.application_get(user=self.request.user, application_id=self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        data = ApplicationWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        child = child_for_write(user=request.user, child_id=values.pop("child")) if "child" in values else None
        if child is None:  # by identity number: a lookup (counted, logged outside one's area)
            id_number_lookup(
                by=request.user, id_number=values["child_id_number"], purpose="application", ip_address=client_ip(request)
            )
        application = app_services.application_submit(by=request.user, child=child, **values)
        return Response(self.get_serializer(application).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReviewSerializer, responses={200: ApplicationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def review(self, request, *args, **kwargs):
        data = ReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = app_services.application_review(by=request.user, application=self.get_object(), **data.validated_data)
        return Response(self.get_serializer(application).data)

    @extend_schema(request=ApproveSerializer, responses={200: ApplicationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def approve(self, request, *args, **kwargs):
        data = ApproveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = app_services.application_approve(by=request.user, application=self.get_object(), **data.validated_data)
        return Response(self.get_serializer(application).data)

    @extend_schema(request=RejectSerializer, responses={200: ApplicationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def reject(self, request, *args, **kwargs):
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = app_services.application_reject(by=request.user, application=self.get_object(), **data.validated_data)
        return Response(self.get_serializer(application).data)


# --- enrollments ----------------------------------------------------------------------------------


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


# --- transfers ------------------------------------------------------------------------------------


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


# --- payout runs and payouts ----------------------------------------------------------------------


class PayoutRunSerializer(serializers.ModelSerializer):
    region: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    month = MonthField(read_only=True)
    approved_by: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = PayoutRun
        fields = [
            "id", "region", "month", "status", "payout_count", "total_amount", "totals_by_category",
            "adjustment_count", "adjustment_total", "problems", "computed_at", "approved_by", "approved_at", "exported_at",
        ]
        read_only_fields = fields


class PayoutRunWriteSerializer(serializers.Serializer):
    region = RegionCodeField()
    month = MonthField()


class PayoutRunFilter(filters.FilterSet):
    region = filters.CharFilter(field_name="region__code")
    month = filters.CharFilter(method="filter_month", label="YYYY-MM")
    status = filters.ChoiceFilter(choices=PayoutRun.Status.choices)

    class Meta:
        model = PayoutRun
        fields = ["region", "month", "status"]

    def filter_month(self, queryset, name, value):
        try:
            return queryset.filter(month=parse_month(value))
        except ApplicationError as exc:
            raise serializers.ValidationError({"month": [str(exc.message)]}) from None


@extend_schema_view(
    create=extend_schema(
        request=PayoutRunWriteSerializer,
        responses={201: PayoutRunSerializer, 202: PayoutRunSerializer, 200: PayoutRunSerializer, **ERRORS},
    )
)
class PayoutRunViewSet(ExportErrorsAsJsonMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A county's payout of a month. POST asks for it (201 computed, 202 computing in the background,
    200 when it already existed — never a second run); `approve` freezes it; `export` is the bank file."""

    serializer_class = PayoutRunSerializer
    filterset_class = PayoutRunFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.payout_run_list(user=self.request.user).order_by("-month", "region__code")

    def get_object(self):
        return selectors.payout_run_get(user=self.request.user, run_id=self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        data = PayoutRunWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run, created = services.payout_run_start(by=request.user, **data.validated_data)
        run = PayoutRun.objects.select_related("region", "approved_by").get(id=run.id)
        if not created:
            code = status.HTTP_200_OK
        else:
            code = status.HTTP_202_ACCEPTED if run.status == PayoutRun.Status.COMPUTING else status.HTTP_201_CREATED
        return Response(PayoutRunSerializer(run).data, status=code)

    @extend_schema(request=None, responses={200: PayoutRunSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def approve(self, request, *args, **kwargs):
        run = services.payout_run_approve(by=request.user, run_id=self.get_object().id)
        return Response(PayoutRunSerializer(run).data)

    @extend_schema(responses={200: OpenApiResponse(description="new, stopped and changed amounts with reasons")})
    @action(detail=True, methods=["get"])
    def changes(self, request, *args, **kwargs):
        result = selectors.payout_run_changes(run=self.get_object())
        for kind in ("new", "stopped", "changed"):
            for row in result[kind]:
                row["amount"] = None if row["amount"] is None else str(row["amount"])
                row["previous_amount"] = None if row["previous_amount"] is None else str(row["previous_amount"])
        result["previous_month"] = result["previous_month"].strftime("%Y-%m")
        return Response(result)

    @export_schema(
        parameters=[OpenApiParameter("full_id_numbers", bool, description="full identity numbers (roles that may reveal them; logged)")],
        summary="The bank file of an approved run (xlsx or csv, logged)",
    )
    @action(detail=True, methods=["get"], renderer_classes=EXPORT_RENDERERS, pagination_class=None)
    def export(self, request, *args, **kwargs):
        run = self.get_object()
        full = request.query_params.get("full_id_numbers", "") in ("1", "true", "yes")
        if full and not can(request.user, Action.REVEAL_ID):
            raise PermissionDenied(_("Your role may not see full identity numbers."))
        services.payout_run_mark_exported(by=request.user, run=run)
        return bank_file(request=request, run=run, full=full, fmt=export_format(request))


def bank_file(*, request, run: PayoutRun, full: bool, fmt: str):
    """The bank / payment-agency file (shared by the API and the page)."""
    columns = [
        (_("Child"), lambda r: r["child"]),
        (_("Identity number"), lambda r: r["id_number"]),
        (_("Category"), lambda r: str(r["category"])),
        (_("Kind"), lambda r: str(r["kind"])),
        (_("Month"), lambda r: r["month"]),
        (_("Amount (yuan)"), lambda r: r["amount"]),
        (_("Account holder"), lambda r: r["holder"]),
        (_("Account"), lambda r: r["account"]),
    ]
    return export_rows(
        user=request.user,
        request=request,
        rows=selectors.payout_export_rows(user=request.user, run=run, full_id_numbers=full),
        columns=columns,
        filename=f"payouts-{run.region.code}-{run.month:%Y-%m}",
        fmt=fmt,
        action="payout_run.exported",
        detail={"run": run.id, "full_id_numbers": full},
    )


class PayoutSerializer(serializers.ModelSerializer):
    month = MonthField(read_only=True)

    class Meta:
        model = Payout
        fields = ["id", "run", "child", "category", "month", "amount", "standard"]
        read_only_fields = fields


class PayoutFilter(filters.FilterSet):
    """The payout table has one B-tree, its key (child and month): the child and month filters read
    through it (Payout.of_child, Payout.in_months); the run filter through the BRIN run index."""

    run = filters.NumberFilter(field_name="run_id")
    child = filters.NumberFilter(method="filter_child")
    category = filters.ChoiceFilter(choices=PAID_CHOICES)
    month = filters.CharFilter(method="filter_month", label="YYYY-MM")

    class Meta:
        model = Payout
        fields = ["run", "child", "category", "month"]

    def filter_child(self, queryset, name, value):
        if value != int(value) or not 0 < value < 1 << PAYOUT_CHILD_BITS:
            return queryset.none()
        return queryset.filter(Payout.of_child(int(value)))

    def filter_month(self, queryset, name, value):
        try:
            month = parse_month(value)
        except ApplicationError as exc:
            raise serializers.ValidationError({"month": [str(exc.message)]}) from None
        if month < PAYOUT_EPOCH:
            return queryset.none()
        return queryset.filter(Payout.in_months([month]))


class PayoutViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Payout rows (read only: written by the run, frozen once approved)."""

    serializer_class = PayoutSerializer
    filterset_class = PayoutFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.payout_list(user=self.request.user).order_by("id")

    def get_object(self):
        return get_in_scope_or_404(self.get_queryset(), id=self.kwargs["pk"])


routes = [
    ("standards", StandardViewSet, "standard"),
    ("applications", ApplicationViewSet, "application"),
    ("enrollments", EnrollmentViewSet, "enrollment"),
    ("payout-runs", PayoutRunViewSet, "payout-run"),
    ("payouts", PayoutViewSet, "payout"),
    ("transfers", TransferViewSet, "transfer"),
]
urlpatterns: list = []
