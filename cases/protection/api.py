"""The protection casework API (registered by welfare/api_urls.py): `case-reports` (filing,
screening, the hotline's callback, revealing the reporter), `cases` (the worklist, a manual
opening, closing, reopening, assigning, notes), `assessments`, `case-plans`, `referrals` and
`follow-ups`, with the actions DESIGN.md names. Thin: reads through
cases.protection.selectors (scoped by role; records outside them are not found), writes through
cases.protection.services (which hold every rule and answer 400 or 403)."""

from __future__ import annotations

import datetime

from django.core.paginator import Paginator
from django.db.models import F, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from cases.checks.dates import check_due_soon_days
from cases.children import list_cache
from cases.children import services as children_services
from cases.children.api import child_for_write, possible_duplicate_answer
from cases.children.lookups import id_number_write
from cases.children.models import Sex
from cases.protection import selectors, services
from cases.protection.listing import worklist_response
from cases.protection.models import (
    Assessment,
    Case,
    CaseNote,
    CasePlan,
    CaseReport,
    FollowUp,
    PlanMeasure,
    Referral,
    ReviewStatus,
    RiskLevel,
)
from welfare.api import RegionCodeField
from welfare.api_fields import ERRORS, IdNumberField, PersonNameField, PhoneField
from welfare.audit import client_ip
from welfare.roles import Role
from welfare.scoping import get_in_scope_or_404, is_institution_user
from welfare.validators import mask_person_name, mask_phone

ID_REGEX = "[0-9]+"
TEXT = 5000  # the longest free text the API takes


def _text(**kwargs) -> serializers.CharField:
    """Free text that may be left out: the service says what is missing, in its words."""
    kwargs.setdefault("max_length", TEXT)
    return serializers.CharField(required=False, allow_blank=True, default="", **kwargs)


def _user_id(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=2**63 - 1, **kwargs)


# --------------------------------------------------------------------------------------------
# case-reports
# --------------------------------------------------------------------------------------------

STATUS_ONLY_FIELDS = ("id", "status", "received_at", "respond_by", "concern", "child_name")


class CaseReportSerializer(serializers.ModelSerializer):
    """A report as read. The reporter's name and phone are masked (the screening county reveals
    them with `reveal_reporter`, logged). Someone who filed a report but is not on the screening
    side reads only its status: id, status, received_at, respond_by, concern, child_name."""

    reporter_name = serializers.SerializerMethodField(help_text="masked: the first character only")
    reporter_phone = serializers.SerializerMethodField(help_text="masked: the first three and last four digits")
    region: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="code of the place where it happened"
    )
    county: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="code of the county that screens it"
    )

    class Meta:
        model = CaseReport
        fields = [
            "id", "source", "reporter_type", "reporter_name", "reporter_phone", "child", "child_name", "region",
            "county", "concern", "serious", "urgency", "description", "police_notified_at", "received_at",
            "respond_by", "status", "reason", "case", "callback_at", "callback_note",
        ]
        read_only_fields = fields

    def get_reporter_name(self, obj: CaseReport) -> str:
        return mask_person_name(obj.reporter_name)

    def get_reporter_phone(self, obj: CaseReport) -> str:
        return mask_phone(obj.reporter_phone)

    def to_representation(self, instance):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if not selectors.reads_report_in_full(user, instance):
            return {
                "id": instance.pk,
                "status": instance.status,
                "received_at": serializers.DateTimeField().to_representation(instance.received_at),
                "respond_by": serializers.DateTimeField().to_representation(instance.respond_by),
                "concern": instance.concern,
                "child_name": instance.child_name,
            }
        return super().to_representation(instance)


