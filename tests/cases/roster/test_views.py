"""The import page for county officials and the admin resource: dry run, confirm (on any web node,
by the uploader only, in time), refusals."""

import datetime
import io
import tempfile
from pathlib import Path

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from cases.children.models import Child
from cases.roster.models import RosterUpload
from cases.roster.resources import RosterImportResource
from cases.roster.services import COLUMNS
from tests.factories import UserFactory
from welfare.idnumber import make_id_number
from welfare.roles import Role

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


def another_node(name: str) -> None:
    """The confirm is answered by a second web node: it shares the database, not the temp
    directory of the node that ran the trial, so whatever that node left in its temp directory
    under `name` is not there."""
    temp, name = Path(tempfile.gettempdir()), Path(name).name
    for path in [*temp.glob(f"*{name}*"), *temp.glob(f"*/*{name}*")]:
        path.unlink()


def test_it_imports_on_another_web_node_than_the_one_that_ran_the_trial(client, county_official):
    client.force_login(county_official)
    token = client.post("/cases/import/", {"file": roster(n(30), n(31))}).context["token"]
    another_node(token)
    done = client.post("/cases/import/", {"confirm": "1", "token": token})
    assert done.status_code == 302
    assert sorted(Child.objects.values_list("id_number", flat=True)) == sorted([n(30), n(31)])


def test_it_imports_nothing_from_the_upload_of_another_user(client, county_official, regions, english_pages):
    colleague = UserFactory(username="colleague", role=Role.COUNTY_OFFICIAL, region=regions.county)
    client.force_login(county_official)
    token = client.post("/cases/import/", {"file": roster(n(32))}).context["token"]
    client.force_login(colleague)
    refused = client.post("/cases/import/", {"confirm": "1", "token": token}, follow=True)
    assert "upload the file again" in refused.content.decode() and not Child.objects.exists()
    client.force_login(county_official)
    client.post("/cases/import/", {"confirm": "1", "token": token})
    assert Child.objects.get().id_number == n(32)  # the owner's upload is still there


def test_it_imports_nothing_from_an_expired_upload(client, county_official, settings, time_machine, english_pages):
    settings.ROSTER_UPLOAD_TTL_MINUTES = 10
    time_machine.move_to(datetime.datetime(2025, 3, 1, 9, 0, tzinfo=datetime.UTC), tick=False)
    client.force_login(county_official)
    token = client.post("/cases/import/", {"file": roster(n(33))}).context["token"]
    time_machine.move_to(datetime.datetime(2025, 3, 1, 9, 11, tzinfo=datetime.UTC), tick=False)
    refused = client.post("/cases/import/", {"confirm": "1", "token": token}, follow=True)
    assert "The upload has expired: upload the file again." in refused.content.decode()
    assert not Child.objects.exists()


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
    dataset = tablib.Dataset(headers=list(COLUMNS.values())[:12])
    dataset.append(["甲", n(10), "", "", "370402001001", "", "", "", "", "", "", ""])
    dataset.append(["乙", "bad", "", "", "370402001001", "", "", "", "", "", "", ""])
    result = RosterImportResource().import_data(dataset, dry_run=True, user=county_official)
    assert result.has_validation_errors() and [r.number for r in result.invalid_rows] == [3]
    dataset = tablib.Dataset(headers=list(COLUMNS.values())[:12])
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


def admin_dry_run(client, *numbers) -> dict:
    """The admin's import page with a good roster: answers the confirm form's data."""
    upload = SimpleUploadedFile("roster.xlsx", roster(*numbers).getvalue())
    response = client.post(reverse("admin:cases_child_import"), {"resource": "0", "format": "0", "import_file": upload})
    assert response.status_code == 200 and "confirm_form" in response.context
    return response.context["confirm_form"].initial


def test_the_admin_imports_on_another_web_node_than_the_one_that_ran_the_dry_run(client, admin_user):
    client.force_login(admin_user)
    confirm = admin_dry_run(client, n(50), n(51))
    assert not Child.objects.exists()
    another_node(confirm["import_file_name"])
    done = client.post(reverse("admin:cases_child_process_import"), confirm)
    assert done.status_code == 302
    assert sorted(Child.objects.values_list("id_number", flat=True)) == sorted([n(50), n(51)])
    assert not RosterUpload.objects.exists()  # the confirm deletes its upload


def test_the_admin_imports_nothing_from_the_upload_of_another_user(client, admin_user, english_pages):
    client.force_login(admin_user)
    confirm = admin_dry_run(client, n(52))
    client.force_login(UserFactory(username="admin2", role=Role.ADMIN, region=None, is_staff=True, is_superuser=True))
    refused = client.post(reverse("admin:cases_child_process_import"), confirm, follow=True)
    assert "upload the file again" in refused.content.decode() and not Child.objects.exists()
    assert RosterUpload.objects.filter(uploaded_by=admin_user).exists()
