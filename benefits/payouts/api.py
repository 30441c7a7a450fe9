"""API resources of payout runs (with `approve`, `changes` and `export`) and payouts (registered
by welfare/api_urls.py). Thin: reads through selectors, writes through services."""

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from benefits.payouts import selectors, services
from benefits.payouts.models import PAYOUT_CHILD_BITS, PAYOUT_EPOCH, Payout, PayoutRun
from cases.children.categories import PAID_CHOICES
from welfare.api import EXPORT_RENDERERS, ExportErrorsAsJsonMixin, RegionCodeField, export_format, export_schema
from welfare.api_fields import ERRORS, MonthField
from welfare.errors import ApplicationError
from welfare.exports import export_rows
from welfare.months import parse_month
from welfare.roles import Action, can
from welfare.scoping import get_in_scope_or_404


class PayoutRunSerializer(serializers.ModelSerializer):
    region: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    month = MonthField(read_only=True)
    approved_by: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = PayoutRun
        fields = [
            "id", "region", "month", "status", "payout_count", "total_amount", "totals_by_category",
            "adjustment_count", "adjustment_total", "problems", "computed_at", "approved_by", "approved_at", "exported_at",
            "grant_count", "grant_total",
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
    through it (Payout.of_child, Payout.in_months), and so does the run filter (Payout.of_run)."""

    run = filters.NumberFilter(method="filter_run")
    child = filters.NumberFilter(method="filter_child")
    category = filters.ChoiceFilter(choices=PAID_CHOICES)
    month = filters.CharFilter(method="filter_month", label="YYYY-MM")

    class Meta:
        model = Payout
        fields = ["run", "child", "category", "month"]

    def filter_run(self, queryset, name, value):
        run = PayoutRun.objects.filter(id=value).first() if value == int(value) and 0 < value < 1 << 63 else None
        if run is None:
            return queryset.none()
        return queryset.filter(Payout.of_run(run))

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
    ("payout-runs", PayoutRunViewSet, "payout-run"),
    ("payouts", PayoutViewSet, "payout"),
]


urlpatterns: list = []
