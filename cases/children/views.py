"""Pages of children: find, register (with drafts), one child, edit, guardians, categories, the
worklist and the review queue, and revealing a full identity number (POST only, so the number
never sits in a URL, and the answer is not cached). Thin: selectors read, services write."""

import datetime
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cases.children import services
from cases.children.forms import (
    ChildForm,
    ChildRegisterForm,
    GuardianForm,
    GuardianFormSet,
    MembershipEndForm,
    MembershipStartForm,
    ReviewForm,
)
from cases.children.lookups import (
    IdNumberLookupThrottled,
    id_number_lookup,
    id_number_write,
    is_full_id_number,
    too_long_for_a_url,
    url_search_refused_message,
)
from cases.children.models import Child, Draft
from cases.children.reveal import child_id_number_reveal, guardian_id_number_reveal
from cases.children.selectors import (
    child_filter,
    child_get,
    child_list,
    child_search,
    current_categories,
    guardian_list,
)
from welfare.audit import client_ip
from welfare.errors import ApplicationError
from welfare.forms import form_add_service_errors
from welfare.idnumber import mask_id_number, normalize_id_number
from welfare.roles import Action, can
from welfare.scoping import get_in_scope_or_404


def _answer(request, *, record, kind: str, reveal):
    try:
        number = reveal()
    except ApplicationError as exc:
        return render(request, "cases/reveal.html", {"record": record, "kind": kind, "error": exc.message}, status=400)
    return render(request, "cases/reveal.html", {"record": record, "kind": kind, "id_number": number})


@never_cache
@login_required
@require_POST
def child_reveal(request, child_id: int):
    child = child_get(user=request.user, child_id=child_id)
    return _answer(
        request,
        record=child,
        kind="child",
        reveal=lambda: child_id_number_reveal(by=request.user, child=child, request_ip=client_ip(request)),
    )


@never_cache
@login_required
@require_POST
def guardian_reveal(request, guardian_id: int):
    guardian = get_in_scope_or_404(guardian_list(user=request.user).select_related("child"), id=guardian_id)
    return _answer(
        request,
        record=guardian,
        kind="guardian",
        reveal=lambda: guardian_id_number_reveal(by=request.user, guardian=guardian, request_ip=client_ip(request)),
    )


PAGE_SIZE = 20


def _new_token() -> str:
    return secrets.token_urlsafe(24)


def _token_from(request) -> str:
    return request.POST.get("form_token", "")[:64] or _new_token()


def _can_review(user) -> bool:
    return can(user, Action.REVIEW) or can(user, Action.APPROVE)


def review_queue_list(user):
    """New or changed children waiting for review, in the user's scope, oldest change first."""
    return (
        child_list(user=user)
        .filter(review_status=Child.ReviewStatus.PENDING)
        .select_related("region")
        .order_by("updated_at", "id")
    )


def returned_list(user):
    """Children a reviewer returned for correction, in the user's scope."""
    return (
        child_list(user=user)
        .filter(review_status=Child.ReviewStatus.RETURNED)
        .select_related("region")
        .order_by("-updated_at")
    )


def lookup_throttled_page(request, exc: IdNumberLookupThrottled):
    """Too many lookups by identity number (cases.children.lookups): 429, as the API answers."""
    response = render(request, "cases/lookup_throttled.html", {"message": exc.detail}, status=429)
    response["Retry-After"] = str(exc.wait)
    return response


@login_required
def child_search_page(request):
    """Find children by name, the last digits of an identity number, or a guardian's name (GET:
    links and filters from the dashboard work), and by a full identity number with the form,
    which posts: a full number never sits in a URL (too long a number in GET answers 400) and
    is a lookup (counted per user, logged when it names a child outside one's area)."""
    posted = request.method == "POST"
    source = request.POST if posted else request.GET
    query = source.get("q", "").strip()[:50]
    query_error = ""
    if not posted and too_long_for_a_url(query):
        query, query_error = "", url_search_refused_message()
        # Nothing on the page echoes the refused number (the language switch links back to the
        # page's own URL): the filters only.
        request.META["QUERY_STRING"] = urlencode({k: v for k, v in request.GET.items() if k != "q"})
    if posted:
        try:
            id_number_lookup(by=request.user, id_number=query, purpose="child_search", ip_address=client_ip(request))
        except IdNumberLookupThrottled as exc:
            return lookup_throttled_page(request, exc)
    filters = {key: request.GET.get(key, "").strip()[:40] for key in ("region", "category", "sub_category", "check_state")}
    try:
        on = datetime.date.fromisoformat(request.GET.get("date", "")) if request.GET.get("date") else None
    except ValueError:
        on = None
    qs = child_filter(
        child_search(user=request.user, query=query),
        region_code=filters["region"],
        category=filters["category"],
        sub_category=filters["sub_category"],
        on=on,
        check_state=filters["check_state"],
    )
    page = Paginator(qs.select_related("region").order_by("name", "id"), PAGE_SIZE).get_page(source.get("page"))
    filter_query = {k: v for k, v in {**filters, "date": on.isoformat() if on else ""}.items() if v}
    full_number = is_full_id_number(query)
    response = render(
        request,
        "cases/children/search.html",
        {
            # A full number is not shown back (lists show numbers masked): the page says which one.
            "query": "" if full_number else query,
            "searched_number": mask_id_number(normalize_id_number(query)) if full_number else "",
            "query_error": query_error,
            "posted": posted,
            "page": page,
            "filters": {k: v for k, v in filters.items() if v},
            "filter_query": urlencode(filter_query),
            "keep_query": urlencode({**filter_query, "q": query} if query else filter_query),
            "can_register": can(request.user, Action.CREATE),
        },
        status=400 if query_error else 200,
    )
    if posted:
        response["Cache-Control"] = "no-store"
    return response


