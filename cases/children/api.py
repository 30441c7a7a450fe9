"""API resources of children: children (search, export, revealing a full identity number),
guardians and simple reports (registered by welfare/api_urls.py). Thin: reads through
cases.children.selectors, writes through cases.children.services."""

import datetime

from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.children import selectors, services
from cases.children.categories import PAID_CATEGORIES, Category
from cases.children.history import CaseloadHistory, CategorySince
from cases.children.listing import list_response, page_rows
from cases.children.lookups import id_number_lookup, id_number_write, too_long_for_a_url, url_search_refused_message
from cases.children.models import CategoryMembership, Child, Guardian, Sex
from cases.children.reveal import child_id_number_reveal, guardian_id_number_reveal
from cases.children.selectors import child_get, guardian_list
from cases.sync.api import conflict_answer
from cases.sync.services import child_update_versioned, guardian_update_versioned
from welfare.api import EXPORT_RENDERERS, ExportErrorsAsJsonMixin, RegionCodeField, export_format, export_schema
from welfare.api_fields import IdNumberField, MonthField, PersonNameField, PhoneField
from welfare.audit import client_ip
from welfare.exports import export_rows
from welfare.idnumber import mask_id_number
from welfare.models import Region
from welfare.roles import Action, can
from welfare.scoping import get_in_scope_or_404

# The paid categories as a choice set (named PaidCategoryEnum in the schema by settings).
PAID_CATEGORY_CHOICES = [(c, Category(c).label) for c in PAID_CATEGORIES]


def current_memberships_prefetch(on: datetime.date | None = None) -> Prefetch:
    """The memberships in force on a date, onto `child.current_memberships` (one query per page)."""
    on = on or timezone.localdate()
    qs = (
        CategoryMembership.objects.open_on(on)
        .order_by("category")
        .only("id", "child_id", "category")
    )
    return Prefetch("memberships", queryset=qs, to_attr="current_memberships")


def child_categories(child: Child) -> list[str]:
    prefetched = getattr(child, "current_memberships", None)
    if prefetched is not None:
        return [m.category for m in prefetched]
    return selectors.current_categories(child)


def child_for_write(*, user, child_id) -> Child:
    """The child a write refers to: found in the user's scope, else 403 when it exists
    elsewhere (writes outside one's scope are refused, not hidden), else a 400."""
    child = selectors.child_list(user=user).select_related("household_region", "region").filter(id=child_id).first()
    if child is not None:
        return child
    # Not in scope: an existence check only (nothing of the record is read or shown).
    if Child.objects.filter(id=child_id).exists():
        raise PermissionDenied(_("This child is outside your area of responsibility."))
    raise serializers.ValidationError({"child": [_("There is no child with this id.")]})


class GuardianNestedSerializer(serializers.ModelSerializer):
    id_number = serializers.SerializerMethodField()

    class Meta:
        model = Guardian
        fields = ["id", "name", "relation", "id_number", "phone", "is_migrant_worker", "work_place", "can_act_as_guardian", "version"]

    def get_id_number(self, obj: Guardian) -> str:
        return mask_id_number(obj.id_number)


class ChildSerializer(serializers.ModelSerializer):
    """A child as read: the identity number is always masked (revealing it is a logged action)."""

    id_number = serializers.SerializerMethodField(help_text="masked: region code and last four characters")
    region: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="village code")
    household_region: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    categories = serializers.SerializerMethodField(help_text="category codes in force today")
    guardians = GuardianNestedSerializer(many=True, read_only=True)

    class Meta:
        model = Child
        fields = [
            "id",
            "name",
            "id_number",
            "sex",
            "birth_date",
            "region",
            "household_region",
            "categories",
            "check_state",
            "next_check_due",
            "school",
            "registered_on",
            "review_status",
            "guardians",
            "version",
        ]
        read_only_fields = fields

    def get_id_number(self, obj: Child) -> str | None:
        return mask_id_number(obj.id_number) or None

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Category.choices)))
    def get_categories(self, obj: Child) -> list[str]:
        return child_categories(obj)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "enum": list(Category.values)},
            {
                "type": "object",
                "properties": {
                    "code": {"type": "string", "enum": list(Category.values)},
                    "since": {"type": "string", "format": "date"},
                    "start_month": {"type": "string", "example": "2024-03"},
                },
                "required": ["code"],
            },
        ]
    }
)
class CategoryItemField(serializers.Field):
    """A category of a child being registered: its code, or `{"code", "since", "start_month"}`
    (the day it began; for a paid category the first month of its allowance)."""

    default_error_messages = {
        "invalid": gettext_lazy('Give a category as its code or as {"code": …, "since": "YYYY-MM-DD", "start_month": "YYYY-MM"}.'),
        "unknown": gettext_lazy("Unknown category: %(c)s"),
        "date": gettext_lazy("Enter the date the category began as YYYY-MM-DD."),
    }

    def to_representation(self, value):
        return value.code

    def to_internal_value(self, data) -> CategorySince:
        if isinstance(data, str):
            data = {"code": data}
        if not isinstance(data, dict) or not isinstance(data.get("code"), str) or set(data) - {"code", "since", "start_month"}:
            self.fail("invalid")
        code = data["code"]
        if code not in Category.values:
            raise serializers.ValidationError(str(self.error_messages["unknown"]) % {"c": code[:40]})
        since = None
        if data.get("since") not in (None, ""):
            try:
                since = datetime.date.fromisoformat(data["since"]) if isinstance(data["since"], str) else None
            except ValueError:
                since = None
            if since is None or len(data["since"]) != 10:
                self.fail("date")
        start_month = None
        if data.get("start_month") not in (None, ""):
            start_month = MonthField().run_validation(data["start_month"])
        return CategorySince(code=code, since=since, start_month=start_month)


