"""Roster import: dry run reports every row's errors, commit is all-or-nothing, bad files are
refused clearly, and nothing is written whenever anything is wrong."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import translation
from openpyxl import Workbook, load_workbook

from cases.children.models import CategoryMembership, Child, Guardian
from cases.roster.models import RosterUpload
from cases.roster.services import (
    COLUMNS,
    roster_import,
    roster_template,
    roster_upload_find,
    roster_upload_import,
    roster_upload_stage,
    roster_uploads_delete_expired,
)
from tests.factories import UserFactory
from welfare.errors import ApplicationError, PermissionDeniedError
from welfare.idnumber import make_id_number, mask_id_number
from welfare.models import AuditLog
from welfare.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The messages are checked in their English source form (zh-hans is the default)."""
    with translation.override("en"):
        yield

HEADERS = list(COLUMNS.values())


def number(seq: int, sex: str = "M", birth=datetime.date(2015, 3, 14)) -> str:
    return make_id_number("370402", birth, seq, sex)


def xlsx(rows, headers=HEADERS) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    if headers is not None:
        sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


def row(name="王小明", id_number=None, sex="", birth="", region="370402001001", household="", categories="农村留守儿童",
        g_name="王大山", g_relation="祖父母", g_phone="13800000000", g_migrant="否", g_place=""):
    return [name, id_number, sex, birth, region, household, categories, g_name, g_relation, g_phone, g_migrant, g_place]


def test_it_imports_children_with_guardians_and_categories_in_one_go(county_official, regions):
    file = xlsx([
        row(id_number=number(1), categories="农村留守儿童、重点困境儿童"),
        row(name=None, id_number=None, categories="", g_name="王父", g_relation="父亲", g_migrant="是", g_place="广东东莞"),
        row(name="李小红", id_number=number(2, "F"), region="370402002001", categories="left_behind", g_name="李奶奶", g_relation="奶奶"),
    ])
    report = roster_import(by=county_official, file=file, commit=True, file_name="roster.xlsx")
    assert report.ok and report.committed, report.row_errors
    assert (report.children, report.guardians, report.memberships) == (2, 3, 3)
    wang = Child.objects.with_id_number(number(1)).get()
    assert (wang.sex, wang.birth_date, wang.region, wang.household_region) == ("M", datetime.date(2015, 3, 14), regions.village, regions.village)
    assert sorted(wang.memberships.values_list("category", flat=True)) == ["key_difficulty", "left_behind"]
    father = Guardian.objects.get(name="王父")
    assert (father.child, father.relation, father.is_migrant_worker, father.work_place) == (wang, "father", True, "广东东莞")
    assert wang.history.count() == 1  # history kept for bulk-created records
    log = AuditLog.objects.get(action="children.imported")
    assert (log.actor, log.record_count) == (county_official, 2)


def test_a_dry_run_writes_nothing(county_official, regions):
    report = roster_import(by=county_official, file=xlsx([row(id_number=number(3))]), commit=False)
    assert report.ok and not report.committed and report.rows == 1
    assert report.preview[0]["id_number"] == mask_id_number(number(3))
    assert not Child.objects.exists() and not AuditLog.objects.exists()


def test_it_reports_every_bad_row_and_writes_nothing(county_official, regions, child):
    bad_check = number(4)[:-1] + ("0" if number(4)[-1] != "0" else "1")
    file = xlsx([
        row(id_number=number(5)),  # good
        row(id_number=bad_check),  # wrong check character
        row(id_number=number(6), sex="女"),  # contradicts the number
        row(id_number=child.id_number),  # already recorded
        row(id_number=number(7), region="370403001001"),  # outside scope
        row(id_number=number(8), region="370402001"),  # a township, not a village
        row(id_number=number(9), categories="社会散居孤儿、重点困境儿童"),  # two paid categories
        row(id_number=number(10), categories="不存在的类别"),
        row(id_number=number(5)),  # twice in the file
        row(name="无证儿童", id_number=None, sex="", birth=""),  # no number, no sex, no birth date
        row(id_number=number(11), g_relation="邻居"),
        row(id_number=number(12), region="999999999999"),
    ])
    report = roster_import(by=county_official, file=file, commit=True)
    assert not report.ok and not report.committed
    by_row = {n: {(e.column, e.message) for e in errs} for n, errs in report.errors_by_row()}
    assert set(by_row) == {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}
    assert any(c == "身份证号" for c, _m in by_row[3])
    assert any(c == "性别" for c, _m in by_row[4])
    duplicate = next(m for c, m in by_row[5] if c == "身份证号")
    assert mask_id_number(child.id_number) in duplicate and child.id_number not in duplicate and "东村社区" in duplicate
    assert any(c == "居住村(社区)代码" for c, _m in by_row[6])
    assert any(c == "居住村(社区)代码" for c, _m in by_row[7])
    assert any(c == "类别" for c, _m in by_row[8]) and any(c == "类别" for c, _m in by_row[9])
    assert any("row 2" in m for _c, m in by_row[10])
    assert {c for c, _m in by_row[11]} == {"性别", "出生日期"}
    assert any(c == "监护人关系" for c, _m in by_row[12])
    assert any(c == "居住村(社区)代码" for c, _m in by_row[13])
    assert Child.objects.count() == 1 and not Guardian.objects.exists() and not CategoryMembership.objects.exists()