def _draft_initial(data: dict) -> tuple[dict, list[dict]]:
    """Turn a saved draft (the posted form) back into initial values of the form and formset."""
    child: dict = {}
    guardians: dict[int, dict] = {}
    for key, values in data.items():
        if key.startswith("guardians-"):
            parts = key.split("-", 2)
            if len(parts) == 3 and parts[1].isdigit():
                guardians.setdefault(int(parts[1]), {})[parts[2]] = values[-1] if values else ""
        elif key == "categories":
            child[key] = values
        else:
            child[key] = values[-1] if values else ""
    rows = []
    for index in sorted(guardians):
        row = guardians[index]
        if any(row.get(k) for k in ("name", "relation", "id_number", "phone", "work_place")):
            row["is_migrant_worker"] = bool(row.get("is_migrant_worker"))
            row["can_act_as_guardian"] = bool(row.get("can_act_as_guardian"))
            rows.append(row)
    return child, rows


@login_required
def child_register_page(request):
    user = request.user
    if not can(user, Action.CREATE):
        raise PermissionDenied
    drafts = Draft.objects.filter(user=user, kind=Draft.Kind.CHILD_REGISTRATION)
    draft_id = request.POST.get("draft_id") or request.GET.get("draft") or ""
    draft = drafts.filter(id=int(draft_id)).first() if str(draft_id).isdigit() else None
    possible_duplicates = None  # the children the service found alike (no identity number typed)

    if request.method == "POST":
        token = _token_from(request)
        form = ChildRegisterForm(request.POST, user=user)
        formset = GuardianFormSet(request.POST, prefix="guardians")
        if "save_draft" in request.POST:
            data = {
                k: request.POST.getlist(k)
                for k in request.POST
                if k not in ("csrfmiddlewaretoken", "form_token", "draft_id", "save_draft")
            }
            saved = services.draft_save(
                by=user,
                kind=Draft.Kind.CHILD_REGISTRATION,
                data=data,
                title=request.POST.get("name", "") or _("Unnamed child"),
                draft_id=draft.id if draft else None,
            )
            messages.success(request, _("The draft is saved. You can finish it later from your worklist."))
            return redirect(f"{reverse('cases:child_register')}?draft={saved.id}")
        if form.is_valid() and formset.is_valid():
            try:
                child_id, created = id_number_write(
                    by=user,
                    id_number=form.cleaned_data.get("id_number"),
                    purpose="child_register",
                    ip_address=client_ip(request),
                    write=lambda: services.form_submission_once(
                        by=user,
                        token=token,
                        kind="child_register",
                        create=lambda: services.child_register_with_guardians(
                            by=user, child=form.service_kwargs(), guardians=formset.filled()
                        ),
                    ),
                )
            except IdNumberLookupThrottled as exc:
                return lookup_throttled_page(request, exc)
            except ApplicationError as exc:
                form_add_service_errors(form, exc, formset=formset)
                if isinstance(exc, services.PossibleDuplicateError):
                    possible_duplicates = exc.duplicates
            else:
                if draft is not None:
                    services.draft_delete(by=user, draft_id=draft.id)
                if created:
                    messages.success(request, _("The child is registered and waits for the supervisor's review."))
                return redirect("cases:child_detail", child_id=child_id)
    else:
        token = _new_token()
        if draft is not None:
            initial, rows = _draft_initial(draft.data)
            form = ChildRegisterForm(initial=initial, user=user)
            formset = GuardianFormSet(initial=rows, prefix="guardians")
        else:
            form = ChildRegisterForm(user=user)
            formset = GuardianFormSet(prefix="guardians")
    return render(
        request,
        "cases/children/register.html",
        {"form": form, "formset": formset, "form_token": token, "draft": draft, "possible_duplicates": possible_duplicates},
    )