class ChildWriteSerializer(serializers.Serializer):
    """What `POST /api/children/` takes (and `PATCH`, partially)."""

    name = PersonNameField(max_length=50)
    id_number = IdNumberField(max_length=40, required=False, allow_blank=True, allow_null=True)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_null=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    region = RegionCodeField(help_text="village code")
    household_region = RegionCodeField(required=False, allow_null=True, help_text="household-registration region code")
    categories = serializers.ListField(
        child=CategoryItemField(),
        required=False,
        max_length=len(Category.values),
        help_text='category codes, or {"code", "since", "start_month"} for an existing caseload (cases.children.history)',
    )
    last_checked_on = serializers.DateField(
        required=False, allow_null=True, help_text="the last check before the system (existing caseload): due dates count from it"
    )
    school = serializers.CharField(max_length=100, required=False, allow_blank=True)
    health_notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    disability_notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    confirm_duplicate = serializers.BooleanField(
        required=False,
        default=False,
        help_text="register a child without an identity number although one with the same name, birth date and village is recorded",
    )
    guardians = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        max_length=10,
        help_text="POST only: the child's guardians, each with the fields of POST /api/guardians/ less `child`",
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="PATCH only: the version the change was made from; a stale one merges or answers 409 (docs/offline.md)",
    )

    def validate_categories(self, value: list) -> list[str]:
        codes = [item.code for item in value]
        if len(set(codes)) != len(codes):
            raise serializers.ValidationError(_("A category is listed twice."))
        self._category_items = tuple(value)
        return codes

    def history(self) -> CaseloadHistory | None:
        """The caseload history the request carries (dated categories, a last check), or None."""
        history = CaseloadHistory(
            categories=getattr(self, "_category_items", ()), last_checked_on=self.validated_data.get("last_checked_on")
        )
        return None if history.is_empty else history


class ChildFilter(filters.FilterSet):
    region = filters.CharFilter(method="filter_region", label=gettext_lazy("region code (the whole subtree)"))
    household_region = filters.CharFilter(
        method="filter_household_region", label=gettext_lazy("household-registration region code (subtree)")
    )
    category = filters.ChoiceFilter(choices=Category.choices, method="filter_category", label=gettext_lazy("category in force today"))
    check_state = filters.ChoiceFilter(choices=Child.CheckState.choices)
    review_status = filters.ChoiceFilter(choices=Child.ReviewStatus.choices)
    sex = filters.ChoiceFilter(choices=Sex.choices)
    name = filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=50)
    q = filters.CharFilter(method="filter_q", max_length=50, label=gettext_lazy("name, identity number or its last digits, guardian name"))
    next_check_due_before = filters.DateFilter(field_name="next_check_due", lookup_expr="lte")

    class Meta:
        model = Child
        fields = ["region", "household_region", "category", "check_state", "review_status", "sex", "name", "q"]

    @staticmethod
    def _subtree(queryset, field: str, code: str):
        path = Region.objects.filter(code=code).values_list("path", flat=True).first()
        if path is None:
            return queryset.none()
        return queryset.filter(**{f"{field}__path__startswith": path})

    def filter_region(self, queryset, name, value):
        return self._subtree(queryset, "region", value)

    def filter_household_region(self, queryset, name, value):
        return self._subtree(queryset, "household_region", value)

    def filter_category(self, queryset, name, value):
        today = timezone.localdate()
        current = CategoryMembership.objects.filter(child=OuterRef("pk"), category=value).open_on(today)
        return queryset.filter(Exists(current))

    def filter_q(self, queryset, name, value):
        if too_long_for_a_url(value):  # a full number is searched with POST /api/children/search/
            raise serializers.ValidationError({"q": [url_search_refused_message()]})
        return queryset.filter(id__in=selectors.child_search(user=self.request.user, query=value).values("id"))


