import csv
import io

import pytest
from django.test import RequestFactory
from openpyxl import load_workbook

from welfare.errors import PermissionDeniedError
from welfare.exports import export_rows
from welfare.models import AuditLog

pytestmark = pytest.mark.django_db

COLUMNS = [("name", lambda r: r["name"]), ("note", lambda r: r["note"])]
ROWS = [{"name": "张三", "note": "=HYPERLINK(\"x\")"}, {"name": "李四", "note": "ok"}]


def test_it_writes_csv_with_formulas_defused_and_logs_the_export(county_official):
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3")
    response = export_rows(user=county_official, request=request, rows=ROWS, columns=COLUMNS, filename="list", fmt="csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == ["张三", "'=HYPERLINK(\"x\")"]
    log = AuditLog.objects.get()
    assert (log.actor, log.record_count, log.ip_address) == (county_official, 2, "10.1.2.3")


def test_it_writes_xlsx(county_official):
    response = export_rows(user=county_official, request=None, rows=ROWS, columns=COLUMNS, filename="list")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[2]] == ["张三", "'=HYPERLINK(\"x\")"]


def test_it_refuses_a_role_that_may_not_export(village_director):
    with pytest.raises(PermissionDeniedError):
        export_rows(user=village_director, request=None, rows=ROWS, columns=COLUMNS, filename="list")