def test_it_normalises_full_width_digits_and_reads_mixed_date_formats(county_official, regions):
    full_width = number(20).translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    file = xlsx([
        row(id_number=full_width, birth="2015年3月14日"),
        row(name="甲", id_number=number(21), birth=datetime.datetime(2015, 3, 14)),
        row(name="乙", id_number=number(22), birth="2015/3/14"),
        row(name="丙", id_number=number(23), birth="2015.03.14"),
        row(name="丁", id_number=number(24), birth="20150314"),
        row(name="戊", id_number=None, sex="女", birth="2016-07-01"),
    ])
    report = roster_import(by=county_official, file=file, commit=True)
    assert report.committed, report.row_errors
    assert Child.objects.with_id_number(number(20)).exists()
    assert Child.objects.get(name="戊").birth_date == datetime.date(2016, 7, 1)


def test_it_refuses_an_unreadable_date(county_official, regions):
    report = roster_import(by=county_official, file=xlsx([row(name="甲", id_number=None, sex="男", birth="14/03/2015")]), commit=True)
    assert [e.column for e in report.row_errors] == ["出生日期"]
    assert not Child.objects.exists()


def test_it_refuses_formulas_in_cells(county_official, regions):
    report = roster_import(by=county_official, file=xlsx([row(name="=A1&\"x\"", id_number=number(30))]), commit=True)
    assert not report.ok and report.row_errors[0].column == "姓名" and "formula" in report.row_errors[0].message
    assert not Child.objects.exists()


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"name,id\nx,y\n", "not an Excel workbook"),
        (b"", "empty"),
        (b"PK\x03\x04garbage", "not an Excel workbook"),
    ],
)
def test_it_refuses_a_file_that_is_not_xlsx(county_official, regions, content, expected):
    upload = SimpleUploadedFile("roster.xlsx", content)
    report = roster_import(by=county_official, file=upload, commit=True)
    assert not report.ok and expected in report.file_errors[0]
    assert not Child.objects.exists()


def test_it_refuses_an_empty_workbook_and_a_header_only_file(county_official, regions):
    empty = roster_import(by=county_official, file=xlsx([], headers=None), commit=True)
    assert "empty" in empty.file_errors[0]
    header_only = roster_import(by=county_official, file=xlsx([]), commit=True)
    assert "no children" in header_only.file_errors[0]


def test_it_refuses_wrong_and_missing_headers(county_official, regions):
    report = roster_import(by=county_official, file=xlsx([["x", "y"]], headers=["Name", "ID"]), commit=True)
    assert not report.ok
    assert any("missing" in e and "姓名" in e for e in report.file_errors)
    assert any("not known" in e and "Name" in e for e in report.file_errors)


def test_it_accepts_headers_in_another_order_and_with_full_width_brackets(county_official, regions):
    headers = ["居住村（社区）代码", "身份证号", "姓名"]
    report = roster_import(by=county_official, file=xlsx([["370402001001", number(40), "甲"]], headers=headers), commit=True)
    assert report.committed, (report.file_errors, report.row_errors)


@override_settings(IMPORT_MAX_ROWS=5)
def test_it_refuses_a_file_over_the_row_limit_whole(county_official, regions):
    report = roster_import(by=county_official, file=xlsx([row(name=f"童{i}", id_number=number(100 + i)) for i in range(6)]), commit=True)
    assert not report.ok and "more than 5 rows" in report.file_errors[0]
    assert not Child.objects.exists()


def test_it_refuses_a_role_that_may_not_import(village_director, regions):
    with pytest.raises(PermissionDeniedError):
        roster_import(by=village_director, file=xlsx([row(id_number=number(50))]), commit=True)