class ChildSearchSerializer(serializers.Serializer):
    """What `POST /api/children/search/` takes: the query of the list's `q` (a full identity
    number too), in the body so that it is never in a URL."""

    q = serializers.CharField(max_length=50, help_text="name, identity number (full or its last digits), guardian name")
    page = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False, default=1)


class ChildSearchResultSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = ChildSerializer(many=True)


def possible_duplicate_answer(exc: services.PossibleDuplicateError) -> dict:
    """The 400 of `POST /api/children/` for a possible duplicate: a code, what to do, and the
    matching children the caller may see, masked as in the list."""
    return {
        "code": exc.code,
        "detail": _(
            'A child with the same name, birth date and village is already recorded. If this is another child, '
            'send the request again with "confirm_duplicate": true.'
        ),
        "duplicates": [
            {
                "id": c.id,
                "name": c.name,
                "id_number": mask_id_number(c.id_number) or None,
                "sex": c.sex,
                "birth_date": c.birth_date.isoformat(),
                "region": c.region.code,
            }
            for c in exc.duplicates
        ],
    }


def child_export_columns(*, full_numbers: bool) -> list:
    def number(child: Child) -> str:
        return (child.id_number or "") if full_numbers else mask_id_number(child.id_number)

    return [
        (_("ID"), lambda c: c.id),
        (_("Name"), lambda c: c.name),
        (_("Identity number"), number),
        (_("Sex"), lambda c: c.get_sex_display()),
        (_("Birth date"), lambda c: c.birth_date.isoformat()),
        (_("Village code"), lambda c: c.region.code),
        (_("Village"), lambda c: c.region.name),
        (_("Household registration code"), lambda c: c.household_region.code),
        (_("Categories"), lambda c: ", ".join(child_categories(c))),
        (_("Check state"), lambda c: c.check_state or ""),
        (_("Next check due"), lambda c: c.next_check_due.isoformat() if c.next_check_due else ""),
    ]


def wants_full_numbers(request) -> bool:
    """`?full_id_numbers=1` asks for full identity numbers in an export: only for roles that may
    reveal them; the export log records that it was asked."""
    wanted = request.query_params.get("full_id_numbers", "") in ("1", "true", "yes")
    if wanted and not can(request.user, Action.REVEAL_ID):
        raise PermissionDenied(_("Your role may not see full identity numbers."))
    return wanted


def _export_params() -> list[OpenApiParameter]:
    return [
        OpenApiParameter(
            "full_id_numbers", bool, description="export full identity numbers (roles that may reveal them; the export log says so)"
        )
    ]


