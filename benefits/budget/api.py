"""GET /api/budget/projection/?region=CODE&year=YYYY[&raise_percent=N&raise_from=YYYY-MM-DD&rounding=yuan]
(registered by welfare/api_urls.py). Thin: the figures come from benefits/budget/selectors.py."""

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from benefits.budget import selectors


class BudgetProjectionView(APIView):
    """Next year's (or any year's up to five ahead) allowances by month and category, plus the
    education grants, for a county, city or province in the caller's scope. County, city and
    province officials only (403 for other roles); a region outside the caller's scope is not
    found (404)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("region", OpenApiTypes.STR, description="Official code of a county, city or province (default: your own region)"),
            OpenApiParameter("year", OpenApiTypes.INT, description="YYYY, at most five years ahead (default: next year)"),
            OpenApiParameter("raise_percent", OpenApiTypes.NUMBER, description="What-if raise of every standard, -50 to 100 (a cut may not go below a minimum)"),
            OpenApiParameter("raise_from", OpenApiTypes.DATE, description="YYYY-MM-DD the raise takes effect (default: 1 January of the year)"),
            OpenApiParameter("rounding", OpenApiTypes.STR, enum=["yuan", "jiao"], description="Rounding of the raised standards (default: yuan)"),
        ],
        responses=inline_serializer(
            "BudgetProjection",
            {
                "region": serializers.CharField(),
                "region_name": serializers.CharField(),
                "year": serializers.IntegerField(),
                "as_of": serializers.CharField(help_text="YYYY-MM: the month whose caseload the projection starts from"),
                "raise_percent": serializers.CharField(allow_null=True),
                "raise_from": serializers.DateField(allow_null=True),
                "rounding": serializers.CharField(allow_null=True),
                "months": serializers.ListField(
                    child=inline_serializer(
                        "BudgetMonth",
                        {
                            "month": serializers.CharField(help_text="YYYY-MM"),
                            "by_category": serializers.DictField(
                                child=inline_serializer(
                                    "BudgetCell",
                                    {
                                        "children": serializers.IntegerField(),
                                        "amount": serializers.DecimalField(max_digits=16, decimal_places=2),
                                        "new_children": serializers.IntegerField(),
                                    },
                                )
                            ),
                            "grants": serializers.DecimalField(max_digits=16, decimal_places=2),
                            "grant_students": serializers.IntegerField(),
                            "total": serializers.DecimalField(max_digits=16, decimal_places=2),
                        },
                    )
                ),
                "totals_by_category": serializers.DictField(child=serializers.DecimalField(max_digits=16, decimal_places=2)),
                "grants": serializers.DecimalField(max_digits=16, decimal_places=2),
                "total": serializers.DecimalField(max_digits=16, decimal_places=2),
                "new_enrollments_per_month": serializers.DictField(child=serializers.DictField()),
                "problems": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    def get(self, request):
        q = request.query_params
        region = selectors.budget_region_get(user=request.user, code=q.get("region"))
        given = selectors.projection_input(
            year=q.get("year"), raise_percent=q.get("raise_percent"), raise_from=q.get("raise_from"), rounding=q.get("rounding")
        )
        projection = selectors.budget_projection(region=region, year=given.year, what_if=given.what_if)
        return Response(selectors.projection_as_json(projection))


routes: list = []


urlpatterns: list = [
    path("budget/projection/", BudgetProjectionView.as_view(), name="budget-projection"),
]
