"""The import page for county officials and the admin resource: dry run, confirm, refusals."""

import datetime
import io

import pytest
import tablib
from openpyxl import Workbook, load_workbook

from cases.children.models import Child
from cases.roster.resources import RosterImportResource
from cases.roster.services import COLUMNS
from welfare.idnumber import make_id_number

pytestmark = pytest.mark.django_db


def roster(*numbers) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS.values()))
    for i, n in enumerate(numbers):
        sheet.append([f"童{i}", n, "", "", "370402001001", "", "农村留守儿童", "监护人", "母亲", "", "否", ""])
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    out.name = "roster.xlsx"
    return out


def n(seq):
    return make_id_number("370402", datetime.date(2014, 2, 2), seq, "F")


def test_it_offers_the_template_to_county_officials_only(client, county_official, village_director):
    client.force_login(county_official)
    response = client.get("/cases/import/template.xlsx")
    assert response.status_code == 200
    assert [c.value for c in load_workbook(io.BytesIO(response.content)).worksheets[0][1]] == list(COLUMNS.values())
    client.force_login(village_director)
    assert client.get("/cases/import/template.xlsx").status_code == 403
    assert client.get("/cases/import/").status_code == 403


def test_it_runs_a_trial_then_imports_on_confirmation(client, county_official):
    client.force_login(county_official)
    page = client.get("/cases/import/")
    assert page.status_code == 200
    trial = client.post("/cases/import/", {"file": roster(n(1), n(2))})
    assert trial.status_code == 200 and not Child.objects.exists()
    token = trial.context["token"]
    assert "童0" in trial.content.decode()
    done = client.post("/cases/import/", {"confirm": "1", "token": token})
    assert done.status_code == 302
    assert Child.objects.count() == 2
    again = client.post("/cases/import/", {"confirm": "1", "token": token})
    assert again.status_code == 302 and Child.objects.count() == 2  # the token is used up


def test_it_shows_row_errors_and_offers_no_confirmation(client, county_official):
    client.force_login(county_official)
    response = client.post("/cases/import/", {"file": roster(n(3), "123")})
    assert response.status_code == 400
    assert "token" not in response.context or not response.context.get("token")
    body = response.content.decode()
    assert "身份证号" in body and not Child.objects.exists()


def test_it_refuses_a_confirmation_without_a_trial(client, county_official):
    client.force_login(county_official)
    response = client.post("/cases/import/", {"confirm": "1", "token": "forged"})
    assert response.status_code == 302 and not Child.objects.exists()


def test_the_admin_resource_reports_row_errors_on_a_dry_run_and_imports_on_confirm(county_official):
    dataset = tablib.Dataset(headers=list(COLUMNS.values()))
    dataset.append(["甲", n(10), "", "", "370402001001", "", "", "", "", "", "", ""])
    dataset.append(["乙", "bad", "", "", "370402001001", "", "", "", "", "", "", ""])
    result = RosterImportResource().import_data(dataset, dry_run=True, user=county_official)
    assert result.has_validation_errors() and [r.number for r in result.invalid_rows] == [3]
    dataset = tablib.Dataset(headers=list(COLUMNS.values()))
    dataset.append(["甲", n(10), "", "", "370402001001", "", "", "", "", "", "", ""])
    result = RosterImportResource().import_data(dataset, dry_run=True, user=county_official)
    assert not result.has_errors() and not result.has_validation_errors() and not Child.objects.exists()
    RosterImportResource().import_data(dataset, dry_run=False, user=county_official)
    assert Child.objects.get().id_number == n(10)


def test_the_admin_mixin_offers_the_roster_import_with_a_dry_run(rf, county_official, admin_user):
    from django.contrib import admin
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.children.admin import ChildAdmin
    from cases.roster.resources import RosterImportAdminMixin

    assert issubclass(ChildAdmin, RosterImportAdminMixin)
    model_admin = ChildAdmin(Child, admin.site)
    upload = SimpleUploadedFile("roster.xlsx", roster(n(20), "bad").getvalue())
    request = rf.post("/admin/cases/child/import/", {"resource": "0", "format": "0", "import_file": upload})
    request.user = admin_user
    request.session = {}
    request._messages = FallbackStorage(request)
    response = model_admin.import_action(request)
    response.render()
    body = response.content.decode()
    assert response.status_code == 200
    assert "身份证号" in body and not Child.objects.exists()