class CaseReportWriteSerializer(serializers.Serializer):
    """What `POST /api/case-reports/` takes. `child` is a child the caller can see; anyone else
    is named by `child_name` (the county of the place finds or registers them)."""

    source = serializers.ChoiceField(choices=CaseReport.Source.choices, help_text="`hotline`: city officials only")  # type: ignore[assignment]
    reporter_type = serializers.ChoiceField(choices=CaseReport.ReporterType.choices, default=CaseReport.ReporterType.OTHER)
    reporter_name = PersonNameField(required=False, allow_blank=True, default="")
    reporter_phone = PhoneField(required=False, allow_blank=True, default="")
    child = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False, allow_null=True, default=None)
    child_name = PersonNameField(required=False, allow_blank=True, default="")
    region = RegionCodeField(help_text="code of the county, township or village where it happened")
    concern = serializers.ChoiceField(choices=CaseReport.Concern.choices)
    serious = serializers.BooleanField(required=False, default=False, help_text="a serious injury (the police are told first)")
    urgency = serializers.ChoiceField(choices=CaseReport.Urgency.choices, default=CaseReport.Urgency.NORMAL)
    description = _text()
    police_notified_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="required for sexual abuse, trafficking, abandonment and serious injury",
    )
    received_at = serializers.DateTimeField(required=False, allow_null=True, default=None, help_text="now by default")


class NewChildSerializer(serializers.Serializer):
    """A child not yet registered, registered by the screening (the same rules as any
    registration: identity number, national duplicates)."""

    name = PersonNameField(max_length=50)
    id_number = IdNumberField(required=False, allow_blank=True, allow_null=True)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_null=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    region = RegionCodeField(help_text="village code")
    household_region = RegionCodeField(required=False, allow_null=True)
    school = serializers.CharField(max_length=100, required=False, allow_blank=True)
    confirm_duplicate = serializers.BooleanField(required=False, default=False)


class ScreenInSerializer(serializers.Serializer):
    child = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, allow_null=True, default=None, help_text="a registered child's id"
    )
    new_child = NewChildSerializer(required=False, allow_null=True, default=None, help_text="or: register the child")
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices, default=RiskLevel.MEDIUM)
    caseworker = _user_id(required=False, allow_null=True, default=None, help_text="user id")

    def validate(self, attrs):
        if attrs.get("child") is not None and attrs.get("new_child"):
            raise serializers.ValidationError({"child": [_("Choose the child or register a new one, not both.")]})
        return attrs


class ScreenOutSerializer(serializers.Serializer):
    reason = _text()


class CallbackSerializer(serializers.Serializer):
    note = _text(help_text="what the caller was told")


RevealedReporter = inline_serializer(
    "RevealedReporter", fields={"reporter_name": serializers.CharField(), "reporter_phone": serializers.CharField()}
)


class CaseReportFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=CaseReport.Status.choices)
    source = filters.ChoiceFilter(choices=CaseReport.Source.choices)
    concern = filters.ChoiceFilter(choices=CaseReport.Concern.choices)
    overdue = filters.BooleanFilter(method="filter_overdue", label=gettext_lazy("past respond_by and not screened"))

    class Meta:
        model = CaseReport
        fields = ["status", "source", "concern", "overdue"]

    def filter_overdue(self, queryset, name, value):
        late = queryset.filter(status=CaseReport.Status.RECEIVED, respond_by__lt=timezone.now())
        return late if value else queryset.exclude(pk__in=late.values("pk"))


