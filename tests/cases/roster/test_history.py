"""A roster import that brings an existing caseload's dates: categories with the day they began,
the last check, a paid category's first month; the dry run's figures; bad dates refused with
the row number and nothing written."""

import datetime
import io

import pytest
import time_machine
from openpyxl import Workbook

from benefits.enrollments.models import Enrollment
from cases.checks.models import Check
from cases.children.models import CategoryMembership, Child
from cases.roster.services import COLUMNS, roster_import
from welfare.idnumber import make_id_number

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)
HEADERS = ["姓名", "身份证号", "居住村(社区)代码", "类别", "类别起始日期", "最近一次走访日期", "保障起始月份"]


def number(seq: int, birth=datetime.date(2015, 3, 14)) -> str:
    return make_id_number("370402", birth, seq, "M")


def xlsx(rows) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


def test_the_template_names_the_history_columns():
    assert {"类别起始日期", "最近一次走访日期", "保障起始月份"} <= set(COLUMNS.values())


@time_machine.travel(TODAY)
def test_it_imports_a_caseload_with_its_dates_and_the_due_dates_follow_them(county_official, regions):
    file = xlsx([
        ["王小明", number(1), "370402001001", "农村留守儿童", "2024-09-01", "2026-02-10", None],
        ["李小红", number(2), "370402001001", "农村留守儿童(2025-01-05)、散居孤儿(2023-04-10)", None, "2026-05-20", "2023-05"],
        ["赵小刚", number(3), "370402001001", "农村留守儿童", None, None, None],
    ])
    report = roster_import(by=county_official, file=file, commit=True)
    assert report.committed, (report.file_errors, report.row_errors)
    wang = Child.objects.get(name="王小明")
    assert (wang.next_check_due, wang.check_state) == (datetime.date(2026, 5, 10), "overdue")
    assert wang.registered_on == datetime.date(2024, 9, 1)
    assert Check.objects.get(child=wang).checked_on == datetime.date(2026, 2, 10)
    li = Child.objects.get(name="李小红")
    assert dict(li.memberships.values_list("category", "start_date")) == {
        "left_behind": datetime.date(2025, 1, 5), "orphan_scattered": datetime.date(2023, 4, 10)
    }
    assert (li.next_check_due, li.check_state) == (datetime.date(2026, 8, 20), "ok")
    enrollment = Enrollment.objects.get(child=li)
    assert (enrollment.category, enrollment.start_month, enrollment.county) == ("orphan_scattered", datetime.date(2023, 5, 1), regions.county)
    zhao = Child.objects.get(name="赵小刚")  # no history: the clock starts today, as for a new registration
    assert (zhao.registered_on, zhao.next_check_due, zhao.check_state) == (TODAY, datetime.date(2026, 9, 15), "ok")
    assert CategoryMembership.objects.get(child=zhao).start_date == TODAY


@time_machine.travel(TODAY)
def test_the_dry_run_says_how_many_will_be_overdue_and_paid_from_which_month(county_official, regions, client):
    rows = [
        ["王小明", number(1), "370402001001", "农村留守儿童", "2024-09-01", "2026-02-10", None],
        ["钱小丽", number(4), "370402001001", "农村留守儿童", "2025-09-01", None, None],
        ["孙小军", number(5), "370402001001", "农村留守儿童", None, "2026-03-20", None],
        ["李小红", number(2), "370402001001", "散居孤儿", "2023-04-10", None, "2023-05"],
        ["周小梅", number(6), "370402001001", "重点困境儿童", "2024-01-02", None, "2024-02"],
        ["吴小兵", number(7), "370402001001", "重点困境儿童", "2024-01-20", None, "2024-02"],
    ]
    report = roster_import(by=county_official, file=xlsx(rows), commit=False)
    assert report.ok and not report.committed
    assert (report.overdue, report.due_soon) == (2, 1)
    assert report.paid_from == {"2023-05": 1, "2024-02": 2}
    assert not Child.objects.exists() and not Check.objects.exists() and not Enrollment.objects.exists()

    client.force_login(county_official)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("roster.xlsx", xlsx(rows).getvalue())
    page = client.post("/cases/import/", {"file": upload})
    text = page.content.decode()
    assert page.status_code == 200
    assert "2 名留守儿童将逾期未走访" in text and "2024-02" in text


@pytest.mark.parametrize(
    ("cells", "column", "words"),
    [
        (["农村留守儿童", "2026-07-01", None, None], "类别", "不能在未来"),
        (["农村留守儿童", "2026-03-01", "2026-02-01", None], "类别", "晚于最近一次走访日期"),
        (["农村留守儿童", "2026-02-30", None, None], "类别起始日期", "不是日期"),
        (["农村留守儿童", None, "明天", None], "最近一次走访日期", "不是日期"),
        (["农村留守儿童", None, "2026-07-01", None], "最近一次走访日期", "不能晚于今天"),
        (["农村留守儿童(2026-13-01)", None, None, None], "类别", "不是日期"),
        (["农村留守儿童", None, None, "2024-05"], "保障起始月份", "发放"),
        (["散居孤儿", None, None, "2026-09"], "类别", "不能晚于本月"),
        (["散居孤儿", "2024-06-10", None, "2024-05"], "类别", "不能早于该类别开始的月份"),
    ],
)
@time_machine.travel(TODAY)
def test_it_refuses_a_bad_date_with_the_row_in_chinese_and_writes_nothing(county_official, regions, cells, column, words):
    from django.utils import translation

    file = xlsx([
        ["王小明", number(1), "370402001001", "农村留守儿童", None, None, None],
        ["李小红", number(2), "370402001001", *cells],
    ])
    with translation.override("zh-hans"):
        report = roster_import(by=county_official, file=file, commit=True)
    assert not report.committed
    assert [(e.row, e.column) for e in report.row_errors] == [(3, column)], report.row_errors
    assert words in report.row_errors[0].message
    assert not Child.objects.exists() and not Check.objects.exists() and not CategoryMembership.objects.exists()


@time_machine.travel(TODAY)
def test_it_refuses_an_allowance_paid_by_a_county_outside_the_importers_area(county_official, regions):
    file = xlsx([["李小红", number(2), "370402001001", "散居孤儿", "2023-04-10", None, "2023-05"]])
    workbook_rows = ["姓名", "身份证号", "居住村(社区)代码", "户籍地代码", "类别", "类别起始日期", "保障起始月份"]
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(workbook_rows)
    sheet.append(["李小红", number(2), "370402001001", "370403001001", "散居孤儿", "2023-04-10", "2023-05"])
    file = io.BytesIO()
    workbook.save(file)
    file.seek(0)
    report = roster_import(by=county_official, file=file, commit=True)
    assert not report.committed and [e.column for e in report.row_errors] == ["保障起始月份"]
    assert not Child.objects.exists() and not Enrollment.objects.exists()
