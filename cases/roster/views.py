"""The roster import page for county officials: download the template, upload, see the dry run
(every row's errors), then confirm to write everything (or nothing). Thin: cases/roster/services.py
does the work, and keeps the file between the two steps (RosterUpload: every web node finds it)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cases.roster.services import COLUMNS, roster_import, roster_template, roster_upload_import, roster_upload_stage
from welfare.errors import ApplicationError
from welfare.exports import XLSX_TYPE
from welfare.roles import Action, require


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
        try:
            report, file_name = roster_upload_import(by=request.user, token=request.POST.get("token", ""))
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("cases:import")
        if report.committed:
            messages.success(
                request,
                _("Imported %(children)s children, %(guardians)s guardians and %(memberships)s category memberships.")
                % {"children": report.children, "guardians": report.guardians, "memberships": report.memberships},
            )
            return redirect("cases:import")
        context.update(report=report, file_name=file_name)
        return render(request, "cases/import/page.html", context, status=400)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["form_error"] = _("Choose the xlsx file to import.")
            return render(request, "cases/import/page.html", context, status=400)
        report = roster_import(by=request.user, file=upload, commit=False, file_name=upload.name)
        context.update(report=report, file_name=upload.name)
        if report.ok:
            staged = roster_upload_stage(by=request.user, file_name=upload.name, data=b"".join(upload.chunks()))
            context["token"] = staged.token
            return render(request, "cases/import/page.html", context)
        return render(request, "cases/import/page.html", context, status=400)
    return render(request, "cases/import/page.html", context)