@extend_schema_view(
    create=extend_schema(request=CaseReportWriteSerializer, responses={201: CaseReportSerializer, **ERRORS}),
)
class CaseReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reports of a child at risk (线索): filed by anyone, screened by the county of the place.
    The screening county reads them in full (and the township of the place, and the city its
    hotline tickets); whoever filed one reads its status."""

    serializer_class = CaseReportSerializer
    filterset_class = CaseReportFilter
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        return (
            selectors.report_list_with_access(user=self.request.user)
            .select_related("region", "county")
            .order_by("-received_at", "-id")
        )

    def get_object(self):
        return get_in_scope_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def _answer(self, report_id: int, *, code=status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=report_id)).data, status=code)

    def handle_exception(self, exc):
        if isinstance(exc, children_services.PossibleDuplicateError):
            return Response(possible_duplicate_answer(exc), status=status.HTTP_400_BAD_REQUEST)
        return super().handle_exception(exc)

    def create(self, request, *args, **kwargs):
        data = CaseReportWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        child_id = values.pop("child")
        child = child_for_write(user=request.user, child_id=child_id) if child_id is not None else None
        report = services.report_file(by=request.user, data=services.ReportInput(child=child, **values))
        return self._answer(report.pk, code=status.HTTP_201_CREATED)

    @extend_schema(request=ScreenInSerializer, responses={200: CaseReportSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def screen_in(self, request, *args, **kwargs):
        """Screen the report in: a case opens, or the child's open case takes the report. A child
        not yet registered is registered first (`new_child`)."""
        report = self.get_object()
        data = ScreenInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        child = child_for_write(user=request.user, child_id=values["child"]) if values["child"] is not None else None
        new_child = dict(values["new_child"]) if values.get("new_child") else None

        def screen():
            return services.report_screen_in(
                by=request.user,
                report_id=report.pk,
                child=child,
                new_child=new_child,
                risk_level=values["risk_level"],
                caseworker_id=values["caseworker"],
            )

        if new_child and new_child.get("id_number"):
            id_number_write(
                by=request.user,
                id_number=new_child["id_number"],
                purpose="case_screen_in",
                ip_address=client_ip(request),
                write=screen,
            )
        else:
            screen()
        return self._answer(report.pk)

    @extend_schema(request=ScreenOutSerializer, responses={200: CaseReportSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def screen_out(self, request, *args, **kwargs):
        report = self.get_object()
        data = ScreenOutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.report_screen_out(by=request.user, report_id=report.pk, reason=data.validated_data["reason"])
        return self._answer(report.pk)

    @extend_schema(request=CallbackSerializer, responses={200: CaseReportSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def callback(self, request, *args, **kwargs):
        """The city records its call back to the hotline caller."""
        report = self.get_object()
        data = CallbackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.report_record_callback(by=request.user, report_id=report.pk, note=data.validated_data["note"])
        return self._answer(report.pk)

    @extend_schema(request=None, responses={200: RevealedReporter, **ERRORS})
    @action(detail=True, methods=["post"])
    def reveal_reporter(self, request, *args, **kwargs):
        """The reporter's name and phone in full, for the screening county (writes an access-log row)."""
        report = self.get_object()
        revealed = services.report_reporter_reveal(by=request.user, report_id=report.pk, ip_address=client_ip(request))
        response = Response(revealed)
        response["Cache-Control"] = "no-store"
        return response


# --------------------------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------------------------


class CaseSerializer(serializers.ModelSerializer):
    child_name = serializers.CharField(source="child.name", read_only=True)
    follow_up_state = serializers.SerializerMethodField(
        help_text="`ok`, `due_soon` or `overdue` from next_follow_up_due (null for a closed case)"
    )

    class Meta:
        model = Case
        fields = [
            "id", "child", "child_name", "status", "risk_level", "opened_on", "opened_from", "caseworker", "closed_on",
            "closure_reason", "closure_note", "next_follow_up_due", "follow_up_state",
        ]
        read_only_fields = fields

    def get_follow_up_state(self, obj: Case) -> str | None:
        return selectors.case_follow_up_state(obj, today=self.context.get("today"))


class CaseCreateSerializer(serializers.Serializer):
    child = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices, default=RiskLevel.MEDIUM)
    caseworker = _user_id(required=False, allow_null=True, default=None, help_text="user id")


class CaseCloseSerializer(serializers.Serializer):
    closure_reason = serializers.ChoiceField(choices=Case.ClosureReason.choices)
    closure_note = _text(help_text="required for `other`, and while a referral is still sent or accepted")


class CaseReopenSerializer(serializers.Serializer):
    reason = _text()


class CaseAssignSerializer(serializers.Serializer):
    caseworker = _user_id(allow_null=True, help_text="user id; null to leave the case without one")


class CaseNoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseNote
        fields = ["id", "case", "text", "written_at", "written_by"]
        read_only_fields = fields


class CaseNoteWriteSerializer(serializers.Serializer):
    text = _text()


class CaseFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Case.Status.choices, label=gettext_lazy("`open` (the default) or `closed`"))
    risk_level = filters.ChoiceFilter(choices=RiskLevel.choices)
    caseworker = filters.NumberFilter(field_name="caseworker_id")
    child = filters.NumberFilter(field_name="child_id")
    follow_up_state = filters.ChoiceFilter(
        choices=[("ok", "ok"), ("due_soon", "due_soon"), ("overdue", "overdue")], method="filter_follow_up_state"
    )

    class Meta:
        model = Case
        fields = ["status", "risk_level", "caseworker", "child", "follow_up_state"]

    def filter_follow_up_state(self, queryset, name, value):
        today = timezone.localdate()
        soon = today + datetime.timedelta(days=check_due_soon_days())
        queryset = queryset.filter(status=Case.Status.OPEN, next_follow_up_due__isnull=False)
        if value == "overdue":
            return queryset.filter(next_follow_up_due__lt=today)
        if value == "due_soon":
            return queryset.filter(next_follow_up_due__gte=today, next_follow_up_due__lte=soon)
        return queryset.filter(next_follow_up_due__gt=soon)


