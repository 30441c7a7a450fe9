"""The roster import page for county officials: download the template, upload, see the dry run
(every row's errors), then confirm to write everything (or nothing). Thin: cases/roster/services.py
does the work."""

import secrets
import tempfile
import time
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cases.roster.services import COLUMNS, roster_import, roster_template
from welfare.exports import XLSX_TYPE
from welfare.roles import Action, require

SESSION_KEY = "roster_import"


UPLOAD_DIR = Path(tempfile.gettempdir()) / "welfare-imports"


def _pending_path(token: str) -> Path:
    return UPLOAD_DIR / f"{token}.xlsx"


def _forget_stale_uploads() -> None:
    """Trial-run files nobody confirmed within a day are deleted."""
    cutoff = time.time() - 24 * 3600
    for path in UPLOAD_DIR.glob("*.xlsx"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass


@login_required
@require_http_methods(["GET"])
def import_template(request):
    require(request.user, Action.IMPORT)
    response = HttpResponse(roster_template(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="roster-template.xlsx"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request):
    """GET: the form. POST with a file: dry run. POST with `confirm`: commit the file of the dry run."""
    require(request.user, Action.IMPORT)
    context = {"columns": COLUMNS.values()}
    if request.method == "POST" and "confirm" in request.POST:
        pending = request.session.get(SESSION_KEY) or {}
        token = pending.get("token", "")
        if not token or token != request.POST.get("token") or not _pending_path(token).exists():
            messages.error(request, _("The uploaded file has expired: upload it again."))
            return redirect("cases:import")
        path = _pending_path(token)
        with path.open("rb") as handle:
            report = roster_import(by=request.user, file=handle, commit=True, file_name=pending.get("name", ""))
        if report.committed:
            path.unlink(missing_ok=True)
            request.session.pop(SESSION_KEY, None)
            messages.success(
                request,
                _("Imported %(children)s children, %(guardians)s guardians and %(memberships)s category memberships.")
                % {"children": report.children, "guardians": report.guardians, "memberships": report.memberships},
            )
            return redirect("cases:import")
        context.update(report=report, file_name=pending.get("name", ""))
        return render(request, "cases/import/page.html", context, status=400)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["form_error"] = _("Choose the xlsx file to import.")
            return render(request, "cases/import/page.html", context, status=400)
        report = roster_import(by=request.user, file=upload, commit=False, file_name=upload.name)
        context.update(report=report, file_name=upload.name)
        if report.ok:
            UPLOAD_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
            _forget_stale_uploads()
            token = secrets.token_hex(16)
            upload.seek(0)
            with _pending_path(token).open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            request.session[SESSION_KEY] = {"token": token, "name": upload.name[:100]}
            context["token"] = token
            return render(request, "cases/import/page.html", context)
        return render(request, "cases/import/page.html", context, status=400)
    return render(request, "cases/import/page.html", context)
