"""Pages of protection casework (个案管理), under /cases/protection/: the report form (报告线索)
and its receipt, the county's screening queue and screening page, my cases, the case page (a
timeline with the team's forms), the institution's referrals and the city's 12349 hotline page.

Thin: selectors read (scoped by role: outside one's scope a record is simply not found),
services write and hold every rule; a refused write re-shows the form with the service's
message (400) and changes nothing. Every render of a case page is written to the access log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cases.children.forms import ChildRegisterForm
from cases.children.selectors import child_list
from cases.children.services import PossibleDuplicateError
from cases.protection import selectors, services
from cases.protection.forms import (
    AGENCIES,
    AssessmentForm,
    AssignForm,
    CallbackForm,
    CloseForm,
    FollowUpForm,
    HotlineForm,
    MeasureProgressForm,
    NoteForm,
    PlanForm,
    ReferralAnswerForm,
    ReferralForm,
    ReopenForm,
    ReportForm,
    ReviewForm,
    ScreenInForm,
    ScreenOutForm,
    measure_formset,
)
from cases.protection.models import Assessment, Case, CaseReport, PlanMeasure, ReviewStatus, RiskLevel
from welfare.audit import client_ip
from welfare.errors import ApplicationError
from welfare.forms import form_add_service_errors, form_service_run
from welfare.models import Region
from welfare.roles import Role
from welfare.scoping import get_in_scope_or_404, is_institution_user, region_list
from welfare.validators import mask_person_name, mask_phone

PAGE_SIZE = 30
CHILD_PREFIX = "new"
# The region picker of the report form lists at most this many codes of the user's area.
REGION_CHOICES_MAX = 500


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _is_county(user) -> bool:
    return user.is_admin_role or user.role == Role.COUNTY_OFFICIAL


def _is_city(user) -> bool:
    return user.is_admin_role or user.role == Role.CITY_OFFICIAL


def _works_cases(user) -> bool:
    return user.is_admin_role or user.role in (Role.VILLAGE_DIRECTOR, Role.TOWNSHIP_SUPERVISOR, Role.COUNTY_OFFICIAL)


def _masked_reporter(report: CaseReport) -> dict[str, str]:
    return {"name": mask_person_name(report.reporter_name), "phone": mask_phone(report.reporter_phone)}


# --------------------------------------------------------------------------------------------
# 报告线索: the report form (anyone signed in) and its receipt
# --------------------------------------------------------------------------------------------


@login_required
def report_new(request):
    user = request.user
    children = child_list(user=user).select_related("region").order_by("name", "id")
    child_count = children.count()
    region = user.region if user.region_id and user.region.level in ("county", "township", "village") else None
    initial: dict[str, object] = {}
    asked = request.GET.get("child", "")
    if asked.isdigit() and children.filter(pk=int(asked)).exists():
        initial["child"] = int(asked)
    form = ReportForm(request.POST or None, children=children, child_count=child_count, initial_region=region, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            report = form_service_run(
                request, form, lambda: services.report_file(by=user, data=form.report_input()), done=_("The report is filed.")
            )
            if report is not None:
                return redirect("cases:protection_report_receipt", report_id=report.id)
    listed = form.fields["child"].widget.input_type != "hidden"
    chosen = str(form["child"].value() or "")
    chosen_child = None if listed or not chosen.isdigit() else children.filter(pk=int(chosen)).first()
    regions = (
        region_list(user=user)
        .filter(level__in=(Region.Level.COUNTY, Region.Level.TOWNSHIP, Region.Level.VILLAGE))
        .order_by("path")
        .values_list("code", "name")[:REGION_CHOICES_MAX]
    )
    return render(
        request,
        "cases/protection/report_new.html",
        {"form": form, "regions": regions, "chosen_child": chosen_child, "child_listed": listed},
        status=status,
    )


@login_required
def report_receipt(request, report_id: int):
    """What became of a report one filed: the county it went to, its deadline, its status."""
    report = get_in_scope_or_404(selectors.report_list(user=request.user).select_related("county", "region"), id=report_id)
    return render(
        request,
        "cases/protection/report_receipt.html",
        {"report": report, "past_due": report.status == CaseReport.Status.RECEIVED and report.respond_by < timezone.now()},
    )


# --------------------------------------------------------------------------------------------
# Screening (the county)
# --------------------------------------------------------------------------------------------


@login_required
def screening_queue(request):
    """Unscreened reports of the county, the nearest deadline first, overdue ones marked."""
    _require(_is_county(request.user))
    now = timezone.now()
    # Filters of a dashboard link: `region` (a code of the area), `overdue=1`.
    region = selectors.casework_filter_region(user=request.user, code=request.GET.get("region"))
    past_due = request.GET.get("overdue") == "1"
    qs = selectors.screening_queue_filter(selectors.screening_queue(user=request.user), region=region, past_due=past_due, now=now)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for report in page:
        report.past_due = report.respond_by < now
    filters = {"region": region.code if region else "", "overdue": "1" if past_due else ""}
    return render(
        request,
        "cases/protection/screening_queue.html",
        {"page": page, "filter_region": region, "filter_past_due": past_due, "keep": _keep(filters)},
    )


def _keep(filters: dict[str, str]) -> str:
    """The filters a pager link keeps, as the start of a query string ("" or "a=1&")."""
    query = urlencode({k: v for k, v in filters.items() if v})
    return f"{query}&" if query else ""


def _county_report(request, report_id: int) -> CaseReport:
    return get_in_scope_or_404(selectors.county_reports(user=request.user), id=report_id)


def _screening_render(
    request,
    report: CaseReport,
    *,
    in_form=None,
    out_form=None,
    child_form=None,
    revealed=None,
    duplicates=None,
    status: int = 200,
):
    user = request.user
    query = (request.GET.get("q") or report.child_name or "").strip()[:50]
    candidates = [] if report.child_id else selectors.screening_child_candidates(user=user, name=query)
    caseworkers = list(selectors.caseworker_candidates(user=user, region=report.child.region if report.child is not None else None))
    if in_form is None:
        preset = report.child_id or (candidates[0].id if len(candidates) == 1 else "")
        in_form = ScreenInForm(caseworkers=caseworkers, initial={"child": str(preset)})
    if child_form is None:
        initial: dict[str, object] = {"name": report.child_name}
        if report.region.level == Region.Level.VILLAGE:
            initial["region"] = report.region.pk
        child_form = ChildRegisterForm(prefix=CHILD_PREFIX, user=user, initial=initial)
    response = render(
        request,
        "cases/protection/screening.html",
        {
            "report": report,
            "reporter": revealed or _masked_reporter(report),
            "revealed": revealed is not None,
            "query": query,
            "candidates": candidates,
            "chosen": str(in_form["child"].value() or ""),
            "in_form": in_form,
            "out_form": out_form or ScreenOutForm(),
            "child_form": child_form,
            "duplicates": duplicates,
            "can_screen": report.status == CaseReport.Status.RECEIVED,
            "past_due": report.status == CaseReport.Status.RECEIVED and report.respond_by < timezone.now(),
        },
        status=status,
    )
    if revealed is not None:
        response["Cache-Control"] = "no-store"
    return response


@login_required
def screening_page(request, report_id: int):
    """One report in full (the reporter masked), with the screen-in and screen-out forms."""
    return _screening_render(request, _county_report(request, report_id))


@login_required
@require_POST
def screen_in(request, report_id: int):
    user = request.user
    report = _county_report(request, report_id)
    caseworkers = list(selectors.caseworker_candidates(user=user, region=report.child.region if report.child is not None else None))
    in_form = ScreenInForm(request.POST, caseworkers=caseworkers)
    registering = report.child_id is None and in_form.registers_a_child
    child_form = ChildRegisterForm(request.POST if registering else None, prefix=CHILD_PREFIX, user=user)
    duplicates = None
    if in_form.is_valid() and (not registering or child_form.is_valid()):
        child = None
        child_id = None if registering or report.child_id else in_form.child_id()
        if child_id is not None:
            child = child_list(user=user).filter(pk=child_id).first()
            if child is None:
                in_form.add_error("child", _("Choose a child of your area."))
        if not in_form.errors:
            try:
                report = services.report_screen_in(
                    by=user,
                    report_id=report.id,
                    child=child,
                    new_child=child_form.service_kwargs() if registering else None,
                    risk_level=in_form.cleaned_data["risk_level"],
                    caseworker_id=in_form.cleaned_data["caseworker"] or None,
                )
            except PossibleDuplicateError as exc:
                form_add_service_errors(child_form, exc)
                duplicates = exc.duplicates
            except ApplicationError as exc:
                form_add_service_errors(in_form, exc, also=(child_form if registering else None,))
            else:
                messages.success(request, _("The report is screened in: the case is open."))
                return redirect("cases:protection_case", case_id=report.case_id)
    return _screening_render(request, report, in_form=in_form, child_form=child_form, duplicates=duplicates, status=400)


@login_required
@require_POST
def screen_out(request, report_id: int):
    report = _county_report(request, report_id)
    form = ScreenOutForm(request.POST)
    if form.is_valid() and form_service_run(
        request,
        form,
        lambda: services.report_screen_out(by=request.user, report_id=report.id, reason=form.cleaned_data["reason"]),
        done=_("The report is screened out."),
    ) is not None:
        return redirect("cases:protection_screening")
    return _screening_render(request, report, out_form=form, status=400)


@never_cache
@login_required
@require_POST
def reporter_reveal(request, report_id: int):
    """The reporter's name and phone in full: a logged action of the screening county."""
    report = _county_report(request, report_id)
    try:
        revealed = services.report_reporter_reveal(by=request.user, report_id=report.id, ip_address=client_ip(request))
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return _screening_render(request, report, status=400)
    return _screening_render(request, report, revealed={"name": revealed["reporter_name"], "phone": revealed["reporter_phone"]})