def test_the_outsider_cannot_import_into_our_villages(outsider, regions):
    report = roster_import(by=outsider, file=xlsx([row(id_number=number(51))]), commit=True)
    assert "outside your area" in report.row_errors[0].message
    assert not Child.objects.exists()


def test_the_template_has_the_headers_and_a_valid_example(county_official, regions):
    sheet = load_workbook(io.BytesIO(roster_template())).worksheets[0]
    assert [c.value for c in sheet[1]] == HEADERS
    report = roster_import(by=county_official, file=io.BytesIO(roster_template()), commit=False)
    assert report.ok, (report.file_errors, report.row_errors)


def test_an_import_shows_at_once_in_the_cached_child_list(county_official, regions, api_client):
    """COPY bypasses the ORM; the import retires the cached list pages itself."""
    api_client.force_authenticate(county_official)
    assert api_client.get("/api/children/").json()["count"] == 0  # now cached
    file = xlsx([row(id_number=number(1)), row(name="李小红", id_number=number(2, "F"), region="370402002001")])
    assert roster_import(by=county_official, file=file, commit=True, file_name="roster.xlsx").committed
    body = api_client.get("/api/children/").json()
    assert body["count"] == 2
    assert sorted(r["name"] for r in body["results"]) == ["李小红", "王小明"]


def at(hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2025, 3, 1, hour, minute, tzinfo=datetime.UTC)


def test_an_upload_is_found_by_its_token_for_the_uploader_only(county_official, regions):
    upload = roster_upload_stage(by=county_official, file_name="roster.xlsx", data=b"PK bytes")
    assert bytes(roster_upload_find(by=county_official, token=upload.token).data) == b"PK bytes"
    colleague = UserFactory(username="colleague", role=Role.COUNTY_OFFICIAL, region=regions.county)
    with pytest.raises(ApplicationError, match="upload the file again"):
        roster_upload_find(by=colleague, token=upload.token)
    other = roster_upload_stage(by=county_official, file_name="roster.xlsx", data=b"PK bytes")
    assert len(upload.token) >= 32 and other.token != upload.token


def test_an_expired_upload_is_found_no_more(county_official, regions, settings, time_machine):
    settings.ROSTER_UPLOAD_TTL_MINUTES = 60
    time_machine.move_to(at(9), tick=False)
    upload = roster_upload_stage(by=county_official, file_name="roster.xlsx", data=b"PK bytes")
    time_machine.move_to(at(10), tick=False)
    with pytest.raises(ApplicationError, match="The upload has expired: upload the file again."):
        roster_upload_find(by=county_official, token=upload.token)


def test_an_imported_upload_is_deleted(county_official, regions):
    upload = roster_upload_stage(by=county_official, file_name="roster.xlsx", data=xlsx([row(id_number=number(40))]).getvalue())
    report, file_name = roster_upload_import(by=county_official, token=upload.token)
    assert report.committed and file_name == "roster.xlsx" and Child.objects.get().id_number == number(40)
    assert not RosterUpload.objects.exists()
    assert AuditLog.objects.get(action="children.imported").detail["file"] == "roster.xlsx"


def test_an_upload_with_errors_at_import_time_is_kept_and_imports_nothing(county_official, regions, child):
    upload = roster_upload_stage(by=county_official, file_name="roster.xlsx", data=xlsx([row(id_number=child.id_number)]).getvalue())
    report, file_name = roster_upload_import(by=county_official, token=upload.token)
    assert not report.committed and Child.objects.count() == 1
    assert RosterUpload.objects.filter(token=upload.token).exists()


def test_expired_uploads_only_are_deleted_by_the_clean_up_and_at_each_new_upload(county_official, regions, settings, time_machine):
    settings.ROSTER_UPLOAD_TTL_MINUTES = 60
    time_machine.move_to(at(9), tick=False)
    roster_upload_stage(by=county_official, file_name="old.xlsx", data=b"old")
    time_machine.move_to(at(9, 30), tick=False)
    fresh = roster_upload_stage(by=county_official, file_name="new.xlsx", data=b"new")
    time_machine.move_to(at(10), tick=False)
    assert roster_uploads_delete_expired() == 1
    assert list(RosterUpload.objects.values_list("token", flat=True)) == [fresh.token]
    time_machine.move_to(at(10, 31), tick=False)
    newest = roster_upload_stage(by=county_official, file_name="newest.xlsx", data=b"newest")
    assert list(RosterUpload.objects.values_list("token", flat=True)) == [newest.token]
