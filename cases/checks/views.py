"""Pages of the three-monthly checks: my checks, the check form, overdue by village,
quarter completion, campaigns and notifications. Thin: selectors read, services write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cases.checks import selectors, services
from cases.checks.dates import quarter_of
from cases.checks.forms import CampaignForm, CheckForm, QuarterForm
from cases.children.models import Child
from cases.children.selectors import child_get
from welfare.errors import ApplicationError, PermissionDeniedError
from welfare.exports import export_rows
from welfare.forms import form_add_service_errors
from welfare.models import Region
from welfare.notifications import notification_list, notification_mark_read
from welfare.roles import Action, can
from welfare.scoping import region_list


@login_required
def checks_mine(request):
    """The child director's worklist: tracked children by due date, the form one tap away."""
    state = request.GET.get("state", "")
    qs = selectors.check_worklist(user=request.user, state=state)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/checks/mine.html",
        {
            "page": page,
            "state": state,
            "states": Child.CheckState.choices,
            "leavers": selectors.check_leavers(user=request.user)[:50],
            "can_record": can(request.user, Action.CREATE),
        },
    )


@login_required
def check_new(request, child_id: int):
    """Record a check of one child (phone first)."""
    child = child_get(user=request.user, child_id=child_id)
    campaigns = list(selectors.campaigns_open_for(child=child))
    form = CheckForm(request.POST or None, campaigns=campaigns)
    if request.method == "POST" and form.is_valid():
        try:
            services.check_record(by=request.user, child=child, data=form.check_input())
        except ApplicationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Check of %(name)s recorded.") % {"name": child.name})
            return redirect("cases:checks_mine")
    recent = child.checks.select_related("checked_by").order_by("-checked_on", "-id")[:5]
    return render(request, "cases/checks/new.html", {"form": form, "child": child, "recent": recent})


EXPORT_COLUMNS = [
    (gettext_lazy("Township"), lambda c: c.region.parent.name if c.region.parent_id else ""),
    (gettext_lazy("Village"), lambda c: c.region.name),
    (gettext_lazy("Village code"), lambda c: c.region.code),
    (gettext_lazy("Name"), lambda c: c.name),
    (gettext_lazy("Identity number"), lambda c: c.masked_id_number),
    (gettext_lazy("Birth date"), lambda c: c.birth_date),
    (gettext_lazy("Last check"), lambda c: c.last_checked_on),
    (gettext_lazy("Next check due"), lambda c: c.next_check_due),
    (gettext_lazy("State"), lambda c: str(Child.CheckState(c.state).label) if c.state else ""),
]


@login_required
def checks_overdue(request):
    """Township and county page: overdue and due-soon children by village, with drill-down and
    export. `?village=CODE` lists one village's children; `?format=xlsx` downloads the list."""
    village = None
    code = request.GET.get("village", "")
    if code:
        village = selectors.check_region_get(user=request.user, code=code)
        if village.level != Region.Level.VILLAGE:
            raise Http404
    if request.GET.get("format") in ("xlsx", "csv"):
        rows = selectors.check_flagged_children(user=request.user, village=village)
        return export_rows(
            user=request.user,
            request=request,
            rows=rows.iterator(chunk_size=2000),
            columns=EXPORT_COLUMNS,
            filename="overdue-checks",
            fmt=request.GET["format"],
            action="export.overdue_checks",
            detail={"village": code} if code else None,
        )
    context = {"village": village, "can_export": can(request.user, Action.EXPORT)}
    if village is not None:
        context["children"] = selectors.check_flagged_children(user=request.user, village=village)
    else:
        rows = selectors.check_village_overview(user=request.user)
        townships: dict = {}
        for row in rows:
            key = row["township"].code if row["township"] else ""
            group = townships.setdefault(key, {"township": row["township"], "rows": [], "tracked": 0, "overdue": 0, "due_soon": 0})
            group["rows"].append(row)
            for k in ("tracked", "overdue", "due_soon"):
                group[k] += row[k]
        context["townships"] = list(townships.values())
        context["totals"] = {k: sum(r[k] for r in rows) for k in ("tracked", "overdue", "due_soon")}
    return render(request, "cases/checks/overdue.html", context)


@login_required
def checks_completion(request):
    """Calendar-quarter completion for a region in scope and the regions one level below."""
    year, quarter = quarter_of(timezone.localdate())
    form = QuarterForm(request.GET or {"year": year, "quarter": quarter})
    result = None
    if form.is_valid():
        code = form.cleaned_data["region"]
        region = selectors.check_region_get(user=request.user, code=code) if code else request.user.region
        if region is None:  # an administrator without a region: the first province
            region = region_list(user=request.user).filter(parent__isnull=True).order_by("code").first()
        if region is not None:
            result = selectors.check_quarter_completion(
                user=request.user, region=region, year=form.cleaned_data["year"], quarter=form.cleaned_data["quarter"]
            )
    return render(request, "cases/checks/completion.html", {"form": form, "result": result})


@login_required
def campaign_list(request):
    return render(
        request,
        "cases/checks/campaigns.html",
        {
            "campaigns": selectors.campaign_list(user=request.user).order_by("-deadline", "-id"),
            "can_launch": can(request.user, Action.LAUNCH_CAMPAIGN),
            "today": timezone.localdate(),
        },
    )


@login_required
def campaign_new(request):
    if not can(request.user, Action.LAUNCH_CAMPAIGN):
        raise PermissionDeniedError(_("Your role is not allowed to do this."))
    regions = list(region_list(user=request.user).filter(level__in=services.CAMPAIGN_LEVELS).order_by("path"))
    form = CampaignForm(request.POST or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_launch(by=request.user, **form.service_kwargs())
        except ApplicationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Campaign launched."))
            return redirect("cases:campaign_detail", campaign_id=campaign.id)
    return render(request, "cases/checks/campaign_new.html", {"form": form})


@login_required
def campaign_detail(request, campaign_id: int):
    campaign = selectors.campaign_get(user=request.user, campaign_id=campaign_id)
    progress = selectors.campaign_progress(user=request.user, campaign=campaign)
    return render(request, "cases/checks/campaign_detail.html", {"campaign": campaign, "progress": progress})


@login_required
def notifications(request):
    page = Paginator(notification_list(user=request.user), 30).get_page(request.GET.get("page"))
    return render(request, "cases/checks/notifications.html", {"page": page})


@login_required
@require_POST
def notification_read(request, notification_id: int):
    note = notification_mark_read(user=request.user, notification_id=notification_id)
    if request.POST.get("follow") and note.link.startswith("/"):
        return redirect(note.link)
    return redirect("cases:check_notifications")
