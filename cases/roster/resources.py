"""django-import-export resources for the admin: the roster import (delegating to the bulk
service in cases/roster/services.py, so the admin and the import page follow the same rules), its
temporary storage between the dry run and the confirm (RosterUpload rows: every web node finds
them), and a mixin that adds the import, with the masked children export, to an admin.

Wiring in the admin (cases/children/admin.py): `class ChildAdmin(RosterImportAdminMixin, ...)`."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from import_export import resources
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.results import Error, Result, RowResult
from import_export.tmp_storages import BaseStorage

from cases.children.models import Child
from cases.children.resources import ChildExportResource
from cases.roster.services import (
    COLUMNS,
    roster_import_rows,
    roster_upload_discard,
    roster_upload_find,
    roster_upload_stage,
)
from welfare.errors import ApplicationError

# The user of the admin request under way: the import-export admin makes its temporary storage
# with get_tmp_storage_class_kwargs(), which is not given the request.
_uploader: ContextVar = ContextVar("roster_uploader")


@contextmanager
def _uploading_as(user) -> Iterator[None]:
    token = _uploader.set(user)
    try:
        yield
    finally:
        _uploader.reset(token)


class RosterUploadStorage(BaseStorage):
    """django-import-export's temporary storage (IMPORT_EXPORT_TMP_STORAGE_CLASS) in RosterUpload
    rows, so the dry run and the confirm may be answered by different web nodes. `name` is the
    upload's token; `by`, the uploading user, is required: another user's token finds nothing,
    and an expired upload answers a clear ApplicationError."""

    def __init__(self, *, by, **kwargs) -> None:
        super().__init__(**kwargs)
        self.by = by

    def save(self, data) -> None:
        if isinstance(data, str):
            data = data.encode(self.encoding or "utf-8")
        self.name = roster_upload_stage(by=self.by, file_name="", data=data).token

    def read(self):
        data = bytes(roster_upload_find(by=self.by, token=self.name or "").data)
        return data if "b" in self.read_mode else data.decode(self.encoding or "utf-8")

    def remove(self) -> None:
        roster_upload_discard(by=self.by, token=self.name or "")


class RosterImportResource(resources.ModelResource):
    """The roster xlsx with Chinese headers. `import_data` hands the rows to the bulk service:
    a dry run reports every row's errors, the confirmed import writes all rows or none."""

    class Meta:
        model = Child
        fields = ("name",)
        name = "花名册 (roster)"

    def get_user_visible_headers(self):
        return list(COLUMNS.values())

    def get_import_headers(self):
        return list(COLUMNS.values())

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, collect_failed_rows=False, rollback_on_validation_errors=False, **kwargs):
        user = kwargs.get("user")
        headers = [str(h or "") for h in (dataset.headers or [])]
        rows = ((number, list(values)) for number, values in enumerate(dataset, start=2))
        report = roster_import_rows(by=user, headers=headers, rows=rows, commit=not dry_run, file_name=kwargs.get("file_name") or "")
        result = Result()
        result.diff_headers = list(COLUMNS.values())
        result.total_rows = report.rows
        for message in report.file_errors:
            result.append_base_error(Error(ApplicationError(message)))
        for number, row_errors in report.errors_by_row():
            by_column: dict[str, list[str]] = {}
            for error in row_errors:
                by_column.setdefault(error.column or "__all__", []).append(error.message)
            result.append_invalid_row(number, {}, ValidationError(by_column))
            result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
        if report.ok:
            for _index in range(report.rows):
                row_result = RowResult()
                row_result.import_type = RowResult.IMPORT_TYPE_NEW
                result.append_row_result(row_result)
                result.increment_row_result_total(row_result)
        return result


class RosterImportAdminMixin(ImportExportMixin):
    """Adds "Import" (the roster, through the bulk service) and "Export" (masked) to an admin."""

    resource_classes = [RosterImportResource]
    skip_admin_log = True  # the service writes the audit row
    import_formats = [XLSX]
    export_formats = [XLSX, CSV]

    def get_tmp_storage_class_kwargs(self):
        return {"by": _uploader.get()}

    def import_action(self, request, **kwargs):
        with _uploading_as(request.user):
            return super().import_action(request, **kwargs)

    def process_import(self, request, **kwargs):
        """The confirm: an upload that expired, or is another user's, sends back to the import
        page with a message (nothing imported)."""
        with _uploading_as(request.user):
            try:
                return super().process_import(request, **kwargs)
            except ApplicationError as exc:
                messages.error(request, exc.message)
                app_label, model_name = self.get_model_info()
                return redirect(f"admin:{app_label}_{model_name}_import")

    def get_export_resource_classes(self, request):
        return [ChildExportResource]

    def has_import_permission(self, request):
        from welfare.roles import Action, can

        return can(request.user, Action.IMPORT)

    def has_export_permission(self, request):
        from welfare.roles import Action, can

        return can(request.user, Action.EXPORT)

    def get_export_data(self, file_format, request, queryset, **kwargs):
        """Admin exports go in the same access log as every other export."""
        from welfare.audit import audit_record, client_ip
        from welfare.roles import Action, require

        require(request.user, Action.EXPORT)
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        audit_record(
            actor=request.user,
            action="children.exported",
            record_count=queryset.count(),
            ip_address=client_ip(request),
            detail={"via": "admin", "format": str(getattr(file_format, "get_title", lambda: "")())},
        )
        return data
