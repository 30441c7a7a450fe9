"""The shell pages: the home page of each role and the language switch."""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from welfare.roles import Role

# Each tile of a home page: its label, a hint, and the URL name of its page.
LINKS: dict[str, tuple] = {
    "worklist": (_("My worklist"), _("Returned records, drafts, checks due"), "cases:worklist"),
    "register": (_("Register a child"), _("Identity number, guardians, categories"), "cases:child_register"),
    "find": (_("Find a child"), _("By name, identity number or guardian"), "cases:child_list"),
    "checks": (
        _("Checks"),
        _("Left-behind children due or overdue for their three-monthly check"),
        "cases:checks_mine",
    ),
    "checks_overdue": (_("Overdue checks"), _("Overdue and due-soon children by village"), "cases:checks_overdue"),
    "campaigns": (_("Check campaigns"), _("Summer and flood-season safety checks"), "cases:campaigns"),
    "applications": (_("Applications"), _("Recognition applications filed for families"), "cases:application_list"),
    "child_review": (_("Review new or changed children"), _("Approve or return with a comment"), "cases:review_queue"),
    "application_review": (
        _("Applications to review"),
        _("First review by the township"),
        "cases:application_township_queue",
    ),
    "application_approve": (
        _("Applications to approve"),
        _("County approval or rejection within the time limit"),
        "cases:application_county_queue",
    ),
    "payouts": (_("Monthly payouts"), _("Compute, check and approve the month"), "benefits:payout_run_list"),
    "standards": (_("Allowance standards"), _("Amounts in force and raises"), "benefits:standard_list"),
    "budget": (_("Next year's budget"), _("Allowances and grants by month, what-if raise"), "benefits:budget"),
    "dashboard": (_("Dashboard"), _("Children by category, overdue checks, applications"), "cases:dashboard"),
    "import": (_("Import a roster"), _("Excel roster of children"), "cases:import"),
    "institutions": (
        _("Institutions"),
        _("Institutions, staff and placements"),
        "institutions:institution_list",
    ),
    "my_institution": (
        _("My institution"),
        _("Children in care, findings to rectify, safety meetings, staff"),
        "institutions:mine",
    ),
    "findings_overdue": (
        _("Findings past their deadline"),
        _("Inspection findings not rectified in time"),
        "institutions:findings_overdue",
    ),
    "admin": (_("Administration"), _("Users, regions and reference data"), "admin:index"),
    "case_report": (_("Report a concern"), _("A child at risk anywhere: it goes to the county"), "cases:protection_report_new"),
    "my_cases": (_("My cases"), _("Protection cases, the most pressing follow-up first"), "cases:protection_my_cases"),
    "case_screening": (_("Reports to screen"), _("Screen in or out before the deadline"), "cases:protection_screening"),
    "hotline": (_("12349 hotline"), _("Record calls, supervise tickets past their deadline"), "cases:protection_hotline"),
    "referrals": (_("Referrals to my institution"), _("Accept, decline, complete"), "cases:protection_referrals"),
}

ROLE_LINKS: dict[str, tuple[str, ...]] = {
    Role.VILLAGE_DIRECTOR: ("worklist", "register", "find", "checks", "applications", "my_cases", "case_report"),
    Role.TOWNSHIP_SUPERVISOR: (
        "child_review",
        "application_review",
        "checks_overdue",
        "worklist",
        "find",
        "register",
        "dashboard",
        "my_cases",
        "case_report",
    ),
    Role.COUNTY_OFFICIAL: (
        "application_approve",
        "child_review",
        "case_screening",
        "my_cases",
        "payouts",
        "dashboard",
        "checks_overdue",
        "campaigns",
        "standards",
        "budget",
        "import",
        "find",
        "case_report",
        "institutions",
        "findings_overdue",
    ),
    Role.CITY_OFFICIAL: (
        "dashboard",
        "hotline",
        "checks_overdue",
        "campaigns",
        "standards",
        "budget",
        "find",
        "case_report",
        "institutions",
        "findings_overdue",
    ),
    Role.PROVINCE_OFFICIAL: ("dashboard", "campaigns", "standards", "budget", "find", "case_report", "institutions"),
    Role.INSTITUTION_STAFF: ("my_institution", "findings_overdue", "find", "referrals", "case_report"),
    Role.ADMIN: (
        "admin",
        "dashboard",
        "find",
        "child_review",
        "application_approve",
        "payouts",
        "standards",
        "import",
        "case_report",
    ),
}


def home_links(user) -> list[dict]:
    """The links of the user's home page, in the order that role works through them."""
    role = Role.ADMIN if user.is_superuser else user.role
    links = []
    for key in ROLE_LINKS.get(role, ("find",)):
        if key == "admin" and not user.is_staff:
            continue
        label, hint, name = LINKS[key]
        links.append({"key": key, "label": label, "hint": hint, "url": reverse(name)})
    return links


# Selectors `counts(user=...)` -> {tile key: count} whose figures the tiles show. Filled by the
# domain apps' AppConfig.ready() (`register_home_counts`).
HomeCounts = Callable[..., dict[str, int]]
_HOME_COUNTS: list[HomeCounts] = []


def register_home_counts(counts: HomeCounts) -> None:
    """Declare a selector `counts(user=...)` -> {tile key: count} for the home page's tiles.
    Called by a domain app's AppConfig.ready()."""
    if counts not in _HOME_COUNTS:
        _HOME_COUNTS.append(counts)


def _home_counts(user) -> dict[str, int]:
    counts: dict[str, int] = {}
    for selector in _HOME_COUNTS:
        counts.update(selector(user=user))
    return counts


@login_required
def home(request):
    user = request.user
    links = home_links(user)
    counts = _home_counts(user)
    for link in links:
        link["count"] = counts.get(link["key"])
    region = user.region if user.region_id else None
    return render(request, "welfare/home.html", {"links": links, "region": region})


class LoginView(auth_views.LoginView):
    """Log in, and speak the language the user chose last time (on any device)."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        language = getattr(form.get_user(), "language", "")
        if language in {code for code, _name in settings.LANGUAGES}:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax", httponly=True)
        return response


@require_POST
def set_language(request):
    """Switch the page language and remember it on the user."""
    language = request.POST.get("language", "")
    supported = {code for code, _name in settings.LANGUAGES}
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language in supported:
        if request.user.is_authenticated:
            request.user.language = language
            request.user.save(update_fields=["language"])
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax", httponly=True)
    return response


class LogoutView(auth_views.LogoutView):
    """Logging out also empties what the browser keeps for this site: the offline copy of a
    village (IndexedDB), the offline app's caches and its service worker (Clear-Site-Data,
    honoured by browsers on secure origins; the page's script wipes them too: docs/offline.md)."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response
