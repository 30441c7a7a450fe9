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


# --- Issue 19: formulas are defused in every export, the admin's (django-import-export) too ----

FORMULA_NAME = '=HYPERLINK("http://evil/","x")'


def test_it_writes_a_control_character_that_xlsx_cannot_hold_as_a_replacement_character(county_official):
    rows = [{"name": "张\x01三", "note": "ok"}]
    response = export_rows(user=county_official, request=None, rows=rows, columns=COLUMNS, filename="list")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A2"].value == "张\ufffd三"


def test_it_writes_every_formula_trigger_as_text_in_our_exports(county_official):
    rows = [{"name": value, "note": "ok"} for value in ("==1+2", "+1+2", "-1+2", "@SUM(A1)", "\t=1", " =1")]
    response = export_rows(user=county_official, request=None, rows=rows, columns=COLUMNS, filename="list")
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert cells == ["'==1+2", "'+1+2", "'-1+2", "'@SUM(A1)", "'\t=1", "' =1"]
    assert all(cell.data_type == "s" for row in sheet.iter_rows(min_row=2) for cell in row)


def _admin_export(client, user, file_format: int):
    """The admin's export form as the browser posts it (every column ticked)."""
    from django.urls import reverse

    from cases.children.resources import ChildExportResource

    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    data = {"resource": "0", "format": str(file_format)}
    for field in ChildExportResource().get_export_order():
        data[f"childexportresource_{field}"] = "on"
    return client.post(reverse("admin:cases_child_export"), data)


def test_it_writes_a_formula_name_as_text_in_the_admin_xlsx_export(client, county_official, regions):
    from tests.factories import ChildFactory

    ChildFactory(region=regions.village, name=FORMULA_NAME)
    response = _admin_export(client, county_official, file_format=0)  # XLSX
    assert response.status_code == 200, response.content[:300]
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    row = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert row["name"].data_type == "s"
    assert row["name"].value == "'" + FORMULA_NAME
    assert row["birth_date"].value is not None and row["birth_date"].value != "None"


def test_it_writes_a_formula_name_as_text_in_the_admin_csv_export(client, county_official, regions):
    from tests.factories import ChildFactory

    ChildFactory(region=regions.village, name="+1+2")
    response = _admin_export(client, county_official, file_format=1)  # CSV
    assert response.status_code == 200, response.content[:300]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0]["name"] == "'+1+2"