@login_required
@require_POST
def draft_delete_page(request, draft_id: int):
    if not services.draft_delete(by=request.user, draft_id=draft_id):
        raise Http404
    messages.success(request, _("The draft is deleted."))
    return redirect("cases:worklist")


def _history(child: Child, limit: int = 20) -> list[dict]:
    """Who changed what (field names only: values may be sensitive) and when."""
    records = list(child.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    rows = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        fields: list[str] = []
        if record.history_type == "~" and previous is not None:
            delta = record.diff_against(previous)
            fields = [str(getattr(Child._meta.get_field(c.field), "verbose_name", c.field)) for c in delta.changes]
        rows.append({"record": record, "fields": fields})
    return rows


def _care_context(user, child: Child) -> dict:
    """The child's placements in institutions visible to the user and, when there are any, the
    care records kept there as a timeline (newest first), with the link to add one."""
    from institutions.access import may_write_institution
    from institutions.placements.selectors import care_records_of_child
    from institutions.selectors import placement_list

    placements = list(
        placement_list(user=user).filter(child=child).select_related("institution").order_by("-placed_on", "-id")
    )
    if not placements:
        return {"placements": []}
    current = next((p for p in placements if p.left_on is None), None)
    may_add = current is not None and may_write_institution(user, current.institution)
    return {
        "placements": placements,
        "care_records": list(care_records_of_child(user=user, child_id=child.id).select_related("institution", "recorded_by")[:50]),
        "care_url": reverse("institutions:care_record", args=[current.id]) if may_add and current else None,
    }


@login_required
def child_detail_page(request, child_id: int):
    user = request.user
    child = child_get(user=user, child_id=child_id)
    context = {
        **_care_context(user, child),
        "child": child,
        "guardians": child.guardians.order_by("id"),
        "memberships": child.memberships.order_by("-start_date", "category"),
        "current": current_categories(child),
        "checks": child.checks.select_related("checked_by").order_by("-checked_on", "-id")[:20],
        "applications": child.applications.order_by("-submitted_on", "-id"),
        "history": _history(child),
        "can_edit": can(user, Action.EDIT),
        "can_create": can(user, Action.CREATE),
        "can_review": _can_review(user) and child.review_status == Child.ReviewStatus.PENDING,
        "review_form": ReviewForm(),
        "check_url": reverse("cases:check_new", args=[child.id]) if can(user, Action.CREATE) else None,
        "application_url": (
            f"{reverse('cases:application_new')}?{urlencode({'child': child.id})}" if can(user, Action.APPLY) else None
        ),
        "reveal_url": (
            reverse("cases:child_reveal", args=[child.id]) if child.id_number and can(user, Action.REVEAL_ID) else None
        ),
    }
    return render(request, "cases/children/detail.html", context)


@login_required
def child_edit_page(request, child_id: int):
    user = request.user
    if not can(user, Action.EDIT):
        raise PermissionDenied
    child = child_get(user=user, child_id=child_id)
    if request.method == "POST":
        form = ChildForm(request.POST, user=user)
        if form.is_valid():
            fields = form.service_kwargs()
            fields["household_region"] = fields["household_region"] or child.household_region
            try:
                id_number_write(
                    by=user,
                    id_number=fields.get("id_number") if fields.get("id_number") != child.id_number else None,
                    purpose="child_update",
                    ip_address=client_ip(request),
                    write=lambda: services.child_update(by=user, child=child, **fields),
                )
            except IdNumberLookupThrottled as exc:
                return lookup_throttled_page(request, exc)
            except ApplicationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, _("The changes are saved and wait for the supervisor's review."))
                return redirect("cases:child_detail", child_id=child.id)
    else:
        form = ChildForm(
            user=user,
            initial={
                "name": child.name,
                "id_number": child.id_number or "",
                "sex": child.sex,
                "birth_date": child.birth_date,
                "region": child.region_id,
                "household_region": child.household_region.code if child.household_region_id != child.region_id else "",
                "school": child.school,
                "health_notes": child.health_notes,
                "disability_notes": child.disability_notes,
            },
        )
    return render(request, "cases/children/edit.html", {"form": form, "child": child})