class CountedPaginator(Paginator):
    """Django's paginator with the count already known (from the cache), or counting as usual."""

    def __init__(self, object_list, per_page, *, count: int | None):
        super().__init__(object_list, per_page)
        if count is not None:
            self.__dict__["count"] = count  # the cached_property's slot


class WorklistPagination(PageNumberPagination):
    """DRF's page-number pagination, with the list's count kept in the child list API's cache
    under the data versions of the caller's scope (cases.children.list_cache): counting a county's
    50,000 open cases on every page is what a busy worklist cannot afford. The versions are
    replaced by every write of a case, or of a child (a move), beneath the scope (cases/apps.py);
    code that writes cases set-wise must call `children_changed()` itself. Institution staff (not
    scoped by region) and a per-process cache count every time."""

    def paginate_queryset(self, queryset, request, view=None):
        self.known_count = _worklist_count(request, queryset)
        return super().paginate_queryset(queryset, request, view)

    def django_paginator_class(self, object_list, per_page):  # type: ignore[override]
        return CountedPaginator(object_list, per_page, count=self.known_count)


def _worklist_count(request, queryset) -> int | None:
    user = request.user
    if not list_cache.enabled() or is_institution_user(user) or user.scope_path is None:
        return None
    scope = user.scope_path
    # A village director's worklist is their own cases; the others' is their region's.
    who = f"user:{user.pk}" if user.role == Role.VILLAGE_DIRECTOR else f"role:{user.role}"
    query = sorted((k, v) for k, v in request.query_params.items() if k not in ("page", "page_size", "format"))
    key = list_cache.entry_key("case_worklist_count", scope_path=scope, parts=[who, timezone.localdate().isoformat(), *map(str, query)])
    count, tokens = list_cache.read(key, scope_path=scope)
    if count is None:
        count = queryset.count()
        list_cache.write(key, count, tokens=tokens)
    return count


LIST_COLUMNS = (
    "id", "child_id", "child__name", "status", "risk_level", "opened_on", "opened_from", "caseworker_id", "closed_on",
    "closure_reason", "closure_note", "next_follow_up_due",
)


