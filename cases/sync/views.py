"""Pages of offline entry: the township supervisor's queue of edit conflicts (pick a value), and
the offline web app of the village director (its page, its service worker, its manifest).
Thin: selectors read, services write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases.children.models import Child, Guardian
from cases.sync import selectors, services
from cases.sync.models import EditConflict
from welfare.errors import ApplicationError
from welfare.idnumber import mask_id_number
from welfare.roles import Action, can


def _can_decide(user) -> bool:
    return can(user, Action.REVIEW) or can(user, Action.APPROVE)


def field_label(conflict: EditConflict) -> str:
    model = Guardian if conflict.guardian_id else Child
    try:
        return str(getattr(model._meta.get_field(conflict.field), "verbose_name", conflict.field))
    except FieldDoesNotExist:  # a field renamed since: show its name
        return conflict.field


def shown(conflict: EditConflict, value) -> str:
    """A conflict's value as the page shows it: identity numbers masked, yes/no in words."""
    if value is None or value == "":
        return _("(empty)")
    if conflict.field == "id_number":
        return mask_id_number(str(value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if conflict.field == "relation":
        return str(Guardian.Relation(value).label) if value in Guardian.Relation.values else str(value)
    return str(value)


def _row(conflict: EditConflict) -> dict:
    return {
        "conflict": conflict,
        "label": field_label(conflict),
        "base": shown(conflict, conflict.base_value),
        "current": shown(conflict, conflict.current_value),
        "proposed": shown(conflict, conflict.proposed_value),
    }


@require_GET
@login_required
def conflict_queue_page(request):
    """The supervisor's queue: both values of every clash in the area; pick one."""
    if not _can_decide(request.user):
        raise PermissionDenied
    page = Paginator(selectors.edit_conflict_queue(user=request.user), 20).get_page(request.GET.get("page"))
    return render(request, "cases/sync/conflicts.html", {"page": page, "rows": [_row(c) for c in page]})


@login_required
@require_POST
def conflict_resolve_page(request, conflict_id: int):
    conflict = selectors.edit_conflict_get(user=request.user, conflict_id=conflict_id)
    if not _can_decide(request.user):
        raise PermissionDenied
    try:
        services.edit_conflict_resolve(by=request.user, conflict=conflict, choice=request.POST.get("choice", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The value is decided."))
    return redirect("cases:conflict_queue")


# --- The offline web app ------------------------------------------------------------------------

# The app's page and everything it needs, kept by the service worker (with a revision each).
APP_URL = "/cases/sync/app/"
APP_STATIC = (
    "css/app.css",
    "js/app.js",
    "js/offline-store.js",
    "js/offline.js",
    "vendor/idb/idb.umd.js",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/icon.svg",
)
WORKBOX_FILES = (
    "vendor/workbox/workbox-sw.js",
    "vendor/workbox/workbox-core.prod.js",
    "vendor/workbox/workbox-precaching.prod.js",
    "vendor/workbox/workbox-routing.prod.js",
    "vendor/workbox/workbox-strategies.prod.js",
)


def _digest(*parts: bytes) -> str:
    import hashlib

    h = hashlib.sha256()
    for part in parts:
        h.update(part)
    return h.hexdigest()[:16]


def _static_bytes(name: str) -> bytes:
    from django.contrib.staticfiles import finders

    found = finders.find(name)
    if not found:
        return b""
    with open(found if isinstance(found, str) else found[0], "rb") as f:
        return f.read()


def _precache() -> list[dict]:
    """[{url, revision}] for Workbox: a file's revision is its content's digest; the app page's
    is that of its template and scripts, and of the language it is shown in."""
    from django.conf import settings as dj_settings
    from django.templatetags.static import static
    from django.utils.translation import get_language

    template = (dj_settings.BASE_DIR / "templates" / "cases" / "sync" / "app.html").read_bytes()
    files = [{"url": static(name), "revision": _digest(_static_bytes(name))} for name in APP_STATIC]
    app_revision = _digest(template, *(_static_bytes(n) for n in APP_STATIC), (get_language() or "").encode())
    return [{"url": APP_URL, "revision": app_revision}, *files]


@require_GET
def service_worker(request):
    """The service worker, at the site's root so that its scope is the whole site. It keeps the
    offline app and its files (Workbox, served from /static/vendor/workbox/, never a CDN) and,
    without network, answers any page with the offline app. Server pages are never kept."""
    import json

    from django.http import HttpResponse
    from django.template.loader import render_to_string
    from django.templatetags.static import static

    body = render_to_string(
        "cases/sync/sw.js",
        {
            # JSON literals: the template writes them into the script as they are.
            "precache": json.dumps(_precache()),
            "workbox_sw": json.dumps(static(WORKBOX_FILES[0])),
            "workbox_prefix": json.dumps(static("vendor/workbox/")),
            "app_url": json.dumps(APP_URL),
        },
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def manifest(request):
    """The web app manifest: installable, starts on the offline app."""
    from django.http import JsonResponse
    from django.templatetags.static import static

    body = {
        "name": _("Child welfare · village child director"),
        "short_name": _("Child welfare"),
        "lang": "zh-Hans",
        "start_url": APP_URL,
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1f5f8b",
        "icons": [
            {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any maskable"},
            {"src": static("icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@require_GET
@login_required
def offline_app_page(request):
    """The offline web app: one page, the same for every user (no personal data in it: the data
    is in the phone's IndexedDB, fetched from /api/offline/village/), kept by the service worker."""
    from cases.checks.models import Check
    from cases.children.categories import Category
    from cases.protection.models import CaseReport

    def choices(enum, *, leave_out=()) -> list:
        return [[value, str(label)] for value, label in enum.choices if value not in leave_out]

    config = {
        "relations": choices(Guardian.Relation),
        "categories": choices(Category),
        "kinds": choices(Check.Kind),
        "risk_levels": choices(Check.RiskLevel),
        "concerns": choices(CaseReport.Concern),
        "urgencies": choices(CaseReport.Urgency),
        "sources": choices(CaseReport.Source, leave_out=("hotline", "check")),
        "reporter_types": choices(CaseReport.ReporterType),
        "check_states": choices(Child.CheckState),
    }
    response = render(request, "cases/sync/app.html", {"config": config})
    response["Cache-Control"] = "no-cache"
    return response
