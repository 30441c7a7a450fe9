"""API plumbing shared by every app: the error handler, token auth, export renderers and the
regions resource."""

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, parsers, renderers, serializers, status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.exceptions import PermissionDenied as DRFPermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from welfare import tokens
from welfare.authentication import TokenAuthentication
from welfare.errors import ApplicationError
from welfare.exports import XLSX_TYPE
from welfare.models import Region
from welfare.parsers import JSONParser
from welfare.regioncodes import RegionCodeError, region_code_normalize
from welfare.scoping import region_list


def exception_handler(exc, context):
    """Business-rule errors become 400 with field-level messages; everything else as DRF does."""
    if isinstance(exc, ApplicationError):
        detail = {k: [str(v)] for k, v in exc.field_errors.items()} or {"detail": str(exc.message)}
        exc = ValidationError(detail)
    elif isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})
    return drf_exception_handler(exc, context)


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True, help_text="null for a province")  # type: ignore[assignment,var-annotated]

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent"]


class RegionFilter(filters.FilterSet):
    parent = filters.CharFilter(field_name="parent__code", label="parent code")
    within = filters.CharFilter(method="filter_within", label="code of an ancestor region")

    class Meta:
        model = Region
        fields = ["level", "parent", "within"]

    def filter_within(self, queryset, name, value):
        return queryset.filter(path__contains=f"{value}/")


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Administrative regions in the caller's subtree, looked up by official code."""

    serializer_class = RegionSerializer
    lookup_field = "code"
    lookup_value_regex = "[0-9]{1,12}"
    filterset_class = RegionFilter

    def get_queryset(self):
        return region_list(user=self.request.user).select_related("parent").order_by("code")


routes = [("regions", RegionViewSet, "region")]
urlpatterns: list = []


# --- Token auth ---------------------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class TokenView(APIView):
    """`POST /api/auth/token/` with `{"username","password"}` answers `{"token"}`: a new token for
    one more device (welfare.tokens: it lapses after `API_TOKEN_IDLE_HOURS` unused and
    `API_TOKEN_MAX_AGE_HOURS` after this login). Failed attempts count toward the django-axes
    lockout like failed page logins; a disabled user gets no token, and an existing token stops
    working as soon as the user is disabled. `DELETE` with a token logs that device out."""

    permission_classes = [AllowAny]
    throttle_classes: list = []
    parser_classes = [JSONParser, parsers.FormParser, parsers.MultiPartParser]  # JSONParser: nesting limit
    renderer_classes = [renderers.JSONRenderer]

    def get_authenticators(self):
        # Signing in reads no credentials but the password (a stale token must not stand in the
        # way); signing out needs the token it ends.
        method = getattr(getattr(self, "request", None), "method", "")
        return [TokenAuthentication()] if method == "DELETE" else []

    def get_permissions(self):
        if self.request.method == "DELETE":
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer, 400: OpenApiResponse(description="wrong credentials"), 403: OpenApiResponse(description="locked out")},
        auth=[],
        tags=["auth"],
    )
    def post(self, request, *args, **kwargs):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        http_request = request._request  # axes flags the Django request, which its middleware reads
        user = authenticate(
            request=http_request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if getattr(http_request, "axes_locked_out", False):
            raise DRFPermissionDenied(_("Too many failed logins: this account is locked for a while."))
        if user is None:
            raise ValidationError({"non_field_errors": [_("The username or password is wrong.")]})
        return Response({"token": tokens.api_token_issue(user=user)}, status=status.HTTP_200_OK)

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="this device is logged out"), 401: OpenApiResponse(description="no valid token")},
        tags=["auth"],
    )
    def delete(self, request, *args, **kwargs):
        tokens.api_token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "welfare.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.authenticate_header(None)
        )


class DeviceSerializer(serializers.Serializer):
    id = serializers.SerializerMethodField(help_text="the device's id (never its token)")
    created = serializers.DateTimeField(help_text="when the device signed in")
    expiry = serializers.DateTimeField(help_text="when the token lapses if the device stays unused")
    expires_at_the_latest = serializers.SerializerMethodField(help_text="the end of the token's lifetime, however much in use")
    current = serializers.SerializerMethodField(help_text="whether this is the device asking")

    def get_id(self, obj) -> str:
        return tokens.device_id(obj)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_expires_at_the_latest(self, obj) -> str:
        return serializers.DateTimeField().to_representation(tokens.token_latest_expiry(obj))

    def get_current(self, obj) -> bool:
        current = self.context["request"].auth
        return getattr(current, "digest", None) == obj.digest


class DeviceListView(generics.ListAPIView):
    """`GET /api/auth/devices/`: the caller's signed-in devices (one per API token; the last use
    is not recorded, `expiry` is the last use plus the idle period). Lapsed tokens are not
    shown."""

    serializer_class = DeviceSerializer
    filter_backends: list = []

    def get_queryset(self):
        return tokens.api_device_list(user=self.request.user)


class DeviceView(APIView):
    """`DELETE /api/auth/devices/<id>/` logs one of the caller's devices out; any other id,
    someone else's device included, answers 404."""

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="the device is logged out"), 404: OpenApiResponse(description="not one of your devices")},
        tags=["auth"],
    )
    def delete(self, request, device_id: str, *args, **kwargs):
        if not tokens.api_device_revoke(user=request.user, device=device_id):
            raise NotFound(_("No such device."))
        return Response(status=status.HTTP_204_NO_CONTENT)


class XlsxRenderer(renderers.BaseRenderer):
    """Lets `?format=xlsx` reach an export action (the action answers the file itself)."""

    media_type = XLSX_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else b""


class CsvRenderer(renderers.BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else b""


EXPORT_RENDERERS = [XlsxRenderer, CsvRenderer, renderers.JSONRenderer]
EXPORT_PARAMETERS = [
    OpenApiParameter("format", str, enum=["xlsx", "csv"], description="file format (xlsx by default)"),
]


def export_schema(**kwargs):
    """Schema of an export action: an xlsx or csv download of the filtered list."""
    return extend_schema(
        parameters=EXPORT_PARAMETERS + kwargs.pop("parameters", []),
        responses={
            (200, XLSX_TYPE): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.STR,
            (403, "application/json"): OpenApiResponse(description="the role may not export"),
        },
        **kwargs,
    )


def export_format(request) -> str:
    fmt = getattr(getattr(request, "accepted_renderer", None), "format", "xlsx")
    return "csv" if fmt == "csv" else "xlsx"


class ExportErrorsAsJsonMixin:
    """An export action answers a file; its errors (403, 400) are still JSON."""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)  # type: ignore[misc]
        if getattr(self, "action", None) == "export":
            self.request.accepted_renderer = renderers.JSONRenderer()  # type: ignore[attr-defined]
            self.request.accepted_media_type = "application/json"  # type: ignore[attr-defined]
        return response


class RegionCodeField(serializers.SlugRelatedField):
    """A region referenced by its official code in any published form (welfare.regioncodes:
    canonical 6, 9 or 12 digits, the 12-digit statistical code, a 2- or 4-digit short code);
    anything else is a 400 that says why."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", Region.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not data.isdigit() or not data.isascii() or len(data) > 12:
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:20])
        try:
            data = region_code_normalize(data).code
        except RegionCodeError as exc:
            raise serializers.ValidationError(str(exc.message)) from None
        return super().to_internal_value(data)


class MonthFieldSchema(OpenApiSerializerFieldExtension):
    """Months (`YYYY-MM`, DESIGN.md) in the schema, for the month field of the benefits API."""

    target_class = "welfare.api_fields.MonthField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "example": "2025-01"}
