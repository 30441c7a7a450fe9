"""GET /api/dashboard/summary/?region=CODE&date=YYYY-MM-DD (registered by welfare/api_urls.py)."""

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.dashboard.figures import parse_date
from cases.dashboard.selectors import dashboard_api_summary, dashboard_region_get


class DashboardSummaryView(APIView):
    """Figures of one region in the caller's scope on one date (default: the caller's own
    region, today). A region outside the caller's scope is not found (404)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("region", OpenApiTypes.STR, description="Official region code (default: your own region)"),
            OpenApiParameter("date", OpenApiTypes.DATE, description="YYYY-MM-DD, not in the future (default: today)"),
        ],
        responses=inline_serializer(
            "DashboardSummary",
            {
                "region": serializers.CharField(),
                "region_name": serializers.CharField(),
                "level": serializers.CharField(),
                "date": serializers.DateField(),
                "children_by_category": serializers.DictField(child=serializers.IntegerField()),
                "children_by_sub_category": serializers.DictField(
                    child=serializers.DictField(child=serializers.IntegerField())
                ),
                "overdue_checks": serializers.IntegerField(),
                "pending_applications": serializers.IntegerField(),
                "overdue_applications": serializers.IntegerField(),
                "quarter_checks": serializers.DictField(child=serializers.IntegerField()),
                "villages": serializers.IntegerField(),
                "villages_with_child_director": serializers.IntegerField(),
                "child_directors": serializers.IntegerField(),
                "child_directors_trained": serializers.IntegerField(),
                "paid_in_month": serializers.DictField(child=serializers.DictField()),
                "subregions": serializers.ListField(child=serializers.DictField()),
                "open_cases_by_risk": inline_serializer(
                    "OpenCasesByRisk",
                    {level: serializers.IntegerField() for level in ("low", "medium", "high")},
                ),
                "case_reports_overdue": serializers.IntegerField(help_text="reports past respond_by, not screened"),
                "computed_at": serializers.DateTimeField(allow_null=True),
                "grants": inline_serializer(
                    "GrantFigures",
                    {
                        "students": serializers.IntegerField(help_text="approved education grants of the school year"),
                        "by_study_level": serializers.DictField(child=serializers.IntegerField()),
                        "by_month": serializers.ListField(child=serializers.DictField(), help_text="{month, count, amount}"),
                    },
                ),
            },
        ),
    )
    def get(self, request):
        try:
            on = parse_date(request.query_params.get("date"))
        except ValueError as exc:
            raise ValidationError({"date": [str(exc)]}) from None
        region = dashboard_region_get(user=request.user, code=request.query_params.get("region"))
        return Response(dashboard_api_summary(user=request.user, region=region, on=on))


routes: list = []


urlpatterns: list = [
    path("dashboard/summary/", DashboardSummaryView.as_view(), name="dashboard-summary"),
]