# --------------------------------------------------------------------------------------------
# My cases
# --------------------------------------------------------------------------------------------


@login_required
def my_cases(request):
    """The worklist: a caseworker's cases; the open cases of a supervisor's or a county's area
    (`?mine=1`: only those where they are the caseworker). The most pressing follow-up first."""
    user = request.user
    _require(_works_cases(user))
    mine = request.GET.get("mine") == "1"
    today = timezone.localdate()
    qs = selectors.case_worklist(user=user).select_related("child__region")
    if mine:
        qs = qs.filter(caseworker=user)
    # Filters of a dashboard link: `region` (a code of the area), `risk`, `grade`,
    # `follow_up=overdue`, `referral=sent`.
    region = selectors.casework_filter_region(user=user, code=request.GET.get("region"))
    risk = request.GET.get("risk", "") if request.GET.get("risk") in RiskLevel.values else ""
    grade = request.GET.get("grade", "") if request.GET.get("grade") in (*Assessment.Grade.values, selectors.NO_GRADE) else ""
    overdue = request.GET.get("follow_up") == "overdue"
    waiting = request.GET.get("referral") == "sent"
    qs = selectors.case_worklist_filter(
        qs, region=region, risk=risk, grade=grade, follow_up_overdue=overdue, referral_waiting=waiting, today=today
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for case in page:
        case.follow_up_state = selectors.case_follow_up_state(case, today=today)
    filters = {
        "region": region.code if region else "",
        "risk": risk,
        "grade": grade,
        "follow_up": "overdue" if overdue else "",
        "referral": "sent" if waiting else "",
    }
    filtered = [
        label
        for on, label in (
            (region, region.name if region else ""),
            (risk, str(RiskLevel(risk).label) if risk else ""),
            (grade, _("Not yet assessed") if grade == selectors.NO_GRADE else (str(Assessment.Grade(grade).label) if grade else "")),
            (overdue, _("Follow-up overdue")),
            (waiting, _("Referral waiting for an answer")),
        )
        if on
    ]
    return render(
        request,
        "cases/protection/my_cases.html",
        {
            "page": page,
            "mine": mine,
            "can_filter": user.role != Role.VILLAGE_DIRECTOR,
            "filtered": filtered,
            "keep": _keep({"mine": "1" if mine else "", **filters}),
        },
    )


# --------------------------------------------------------------------------------------------
# The case page and its forms
# --------------------------------------------------------------------------------------------


def _case(request, case_id: int) -> Case:
    return selectors.case_get(user=request.user, case_id=case_id)


def _case_render(request, case: Case, *, status: int = 200, item_errors: dict | None = None, **bound):
    """The case page: a timeline and the forms the user's role may use. Every render is a read
    of the case and is written to the access log."""
    user = request.user
    services.case_read_record(by=user, case=case, ip_address=client_ip(request))
    team = services.on_case_team(user, case)
    county = services.is_county_official_for(user, case)
    is_open = case.status == Case.Status.OPEN
    timeline = selectors.case_timeline(case)
    item_errors = item_errors or {}
    for row in timeline:
        obj, kind = row["obj"], row["kind"]
        row["error"] = item_errors.get((kind, obj.pk))
        if kind == "report":
            row["reporter"] = _masked_reporter(obj)
        elif kind in ("assessment", "plan"):
            if kind == "assessment":
                row["needs"] = [(label, obj.needs[code]) for code, label in PlanMeasure.Domain.choices if obj.needs.get(code)]
            row["can_submit"] = team and is_open and obj.status in (ReviewStatus.DRAFT, ReviewStatus.RETURNED)
            row["can_decide"] = county and obj.status == ReviewStatus.SUBMITTED and obj.submitted_by_id != user.pk
            if kind == "plan":
                row["can_progress"] = team and is_open and obj.status == ReviewStatus.APPROVED
        elif kind == "referral":
            row["can_answer"] = services.referral_may_answer(user, obj) and obj.status in ("sent", "accepted")
    caseworkers = list(selectors.caseworker_candidates(user=user, region=case.child.region)) if county and is_open else []
    write = team and is_open
    context = {
        "case": case,
        "timeline": timeline,
        "team": team,
        "county": county,
        "is_open": is_open,
        "follow_up_state": selectors.case_follow_up_state(case),
        "pending_follow_up": case.follow_ups.filter(done_on__isnull=True).order_by("due_on").first() if is_open else None,
        "measure_statuses": PlanMeasure.Status.choices,
        "note_form": bound.get("note_form") or (NoteForm() if write else None),
        "follow_up_form": bound.get("follow_up_form") or (FollowUpForm() if write else None),
        "assessment_form": bound.get("assessment_form") or (AssessmentForm() if write else None),
        "plan_form": bound.get("plan_form") or (PlanForm() if write else None),
        "measure_formset": bound.get("measure_formset") or (measure_formset() if write else None),
        "referral_form": bound.get("referral_form")
        or (ReferralForm(institutions=selectors.referral_institutions(case=case)) if write else None),
        "close_form": bound.get("close_form") or (CloseForm() if county and is_open else None),
        "reopen_form": bound.get("reopen_form") or (ReopenForm() if county and not is_open else None),
        "assign_form": bound.get("assign_form")
        or (AssignForm(caseworkers=caseworkers, initial={"caseworker": case.caseworker_id or ""}) if county and is_open else None),
        "open_section": bound.get("open_section", ""),
        "agencies": AGENCIES,
    }
    return render(request, "cases/protection/case.html", context, status=status)


@login_required
def case_page(request, case_id: int):
    return _case_render(request, _case(request, case_id))


def _case_action(request, case_id: int, *, form, section: str, call, success: str):
    """Run one write of the case page: redirect to the case on success, else re-show the page
    with the form and the service's message (400)."""
    case = _case(request, case_id)
    if form.is_valid() and form_service_run(request, form, lambda: call(case, form.cleaned_data), done=success) is not None:
        return redirect("cases:protection_case", case_id=case.id)
    return _case_render(request, case, status=400, open_section=section, **{f"{section}_form": form})


@login_required
@require_POST
def case_note(request, case_id: int):
    return _case_action(
        request,
        case_id,
        form=NoteForm(request.POST),
        section="note",
        call=lambda case, d: services.case_note_add(by=request.user, case_id=case.id, text=d["text"]),
        success=_("The note is added."),
    )


@login_required
@require_POST
def case_follow_up(request, case_id: int):
    return _case_action(
        request,
        case_id,
        form=FollowUpForm(request.POST),
        section="follow_up",
        call=lambda case, d: services.follow_up_record(by=request.user, case_id=case.id, done_on=d["done_on"], notes=d["notes"]),
        success=_("The follow-up is recorded."),
    )


@login_required
@require_POST
def case_assessment(request, case_id: int):
    form = AssessmentForm(request.POST)
    return _case_action(
        request,
        case_id,
        form=form,
        section="assessment",
        call=lambda case, d: services.assessment_create(by=request.user, case_id=case.id, data=form.assessment_input()),
        success=_("The assessment is saved as a draft: submit it when it is complete."),
    )


@login_required
@require_POST
def case_plan(request, case_id: int):
    case = _case(request, case_id)
    form = PlanForm(request.POST)
    formset = measure_formset(request.POST)
    if "add_row" in request.POST:
        return _case_render(request, case, open_section="plan", plan_form=form, measure_formset=formset)
    if form.is_valid() and formset.is_valid():
        plan = form_service_run(
            request,
            form,
            lambda: services.plan_create(
                by=request.user, case_id=case.id, measures=formset.measures(), review_on=form.cleaned_data["review_on"]
            ),
            done=_("The plan is saved as a draft: submit it when it is complete."),
        )
        if plan is not None:
            return redirect("cases:protection_case", case_id=case.id)
    return _case_render(request, case, status=400, open_section="plan", plan_form=form, measure_formset=formset)


@login_required
@require_POST
def case_referral(request, case_id: int):
    case = _case(request, case_id)
    form = ReferralForm(request.POST, institutions=selectors.referral_institutions(case=case))
    if form.is_valid():
        data = form.cleaned_data
        institution = None
        if data["to_institution"] is not None:
            institution = selectors.referral_institution_get(institution_id=data["to_institution"])
            if institution is None:
                form.add_error("to_institution", _("There is no such institution."))
        if not form.errors and form_service_run(
            request,
            form,
            lambda: services.referral_send(
                by=request.user,
                case_id=case.id,
                service=data["service"],
                to_institution=institution,
                to_agency=data["to_agency"],
                consent=data["consent"],
            ),
            done=_("The referral is sent."),
        ) is not None:
            return redirect("cases:protection_case", case_id=case.id)
    return _case_render(request, case, status=400, open_section="referral", referral_form=form)


@login_required
@require_POST
def case_close(request, case_id: int):
    return _case_action(
        request,
        case_id,
        form=CloseForm(request.POST),
        section="close",
        call=lambda case, d: services.case_close(
            by=request.user, case_id=case.id, closure_reason=d["closure_reason"], note=d["closure_note"]
        ),
        success=_("The case is closed."),
    )


@login_required
@require_POST
def case_reopen(request, case_id: int):
    return _case_action(
        request,
        case_id,
        form=ReopenForm(request.POST),
        section="reopen",
        call=lambda case, d: services.case_reopen(by=request.user, case_id=case.id, reason=d["reason"]),
        success=_("The case is reopened."),
    )


@login_required
@require_POST
def case_assign(request, case_id: int):
    case = _case(request, case_id)
    caseworkers = list(selectors.caseworker_candidates(user=request.user, region=case.child.region))
    return _case_action(
        request,
        case_id,
        form=AssignForm(request.POST, caseworkers=caseworkers),
        section="assign",
        call=lambda case, d: services.case_assign(by=request.user, case_id=case.id, caseworker_id=d["caseworker"] or None),
        success=_("The caseworker is assigned."),
    )


def _item_action(request, *, case_id: int, item: tuple[str, int], form, invalid: str, call, done):
    """Run a button of one item of the case page's timeline (an assessment's or a plan's review, a
    measure's progress): redirect to the case on success; bad input (`invalid`) or the service's
    refusal is shown beside that item (400), nothing changed."""
    case = _case(request, case_id)
    error = invalid
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, done(form.cleaned_data) if callable(done) else done)
            return redirect("cases:protection_case", case_id=case.id)
    return _case_render(request, case, status=400, item_errors={item: error})


