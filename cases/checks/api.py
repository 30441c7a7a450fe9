"""The `checks` resource: checks (home visits) of children in the caller's scope.
GET lists/reads (404 outside scope); POST records one via `check_record` (403 outside scope);
the same check sent again within CHECK_REPEAT_WINDOW_MINUTES answers the first one with 200."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from cases.checks.models import Check
from cases.checks.selectors import check_campaign_for_write, check_checker_get, check_child_for_write, check_list
from cases.checks.services import CheckInput, check_record


class CheckOutputSerializer(serializers.ModelSerializer):
    checked_by: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Check
        fields = [
            "id", "child", "checked_on", "kind", "risk_level", "notes", "checked_by", "campaign",
            "caregiver", "father_away", "father_work_place", "mother_away", "mother_work_place",
            "attends_school", "health", "safety_risk", "guardianship_risk", "follow_up", "created_at",
        ]
        read_only_fields = fields


class CheckInputSerializer(serializers.Serializer):
    child = serializers.IntegerField()
    checked_on = serializers.DateField()
    kind = serializers.ChoiceField(choices=Check.Kind.choices, default=Check.Kind.ROUTINE)
    risk_level = serializers.ChoiceField(choices=Check.RiskLevel.choices, default=Check.RiskLevel.LOW)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    checked_by = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="user id; the caller by default")
    campaign = serializers.IntegerField(required=False, allow_null=True, default=None)
    caregiver = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    father_away = serializers.BooleanField(required=False, allow_null=True, default=None)
    father_work_place = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    mother_away = serializers.BooleanField(required=False, allow_null=True, default=None)
    mother_work_place = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    attends_school = serializers.BooleanField(required=False, allow_null=True, default=None)
    health = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    safety_risk = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    guardianship_risk = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    follow_up = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class CheckFilter(filters.FilterSet):
    checked_after = filters.DateFilter(field_name="checked_on", lookup_expr="gte")
    checked_before = filters.DateFilter(field_name="checked_on", lookup_expr="lte")

    class Meta:
        model = Check
        fields = ["child", "kind", "risk_level", "campaign", "checked_after", "checked_before"]


class CheckViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Checks of children in the caller's region, newest first."""

    serializer_class = CheckOutputSerializer
    filterset_class = CheckFilter

    def get_queryset(self):
        return check_list(user=self.request.user).select_related("checked_by").order_by("-checked_on", "-id")

    @extend_schema(
        request=CheckInputSerializer,
        responses={
            201: CheckOutputSerializer,
            200: OpenApiResponse(CheckOutputSerializer, description="the same check sent again: the first one"),
        },
    )
    def create(self, request, *args, **kwargs):
        data = CheckInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        user = request.user
        child = check_child_for_write(user=user, child_id=values.pop("child"))
        checker_id, campaign_id = values.pop("checked_by"), values.pop("campaign")
        data = CheckInput(
            checked_by=check_checker_get(user_id=checker_id) if checker_id is not None else None,
            campaign=check_campaign_for_write(user=user, campaign_id=campaign_id) if campaign_id is not None else None,
            **values,
        )
        check = check_record(by=user, child=child, data=data)
        answer = status.HTTP_200_OK if check.is_repeat else status.HTTP_201_CREATED
        return Response(CheckOutputSerializer(check).data, status=answer)


routes = [("checks", CheckViewSet, "check")]


urlpatterns: list = []