@login_required
def guardian_add_page(request, child_id: int):
    user = request.user
    if not can(user, Action.CREATE):
        raise PermissionDenied
    child = child_get(user=user, child_id=child_id)
    if request.method == "POST":
        token = _token_from(request)
        form = GuardianForm(request.POST)
        if form.is_valid():
            try:
                services.form_submission_once(
                    by=user,
                    token=token,
                    kind="guardian_add",
                    create=lambda: services.guardian_add(by=user, child=child, **form.service_kwargs()),
                )
            except ApplicationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, _("The guardian is added."))
                return redirect("cases:child_detail", child_id=child.id)
    else:
        token = _new_token()
        form = GuardianForm()
    return render(request, "cases/children/guardian_form.html", {"form": form, "child": child, "form_token": token})


@login_required
def child_categories_page(request, child_id: int):
    user = request.user
    if not can(user, Action.EDIT):
        raise PermissionDenied
    child = child_get(user=user, child_id=child_id)
    start_form, end_form = MembershipStartForm(), None
    if request.method == "POST":
        if request.POST.get("action") == "end":
            end_form = MembershipEndForm(request.POST)
            if end_form.is_valid():
                membership = child.memberships.filter(id=end_form.cleaned_data["membership"]).first()
                if membership is None:
                    end_form.add_error(None, _("This category membership does not exist."))
                else:
                    try:
                        services.membership_end(
                            by=user,
                            membership=membership,
                            end_date=end_form.cleaned_data["end_date"],
                            end_reason=end_form.cleaned_data["end_reason"],
                        )
                    except ApplicationError as exc:
                        form_add_service_errors(end_form, exc)
                    else:
                        messages.success(request, _("The category membership is ended."))
                        return redirect("cases:child_categories", child_id=child.id)
        else:
            start_form = MembershipStartForm(request.POST)
            if start_form.is_valid():
                try:
                    services.membership_start(by=user, child=child, **start_form.cleaned_data)
                except ApplicationError as exc:
                    if "categories" in exc.field_errors:
                        start_form.add_error("category", exc.field_errors["categories"])
                    else:
                        form_add_service_errors(start_form, exc)
                else:
                    messages.success(request, _("The child is added to the category."))
                    return redirect("cases:child_categories", child_id=child.id)
    memberships = child.memberships.order_by("end_date", "-start_date")
    open_ids = {m.id for m in memberships if m.end_date is None}
    return render(
        request,
        "cases/children/categories.html",
        {
            "child": child,
            "memberships": memberships,
            "open_ids": open_ids,
            "start_form": start_form,
            "end_form": end_form,
            "today": timezone.localdate(),
        },
    )


@login_required
def worklist_page(request):
    user = request.user
    children = child_list(user=user)
    context = {
        "returned": returned_list(user)[:50],
        "waiting": children.filter(review_status=Child.ReviewStatus.PENDING)
        .select_related("region")
        .order_by("-updated_at")[:20],
        "overdue": children.filter(Q(check_state=Child.CheckState.OVERDUE) | Q(check_state=Child.CheckState.DUE_SOON))
        .select_related("region")
        .order_by("next_check_due", "id")[:50],
        "drafts": Draft.objects.filter(user=user, kind=Draft.Kind.CHILD_REGISTRATION).order_by("-updated_at")[:20],
        "can_register": can(user, Action.CREATE),
    }
    from cases.sync.selectors import edit_conflict_queue, edit_conflicts_sent_by
    from cases.sync.views import field_label

    context["conflicts_mine"] = [(c, field_label(c)) for c in edit_conflicts_sent_by(user=user).filter(status="open")[:20]]
    context["conflicts_to_decide"] = edit_conflict_queue(user=user).count() if _can_review(user) else None
    return render(request, "cases/children/worklist.html", context)


@login_required
def review_queue_page(request):
    user = request.user
    if not _can_review(user):
        raise PermissionDenied
    page = Paginator(review_queue_list(user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/children/review_queue.html", {"page": page, "review_form": ReviewForm()})


@login_required
@require_POST
def child_review_page(request, child_id: int):
    user = request.user
    child = child_get(user=user, child_id=child_id)
    form = ReviewForm(request.POST)
    next_url = request.POST.get("next", "")
    if form.is_valid():
        try:
            services.child_review(
                by=user,
                child=child,
                approve=form.cleaned_data["decision"] == "approve",
                comment=form.cleaned_data["comment"],
            )
        except ApplicationError as exc:
            form_add_service_errors(form, exc)
        else:
            if form.cleaned_data["decision"] == "approve":
                messages.success(request, _("%(name)s is approved.") % {"name": child.name})
            else:
                messages.success(request, _("%(name)s is returned to the child director.") % {"name": child.name})
            if next_url == "queue":
                return HttpResponseRedirect(reverse("cases:review_queue"))
            return redirect("cases:child_detail", child_id=child.id)
    return render(request, "cases/children/review_form.html", {"child": child, "review_form": form}, status=400)