def _review(request, *, kind: str, obj, submit, decide, done: dict):
    """Submit, approve or return an assessment or a plan version (buttons by role)."""

    def call(data):
        if data["action"] == "submit":
            return submit()
        return decide(approve=data["action"] == "approve", comment=data["comment"])

    return _item_action(
        request,
        case_id=obj.case_id,
        item=(kind, obj.pk),
        form=ReviewForm(request.POST),
        invalid=_("Choose submit, approve or return."),
        call=call,
        done=lambda data: done[data["action"]],
    )


@login_required
@require_POST
def assessment_review(request, assessment_id: int):
    user = request.user
    assessment = get_in_scope_or_404(selectors.assessment_list(user=user), id=assessment_id)
    return _review(
        request,
        kind="assessment",
        obj=assessment,
        submit=lambda: services.assessment_submit(by=user, assessment_id=assessment.id),
        decide=lambda **kw: services.assessment_decide(by=user, assessment_id=assessment.id, **kw),
        done={
            "submit": _("The assessment is submitted to the county."),
            "approve": _("The assessment is approved."),
            "return": _("The assessment is returned with your comment."),
        },
    )


@login_required
@require_POST
def plan_review(request, plan_id: int):
    user = request.user
    plan = get_in_scope_or_404(selectors.plan_list(user=user), id=plan_id)
    return _review(
        request,
        kind="plan",
        obj=plan,
        submit=lambda: services.plan_submit(by=user, plan_id=plan.id),
        decide=lambda **kw: services.plan_decide(by=user, plan_id=plan.id, **kw),
        done={
            "submit": _("The plan is submitted to the county."),
            "approve": _("The plan is approved."),
            "return": _("The plan is returned with your comment."),
        },
    )