@extend_schema_view(
    list=extend_schema(description="The worklist: open cases (`status=closed` for the closed ones), the most pressing follow-up first, 50 a page."),
    retrieve=extend_schema(description="One case (the read is written to the access log)."),
    create=extend_schema(request=CaseCreateSerializer, responses={201: CaseSerializer, **ERRORS}),
)
class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cases of children at risk: the caseworker's, the township's, the county's (institution
    staff: the cases they accepted). City and province officials read no case content."""

    serializer_class = CaseSerializer
    filterset_class = CaseFilter
    pagination_class = WorklistPagination
    lookup_value_regex = ID_REGEX

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def list(self, request, *args, **kwargs):
        """The worklist, cached under the scope's data versions (cases/protection/listing.py)."""
        return worklist_response(self, request)

    def get_queryset(self):
        qs = selectors.case_list(user=self.request.user).select_related("child")
        if self.action == "list":
            if not self.request.query_params.get("status"):
                qs = qs.filter(status=Case.Status.OPEN)
            return qs.only(*LIST_COLUMNS).order_by(F("next_follow_up_due").asc(nulls_last=True), "id")
        return qs.order_by("id")

    def get_object(self):
        return selectors.case_get(user=self.request.user, case_id=self.kwargs["pk"])

    def retrieve(self, request, *args, **kwargs):
        case = self.get_object()
        services.case_read_record(by=request.user, case=case, ip_address=client_ip(request))
        return Response(self.get_serializer(case).data)

    def create(self, request, *args, **kwargs):
        data = CaseCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        child = child_for_write(user=request.user, child_id=values["child"])
        case = services.case_open(by=request.user, child=child, risk_level=values["risk_level"], caseworker_id=values["caseworker"])
        return Response(self.get_serializer(case).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CaseCloseSerializer, responses={200: CaseSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request, *args, **kwargs):
        """Close the case (a county official): a reason; a note when it is `other` or a referral is live."""
        case = self.get_object()
        data = CaseCloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        case = services.case_close(by=request.user, case_id=case.pk, closure_reason=values["closure_reason"], note=values["closure_note"])
        return Response(self.get_serializer(case).data)

    @extend_schema(request=CaseReopenSerializer, responses={200: CaseSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def reopen(self, request, *args, **kwargs):
        case = self.get_object()
        data = CaseReopenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.case_reopen(by=request.user, case_id=case.pk, reason=data.validated_data["reason"])
        return Response(self.get_serializer(case).data)

    @extend_schema(request=CaseAssignSerializer, responses={200: CaseSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def assign(self, request, *args, **kwargs):
        case = self.get_object()
        data = CaseAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.case_assign(by=request.user, case_id=case.pk, caseworker_id=data.validated_data["caseworker"])
        return Response(self.get_serializer(case).data)

    @extend_schema(request=CaseNoteWriteSerializer, responses={201: CaseNoteSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def notes(self, request, *args, **kwargs):
        """Add a note to the case's timeline (the case team)."""
        case = self.get_object()
        data = CaseNoteWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = services.case_note_add(by=request.user, case_id=case.pk, text=data.validated_data["text"])
        return Response(CaseNoteSerializer(note).data, status=status.HTTP_201_CREATED)


# --------------------------------------------------------------------------------------------
# assessments and case-plans: written by the case team, approved or returned by the county
# --------------------------------------------------------------------------------------------


class CommentSerializer(serializers.Serializer):
    comment = _text()


class AssessmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Assessment
        fields = [
            "id", "case", "assessed_on", "grade", "risk_level", "assessors", "needs", "status", "comment",
            "written_by", "submitted_by", "decided_by", "decided_at",
        ]
        read_only_fields = fields


class AssessmentWriteSerializer(serializers.Serializer):
    case = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    assessed_on = serializers.DateField(required=False, allow_null=True, default=None)
    grade = serializers.ChoiceField(choices=Assessment.Grade.choices)
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices)
    assessors = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, default=list, max_length=20, help_text="at least three names"
    )
    needs = serializers.DictField(
        child=serializers.CharField(max_length=2000, allow_blank=True),
        required=False,
        default=dict,
        help_text="by domain: safety, health, education, psychological, living",
    )


class ReviewFilter(filters.FilterSet):
    case = filters.NumberFilter(field_name="case_id")
    status = filters.ChoiceFilter(choices=ReviewStatus.choices)


class _ReviewActions:
    """`submit`, `approve` and `return` {comment} of an assessment or a plan."""

    submit_service: staticmethod
    decide_service: staticmethod
    id_argument: str

    def _decide(self, request, *, approve: bool | None):
        record = self.get_object()  # type: ignore[attr-defined]
        if approve is None:
            type(self).submit_service(by=request.user, **{self.id_argument: record.pk})
        else:
            data = CommentSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            type(self).decide_service(
                by=request.user, approve=approve, comment=data.validated_data["comment"], **{self.id_argument: record.pk}
            )
        return Response(self.get_serializer(self.get_object()).data)  # type: ignore[attr-defined]

    @extend_schema(request=None, responses=ERRORS)
    @action(detail=True, methods=["post"])
    def submit(self, request, *args, **kwargs):
        """Submit for the county's approval (the case team)."""
        return self._decide(request, approve=None)

    @extend_schema(request=CommentSerializer, responses=ERRORS)
    @action(detail=True, methods=["post"])
    def approve(self, request, *args, **kwargs):
        """Approve (a county official other than the one who submitted)."""
        return self._decide(request, approve=True)

    @extend_schema(request=CommentSerializer, responses=ERRORS)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, *args, **kwargs):
        """Return with a comment saying what to change (a county official)."""
        return self._decide(request, approve=False)


@extend_schema_view(
    create=extend_schema(request=AssessmentWriteSerializer, responses={201: AssessmentSerializer, **ERRORS}),
    submit=extend_schema(responses={200: AssessmentSerializer, **ERRORS}),
    approve=extend_schema(responses={200: AssessmentSerializer, **ERRORS}),
    return_=extend_schema(responses={200: AssessmentSerializer, **ERRORS}),
)
class AssessmentViewSet(_ReviewActions, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Guardianship assessments (监护评估) of the cases the caller may read."""

    serializer_class = AssessmentSerializer
    filterset_class = ReviewFilter
    lookup_value_regex = ID_REGEX
    submit_service = staticmethod(services.assessment_submit)
    decide_service = staticmethod(services.assessment_decide)
    id_argument = "assessment_id"

    def get_queryset(self):
        return selectors.assessment_list(user=self.request.user).order_by("-assessed_on", "-id")

    def create(self, request, *args, **kwargs):
        data = AssessmentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        case = selectors.case_for_write(user=request.user, case_id=values.pop("case"))
        assessment = services.assessment_create(by=request.user, case_id=case.pk, data=services.AssessmentInput(**values))
        return Response(self.get_serializer(assessment).data, status=status.HTTP_201_CREATED)


class PlanMeasureSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanMeasure
        fields = ["id", "domain", "action", "responsible", "due_on", "status"]
        read_only_fields = fields


class CasePlanSerializer(serializers.ModelSerializer):
    measures = PlanMeasureSerializer(many=True, read_only=True)

    class Meta:
        model = CasePlan
        fields = [
            "id", "case", "version", "measures", "review_on", "status", "comment", "written_by", "submitted_by",
            "decided_by", "decided_at",
        ]
        read_only_fields = fields


class PlanMeasureWriteSerializer(serializers.Serializer):
    """One measure; the service checks that each has a domain, an action, who is responsible and
    a due date, and says which one lacks what."""

    domain = serializers.ChoiceField(choices=PlanMeasure.Domain.choices, required=False)
    action = serializers.CharField(max_length=300, required=False, allow_blank=True)
    responsible = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text="a person or an agency")
    due_on = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=PlanMeasure.Status.choices, required=False)


class CasePlanWriteSerializer(serializers.Serializer):
    case = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    measures = PlanMeasureWriteSerializer(many=True, required=False, max_length=100, help_text="at least one")  # type: ignore[call-arg]
    review_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="six months on by default")


@extend_schema_view(
    create=extend_schema(request=CasePlanWriteSerializer, responses={201: CasePlanSerializer, **ERRORS}),
    submit=extend_schema(responses={200: CasePlanSerializer, **ERRORS}),
    approve=extend_schema(responses={200: CasePlanSerializer, **ERRORS}),
    return_=extend_schema(responses={200: CasePlanSerializer, **ERRORS}),
)
class CasePlanViewSet(_ReviewActions, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Versions of individual case plans (一案一策): an approved version is frozen; a change is a new version."""

    serializer_class = CasePlanSerializer
    filterset_class = ReviewFilter
    lookup_value_regex = ID_REGEX
    submit_service = staticmethod(services.plan_submit)
    decide_service = staticmethod(services.plan_decide)
    id_argument = "plan_id"

    def get_queryset(self):
        return (
            selectors.plan_list(user=self.request.user)
            .prefetch_related(Prefetch("measures", queryset=PlanMeasure.objects.order_by("due_on", "id")))
            .order_by("case_id", "-version")
        )

    def create(self, request, *args, **kwargs):
        data = CasePlanWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        case = selectors.case_for_write(user=request.user, case_id=values["case"])
        plan = services.plan_create(
            by=request.user,
            case_id=case.pk,
            measures=[dict(m) for m in values.get("measures") or []],
            review_on=values["review_on"],
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=plan.pk)).data, status=status.HTTP_201_CREATED)


# --------------------------------------------------------------------------------------------
# referrals and follow-ups
# --------------------------------------------------------------------------------------------


class ReferralSerializer(serializers.ModelSerializer):
    class Meta:
        model = Referral
        fields = [
            "id", "case", "to_institution", "to_agency", "service", "consent", "status", "reason", "sent_on",
            "sent_by", "answered_at",
        ]
        read_only_fields = fields


class ReferralWriteSerializer(serializers.Serializer):
    case = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    to_institution = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, allow_null=True, default=None, help_text="an institution of the child's province"
    )
    to_agency = _text(max_length=100, help_text="or an outside agency (police, school, hospital, court…)")
    service = _text(max_length=200)
    consent = _text(max_length=200, help_text="the guardian's or the child's consent, where the agency needs it")


class DeclineSerializer(serializers.Serializer):
    reason = _text()


class ReferralFilter(filters.FilterSet):
    case = filters.NumberFilter(field_name="case_id")
    status = filters.ChoiceFilter(choices=Referral.Status.choices)
    to_institution = filters.NumberFilter(field_name="to_institution_id")


@extend_schema_view(create=extend_schema(request=ReferralWriteSerializer, responses={201: ReferralSerializer, **ERRORS}))
class ReferralViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Referrals (转介): an institution's staff answer those made to it; the case team records an
    outside agency's answer."""

    serializer_class = ReferralSerializer
    filterset_class = ReferralFilter
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        return selectors.referral_list(user=self.request.user).order_by("-sent_on", "-id")

    def create(self, request, *args, **kwargs):
        data = ReferralWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        case = selectors.case_for_write(user=request.user, case_id=values.pop("case"))
        institution_id = values.pop("to_institution")
        institution = None
        if institution_id is not None:
            institution = selectors.referral_institution_get(institution_id=institution_id)
            if institution is None:
                raise serializers.ValidationError({"to_institution": [_("There is no institution with this id.")]})
        referral = services.referral_send(by=request.user, case_id=case.pk, to_institution=institution, **values)
        return Response(self.get_serializer(referral).data, status=status.HTTP_201_CREATED)

    def _answer(self, request, outcome: str, reason: str = "") -> Response:
        referral = self.get_object()
        referral = services.referral_answer(by=request.user, referral_id=referral.pk, outcome=outcome, reason=reason)
        return Response(self.get_serializer(referral).data)

    @extend_schema(request=None, responses={200: ReferralSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def accept(self, request, *args, **kwargs):
        return self._answer(request, "accept")

    @extend_schema(request=DeclineSerializer, responses={200: ReferralSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def decline(self, request, *args, **kwargs):
        data = DeclineSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(request, "decline", data.validated_data["reason"])

    @extend_schema(request=None, responses={200: ReferralSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def complete(self, request, *args, **kwargs):
        return self._answer(request, "complete")


class FollowUpSerializer(serializers.ModelSerializer):
    class Meta:
        model = FollowUp
        fields = ["id", "case", "due_on", "done_on", "notes", "done_by"]
        read_only_fields = fields


class FollowUpWriteSerializer(serializers.Serializer):
    case = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    done_on = serializers.DateField(required=False, allow_null=True, default=None)
    notes = _text()


class FollowUpFilter(filters.FilterSet):
    case = filters.NumberFilter(field_name="case_id")
    done = filters.BooleanFilter(field_name="done_on", lookup_expr="isnull", exclude=True, label=gettext_lazy("done or still due"))


@extend_schema_view(create=extend_schema(request=FollowUpWriteSerializer, responses={201: FollowUpSerializer, **ERRORS}))
class FollowUpViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Follow-ups of the cases the caller may read: the one still due, and those done. Recording
    one done schedules the next from the case's risk level."""

    serializer_class = FollowUpSerializer
    filterset_class = FollowUpFilter
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        return selectors.follow_up_list(user=self.request.user).order_by("-due_on", "-id")

    def create(self, request, *args, **kwargs):
        data = FollowUpWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        case = selectors.case_for_write(user=request.user, case_id=values["case"])
        follow_up = services.follow_up_record(by=request.user, case_id=case.pk, done_on=values["done_on"], notes=values["notes"])
        return Response(self.get_serializer(follow_up).data, status=status.HTTP_201_CREATED)


routes = [
    ("case-reports", CaseReportViewSet, "case-report"),
    ("cases", CaseViewSet, "case"),
    ("assessments", AssessmentViewSet, "assessment"),
    ("case-plans", CasePlanViewSet, "case-plan"),
    ("referrals", ReferralViewSet, "referral"),
    ("follow-ups", FollowUpViewSet, "follow-up"),
]

urlpatterns: list = []
