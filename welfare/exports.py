"""Exports of lists to xlsx and csv: one place that masks, guards against formula injection
(`spreadsheet_safe`, also used by the admin's exports in cases/children/resources.py) and writes the
access log (who, when, how many records, from where)."""

import csv
import io
from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from welfare.audit import audit_record, client_ip
from welfare.roles import Action, require

Column = tuple[str, Callable[[Any], Any]]  # (header, accessor)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# A cell starting with one of these (after any leading spaces) is run as a formula by Excel,
# WPS or LibreOffice when the file is opened (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def spreadsheet_safe(value: Any) -> Any:
    """The one function every export (ours and the admin's, cases/children/resources.py) passes each cell
    through: text a spreadsheet would run as a formula gets a leading apostrophe and is written
    as text; None becomes an empty cell; numbers and dates are left as they are."""
    if value is None:
        return ""
    if not isinstance(value, str) or not value:
        return value
    # Control characters that an xlsx file cannot hold (openpyxl would refuse the whole file).
    value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    if value[0] in FORMULA_TRIGGERS or value.lstrip()[:1] in FORMULA_TRIGGERS:
        return "'" + value
    return value


def export_rows(
    *,
    user,
    request,
    rows: Iterable[Any],
    columns: list[Column],
    filename: str,
    fmt: str = "xlsx",
    action: str = "export",
    detail: dict | None = None,
) -> HttpResponse:
    """Render `rows` (already scoped by a selector) as an xlsx or csv download and log the export.
    Accessors decide what is shown: pass masked identity numbers unless a reveal is allowed."""
    require(user, Action.EXPORT)
    headers = [str(h) for h, _acc in columns]
    count = 0
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([spreadsheet_safe(acc(row)) for _h, acc in columns])
            count += 1
        response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
        ext = "csv"
    else:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append(headers)
        for row in rows:
            sheet.append([spreadsheet_safe(acc(row)) for _h, acc in columns])
            count += 1
        out = io.BytesIO()
        workbook.save(out)
        response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
        ext = "xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.{ext}"'
    audit_record(
        actor=user,
        action=action,
        record_count=count,
        ip_address=client_ip(request),
        detail={"file": f"{filename}.{ext}", **(detail or {})},
    )
    return response