@login_required
@require_POST
def measure_progress(request, measure_id: int):
    user = request.user
    measure = get_in_scope_or_404(selectors.measure_list(user=user).select_related("plan"), id=measure_id)
    return _item_action(
        request,
        case_id=measure.plan.case_id,
        item=("plan", measure.plan_id),
        form=MeasureProgressForm(request.POST),
        invalid=_("Choose the measure's status."),
        call=lambda data: services.measure_progress(by=user, measure_id=measure.id, status=data["status"]),
        done=_("The measure's progress is recorded."),
    )


# --------------------------------------------------------------------------------------------
# Referrals: the answer (an institution's staff for their institution, the case team for an
# outside agency) and the institution's list of referrals to it
# --------------------------------------------------------------------------------------------


def _referrals_render(request, *, item_errors: dict | None = None, status: int = 200):
    user = request.user
    qs = (
        selectors.referral_list(user=user)
        .select_related("case__child__region", "to_institution")
        .order_by("status", "-sent_on", "-id")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    errors = item_errors or {}
    rows = [
        {
            "referral": referral,
            "error": errors.get(referral.pk),
            "can_answer": services.referral_may_answer(user, referral) and referral.status in ("sent", "accepted"),
            "case_visible": referral.status in ("accepted", "completed"),
        }
        for referral in page
    ]
    return render(request, "cases/protection/referrals.html", {"page": page, "rows": rows}, status=status)


@login_required
def referral_inbox(request):
    """Institution staff: the referrals to their institution, the ones waiting first."""
    _require(is_institution_user(request.user) or request.user.is_admin_role)
    return _referrals_render(request)


@login_required
@require_POST
def referral_answer(request, referral_id: int):
    user = request.user
    referral = get_in_scope_or_404(selectors.referral_list(user=user), id=referral_id)
    from_inbox = request.POST.get("back") == "inbox" and is_institution_user(user)
    form = ReferralAnswerForm(request.POST)
    error = _("Unknown answer.")
    if form.is_valid():
        try:
            services.referral_answer(
                by=user, referral_id=referral.id, outcome=form.cleaned_data["outcome"], reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, _("The answer is recorded."))
            if from_inbox:
                return redirect("cases:protection_referrals")
            return redirect("cases:protection_case", case_id=referral.case_id)
    if from_inbox:
        return _referrals_render(request, item_errors={referral.pk: error}, status=400)
    return _case_render(request, _case(request, referral.case_id), status=400, item_errors={("referral", referral.pk): error})


# --------------------------------------------------------------------------------------------
# The city's 12349 hotline page
# --------------------------------------------------------------------------------------------


def _hotline_render(request, *, form=None, callback_errors: dict | None = None, status: int = 200):
    user = request.user
    counties = list(region_list(user=user).filter(level=Region.Level.COUNTY).order_by("code"))
    form = form or HotlineForm(counties=counties)
    page = Paginator(selectors.hotline_tickets(user=user), PAGE_SIZE).get_page(request.GET.get("page"))
    errors = callback_errors or {}
    rows = [{"ticket": t, "reporter": _masked_reporter(t), "error": errors.get(t.pk)} for t in page]
    return render(
        request,
        "cases/protection/hotline.html",
        {"form": form, "page": page, "rows": rows, "callback_form": CallbackForm()},
        status=status,
    )


@login_required
def hotline_page(request):
    """Record a hotline ticket for one of the city's counties; the city's tickets, 督办 first."""
    user = request.user
    _require(_is_city(user))
    if request.method != "POST":
        return _hotline_render(request)
    counties = list(region_list(user=user).filter(level=Region.Level.COUNTY).order_by("code"))
    form = HotlineForm(request.POST, counties=counties)
    if form.is_valid() and form_service_run(
        request,
        form,
        lambda: services.report_file(by=user, data=form.report_input()),
        done=lambda report: _("The ticket is recorded and sent to %(county)s: answer by %(when)s.")
        % {"county": report.county.name, "when": timezone.localtime(report.respond_by).strftime("%Y-%m-%d %H:%M")},
    ) is not None:
        return redirect("cases:protection_hotline")
    return _hotline_render(request, form=form, status=400)


@login_required
@require_POST
def hotline_callback(request, report_id: int):
    user = request.user
    _require(_is_city(user))
    ticket = get_in_scope_or_404(selectors.hotline_tickets(user=user), id=report_id)
    form = CallbackForm(request.POST)
    form.is_valid()
    try:
        services.report_record_callback(by=user, report_id=ticket.id, note=form.cleaned_data.get("callback_note", ""))
    except ApplicationError as exc:
        return _hotline_render(request, callback_errors={ticket.pk: exc.message}, status=400)
    messages.success(request, _("The callback is recorded."))
    return redirect("cases:protection_hotline")