@extend_schema_view(
    list=extend_schema(summary="Children in the caller's scope"),
    retrieve=extend_schema(summary="One child in scope (404 outside it)"),
    create=extend_schema(
        request=ChildWriteSerializer,
        responses={201: ChildSerializer, 400: OpenApiResponse(description="field errors"), 403: OpenApiResponse(description="outside scope or role")},
    ),
    partial_update=extend_schema(
        request=ChildWriteSerializer,
        responses={
            200: ChildSerializer,
            400: OpenApiResponse(description="field errors"),
            403: OpenApiResponse(description="outside scope or role"),
            409: OpenApiResponse(description="stale version: the fields in conflict, kept for the supervisor"),
        },
    ),
)
class ChildViewSet(ExportErrorsAsJsonMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Children: read in scope, register through `child_register`, change through `child_update`."""

    serializer_class = ChildSerializer
    filterset_class = ChildFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return (
            selectors.child_list(user=self.request.user)
            .select_related("region", "household_region")
            .prefetch_related(current_memberships_prefetch(), Prefetch("guardians", queryset=Guardian.objects.order_by("id")))
            .order_by("id")
        )

    def get_list_queryset(self):
        """The children the list pages through (ids only: see cases/children/listing.py)."""
        return selectors.child_list(user=self.request.user)

    def handle_exception(self, exc):
        if isinstance(exc, services.PossibleDuplicateError):
            return Response(possible_duplicate_answer(exc), status=status.HTTP_400_BAD_REQUEST)
        return super().handle_exception(exc)

    def list(self, request, *args, **kwargs):
        return list_response(self, request)

    def get_object(self):
        return get_in_scope_or_404(self.get_queryset(), id=self.kwargs["pk"])

    def _reload(self, child_id: int) -> Child:
        return self.get_queryset().get(id=child_id)

    def create(self, request, *args, **kwargs):
        data = ChildWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("last_checked_on", None)
        fields.pop("version", None)  # for PATCH only
        guardians = [_guardian_fields(index, g) for index, g in enumerate(fields.pop("guardians", []))]
        fields["history"] = data.history()
        child = id_number_write(
            by=request.user,
            id_number=fields.get("id_number"),
            purpose="child_register",
            ip_address=client_ip(request),
            write=lambda: services.child_register_with_guardians(by=request.user, child=fields, guardians=guardians),
        )
        return Response(ChildSerializer(self._reload(child.id)).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        child = self.get_object()
        data = ChildWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        categories = fields.pop("categories", None)
        fields.pop("confirm_duplicate", None)  # for registration only
        fields.pop("last_checked_on", None)  # for registration only: later checks are recorded
        version = fields.pop("version", None)
        if fields.pop("guardians", None) is not None:
            raise serializers.ValidationError({"guardians": [_("Add a guardian with POST /api/guardians/.")]})
        if fields.get("household_region", "") is None:
            fields.pop("household_region")  # null means "leave as it is"
        if version is not None:
            outcome = id_number_write(
                by=request.user,
                id_number=fields.get("id_number") if fields.get("id_number") != child.id_number else None,
                purpose="child_update",
                ip_address=client_ip(request),
                write=lambda: child_update_versioned(by=request.user, child=child, version=version, categories=categories, **fields),
            )
            body = ChildSerializer(self._reload(child.id)).data
            return conflict_answer(outcome, body) if outcome.conflicts else Response(body)
        child = id_number_write(
            by=request.user,
            id_number=fields.get("id_number") if fields.get("id_number") != child.id_number else None,
            purpose="child_update",
            ip_address=client_ip(request),
            write=lambda: services.child_update_with_categories(by=request.user, child=child, categories=categories, **fields),
        )
        return Response(ChildSerializer(self._reload(child.id)).data)

    @extend_schema(
        request=ChildSearchSerializer,
        responses={200: ChildSearchResultSerializer, 400: OpenApiResponse(description="field errors"), 429: OpenApiResponse(description="too many lookups by identity number")},
        summary="Find children in scope by name, identity number (full or last digits) or guardian name",
    )
    @action(detail=False, methods=["post"], url_path="search", pagination_class=None, filterset_class=None)
    def search(self, request, *args, **kwargs):
        """The list's `q` by POST, 50 a page: a full identity number is searched here, never in a
        URL. A full number is a lookup (cases.children.lookups: counted per user, logged when it names a
        child outside the caller's area); the answer holds children in scope only."""
        data = ChildSearchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        query = data.validated_data["q"]
        id_number_lookup(by=request.user, id_number=query, purpose="child_search", ip_address=client_ip(request))
        ids = selectors.child_search(user=request.user, query=query).order_by("id").values_list("id", flat=True)
        paginator = Paginator(ids, 50)
        page = paginator.get_page(data.validated_data["page"])
        body = {
            "count": paginator.count,
            "page": page.number,
            "pages": paginator.num_pages,
            "results": page_rows(list(page), on=timezone.localdate()),
        }
        response = Response(body)
        response["Cache-Control"] = "no-store"
        return response

    @export_schema(parameters=_export_params(), summary="The filtered list of children as xlsx or csv (logged)")
    @action(detail=False, methods=["get"], renderer_classes=EXPORT_RENDERERS, pagination_class=None)
    def export(self, request, *args, **kwargs):
        full = wants_full_numbers(request)
        rows = self.filter_queryset(self.get_queryset()).prefetch_related(None).prefetch_related(current_memberships_prefetch())
        return export_rows(
            user=request.user,
            request=request,
            rows=rows.iterator(chunk_size=2000),
            columns=child_export_columns(full_numbers=full),
            filename="children",
            fmt=export_format(request),
            action="children.exported",
            detail={"full_id_numbers": full, "filters": {k: v for k, v in request.query_params.items() if k != "format"}},
        )


class GuardianSerializer(serializers.ModelSerializer):
    id_number = serializers.SerializerMethodField(help_text="masked")

    class Meta:
        model = Guardian
        fields = ["id", "child", "name", "relation", "id_number", "phone", "is_migrant_worker", "work_place", "can_act_as_guardian", "version"]
        read_only_fields = fields

    def get_id_number(self, obj: Guardian) -> str:
        return mask_id_number(obj.id_number)


class GuardianWriteSerializer(serializers.Serializer):
    child = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    name = PersonNameField(max_length=50)
    relation = serializers.ChoiceField(choices=Guardian.Relation.choices)
    id_number = IdNumberField(max_length=40, required=False, allow_blank=True)
    phone = PhoneField(required=False, allow_blank=True, help_text="mobile (13800000000) or landline with area code (0851-12345678)")
    is_migrant_worker = serializers.BooleanField(required=False, default=False)
    work_place = serializers.CharField(max_length=100, required=False, allow_blank=True)
    can_act_as_guardian = serializers.BooleanField(required=False, default=True)


class GuardianInChildSerializer(GuardianWriteSerializer):
    """A guardian registered with the child (`guardians` of POST /api/children/)."""

    child = None  # type: ignore[assignment]


def _guardian_fields(index: int, raw: dict) -> dict:
    data = GuardianInChildSerializer(data=raw)
    if not data.is_valid():
        raise serializers.ValidationError({f"guardians-{index}-{name}": errors for name, errors in data.errors.items()})
    return dict(data.validated_data)


class GuardianPatchSerializer(serializers.Serializer):
    """What `PATCH /api/guardians/<id>/` takes: any of the guardian's fields, and `version`."""

    name = PersonNameField(max_length=50, required=False)
    relation = serializers.ChoiceField(choices=Guardian.Relation.choices, required=False)
    id_number = IdNumberField(max_length=40, required=False, allow_blank=True)
    phone = PhoneField(required=False, allow_blank=True)
    is_migrant_worker = serializers.BooleanField(required=False)
    work_place = serializers.CharField(max_length=100, required=False, allow_blank=True)
    can_act_as_guardian = serializers.BooleanField(required=False)
    version = serializers.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, help_text="the version the change was made from (docs/offline.md)"
    )


class GuardianFilter(filters.FilterSet):
    child = filters.NumberFilter(field_name="child_id")
    region = filters.CharFilter(method="filter_region", label=gettext_lazy("village code of the child (subtree)"))
    relation = filters.ChoiceFilter(choices=Guardian.Relation.choices)
    is_migrant_worker = filters.BooleanFilter()

    class Meta:
        model = Guardian
        fields = ["child", "region", "relation", "is_migrant_worker"]

    def filter_region(self, queryset, name, value):
        path = Region.objects.filter(code=value).values_list("path", flat=True).first()
        return queryset.none() if path is None else queryset.filter(child__region__path__startswith=path)


@extend_schema_view(
    create=extend_schema(
        request=GuardianWriteSerializer,
        responses={201: GuardianSerializer, 400: OpenApiResponse(description="field errors"), 403: OpenApiResponse(description="outside scope or role")},
    ),
    partial_update=extend_schema(
        request=GuardianPatchSerializer,
        responses={
            200: GuardianSerializer,
            400: OpenApiResponse(description="field errors"),
            403: OpenApiResponse(description="outside scope or role"),
            409: OpenApiResponse(description="stale version: the fields in conflict, kept for the supervisor"),
        },
    ),
)
class GuardianViewSet(ExportErrorsAsJsonMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Guardians of the children in scope; added through `guardian_add`."""

    serializer_class = GuardianSerializer
    filterset_class = GuardianFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.guardian_list(user=self.request.user).order_by("id")

    def get_object(self):
        return get_in_scope_or_404(self.get_queryset(), id=self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        data = GuardianWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        child = child_for_write(user=request.user, child_id=fields.pop("child"))
        guardian = services.guardian_add(by=request.user, child=child, **fields)
        return Response(GuardianSerializer(guardian).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        guardian = self.get_object()
        data = GuardianPatchSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        version = fields.pop("version", None)
        if version is None:
            guardian = services.guardian_update(by=request.user, guardian=guardian, **fields)
            return Response(GuardianSerializer(guardian).data)
        outcome = guardian_update_versioned(by=request.user, guardian=guardian, version=version, **fields)
        body = GuardianSerializer(self.get_queryset().get(id=guardian.id)).data
        return conflict_answer(outcome, body) if outcome.conflicts else Response(body)

    @export_schema(parameters=_export_params(), summary="The filtered list of guardians as xlsx or csv (logged)")
    @action(detail=False, methods=["get"], renderer_classes=EXPORT_RENDERERS, pagination_class=None)
    def export(self, request, *args, **kwargs):
        full = wants_full_numbers(request)

        def number(g: Guardian) -> str:
            return g.id_number if full else mask_id_number(g.id_number)

        columns = [
            (_("ID"), lambda g: g.id),
            (_("Child ID"), lambda g: g.child_id),
            (_("Child"), lambda g: g.child.name),
            (_("Name"), lambda g: g.name),
            (_("Relation"), lambda g: g.get_relation_display()),
            (_("Identity number"), number),
            (_("Phone"), lambda g: g.phone),
            (_("Works away from home"), lambda g: _("yes") if g.is_migrant_worker else _("no")),
            (_("Where they work"), lambda g: g.work_place),
            (_("Can act as guardian"), lambda g: _("yes") if g.can_act_as_guardian else _("no")),
        ]
        rows = self.filter_queryset(self.get_queryset()).select_related("child")
        return export_rows(
            user=request.user,
            request=request,
            rows=rows.iterator(chunk_size=2000),
            columns=columns,
            filename="guardians",
            fmt=export_format(request),
            action="guardians.exported",
            detail={"full_id_numbers": full},
        )


class ReportSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    value = serializers.IntegerField()


class ReportViewSet(viewsets.ViewSet):
    """A read-only list of simple counts of the children in scope (today)."""

    serializer_class = ReportSerializer
    pagination_class = None

    @extend_schema(responses={200: ReportSerializer(many=True)}, summary="Simple counts over the caller's scope")
    def list(self, request, *args, **kwargs):
        today = timezone.localdate()
        children = selectors.child_list(user=request.user)
        totals = children.aggregate(
            children=Count("id"),
            overdue=Count("id", filter=Q(check_state=Child.CheckState.OVERDUE)),
            due_soon=Count("id", filter=Q(check_state=Child.CheckState.DUE_SOON)),
        )
        by_category = dict(
            CategoryMembership.objects.filter(child__in=children)
            .open_on(today)
            .values_list("category")
            .annotate(n=Count("child_id", distinct=True))
            .values_list("category", "n")
        )
        rows = [
            {"key": "children", "title": _("Children"), "value": totals["children"]},
            {"key": "checks_overdue", "title": _("Checks overdue"), "value": totals["overdue"]},
            {"key": "checks_due_soon", "title": _("Checks due soon"), "value": totals["due_soon"]},
        ]
        rows += [
            {"key": f"category:{code}", "title": str(label), "value": by_category.get(code, 0)} for code, label in Category.choices
        ]
        return Response(ReportSerializer(rows, many=True).data)


routes = [
    ("children", ChildViewSet, "child"),
    ("guardians", GuardianViewSet, "guardian"),
    ("reports", ReportViewSet, "report"),
]




_RevealOutput = inline_serializer("IdNumberRevealOutput", fields={"id_number": serializers.CharField()})


class _RevealView(APIView):
    permission_classes = [IsAuthenticated]

    @staticmethod
    def _answer(number: str) -> Response:
        response = Response({"id_number": number})
        response["Cache-Control"] = "no-store"
        return response


class ChildRevealApi(_RevealView):
    """Reveal a child's full identity number (writes an access-log row)."""

    @extend_schema(request=None, responses=_RevealOutput)
    def post(self, request, child_id: int):
        child = child_get(user=request.user, child_id=child_id)
        return self._answer(child_id_number_reveal(by=request.user, child=child, request_ip=client_ip(request)))


class GuardianRevealApi(_RevealView):
    """Reveal a guardian's full identity number (writes an access-log row)."""

    @extend_schema(request=None, responses=_RevealOutput)
    def post(self, request, guardian_id: int):
        guardian = get_in_scope_or_404(guardian_list(user=request.user), id=guardian_id)
        return self._answer(
            guardian_id_number_reveal(by=request.user, guardian=guardian, request_ip=client_ip(request))
        )




urlpatterns = [
    path("children/<int:child_id>/reveal/", ChildRevealApi.as_view(), name="api-child-reveal"),
    path("guardians/<int:guardian_id>/reveal/", GuardianRevealApi.as_view(), name="api-guardian-reveal"),
]
