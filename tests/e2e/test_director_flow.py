"""The daily flow in a real headless Chromium: a child director registers a child with a
guardian, records a check and files an application; the supervisor reviews; the county approves.
Screenshots of each main page at 390 px and 1280 px go to test-artifacts/screenshots/."""

import datetime
import re

import pytest

from cases.children.models import Child, Draft
from tests.factories import id_number_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MAX_ASSET_BYTES = 500 * 1024


def assert_light(session):
    total = sum(session.asset_bytes.values())
    assert total < MAX_ASSET_BYTES, f"{total} bytes of assets: {session.asset_bytes}"
    assert all(url.startswith(session.base_url) for url in session.asset_bytes), "an asset came from outside"


def test_it_registers_reviews_and_returns_a_child_in_a_real_browser(
    open_session, regions, village_director, township_supervisor, county_official
):
    number = id_number_for(regions.village, datetime.date(2014, 9, 3), "F")
    director = open_session()
    page = director.login("director")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    director.shoot("01-home-director")

    # Find a child: nobody yet.
    director.goto("/cases/children/?q=" + "王")
    director.shoot("02-find-child")

    # Register a child: the identity number is checked as it is typed and fills birth date and sex.
    page = director.goto("/cases/children/new/")
    assert_light(director)
    page.fill("#id_name", "王小花")
    bad = number[:17] + ("0" if number[17] != "0" else "1")
    page.locator("#id_id_number").press_sequentially(bad)
    assert "bad" in page.locator("#id_id_number_live").get_attribute("class")
    director.shoot("03-register-bad-number")
    page.fill("#id_id_number", "")
    page.locator("#id_id_number").press_sequentially(number)
    page.locator("#id_id_number").blur()
    assert page.input_value("#id_birth_date") == "2014-09-03"
    assert page.input_value("#id_sex") == "F"
    page.check("input[name=categories][value=left_behind]")
    page.fill("#id_guardians-0-name", "王奶奶")
    page.select_option("#id_guardians-0-relation", "grandparent")
    page.fill("#id_guardians-0-phone", "13800000001")
    director.shoot("04-register-filled")
    page.locator("button[name=register]").click()
    page.wait_for_url(re.compile(r"/cases/children/\d+/$"))
    child = Child.objects.with_id_number(number).get()
    assert child.guardians.get().name == "王奶奶"
    assert page.locator("h1").inner_text().startswith("王小花")
    director.shoot("05-child-detail")

    # Record a check (the checks pages), from the child's page.
    page.locator("main a.button[href*='/cases/checks/']").click()
    page.wait_for_url(re.compile(r"/cases/checks/"))
    if not page.input_value("#id_checked_on"):  # the checks form's date may render localised, not ISO
        page.fill("#id_checked_on", datetime.date.today().isoformat())
    page.fill("#id_caregiver", "王奶奶")
    page.fill("#id_notes", "孩子身体健康，按时上学。")
    director.shoot("05b-record-check", strict=False)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/cases/checks/$"))
    assert child.checks.get().notes == "孩子身体健康，按时上学。"
    director.shoot("05c-checks-mine", strict=False)

    # File an application for the family (the recognition pages), from the child's page.
    page = director.goto(f"/cases/children/{child.id}/")
    page.locator("main a.button[href*='/cases/applications/new/']").click()
    page.wait_for_url(re.compile(r"/cases/applications/new/"))
    # Filed from the child's page: the child is known, no identity number to retype.
    assert page.locator("#id_child_id_number").count() == 0
    page.select_option("#id_category", "de_facto_unsupported")
    page.fill("#id_reason", "父亲服刑，母亲失联，由祖母照料。")
    director.shoot("05d-file-application", strict=False)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/cases/applications/\d+/$"))
    application = child.applications.get()
    assert application.status == "submitted"
    director.shoot("05e-application-filed", strict=False)

    # The supervisor returns it with a comment.
    supervisor = open_session()
    supervisor.login("supervisor")
    supervisor.shoot("06-home-supervisor")
    page = supervisor.goto("/cases/review/")
    assert_light(supervisor)
    item = page.locator("ul.cards > li", has_text="王小花")
    item.locator("summary").click()
    item.locator("input[value=return]").check()
    item.locator("textarea[name=comment]").fill("请补充学校名称")
    supervisor.shoot("07-review-queue")
    item.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/cases/review/$"))
    child.refresh_from_db()
    assert child.review_status == Child.ReviewStatus.RETURNED

    # It is back on the director's worklist with the comment; the director corrects it.
    page = director.goto("/cases/worklist/")
    assert "请补充学校名称" in page.locator("main").inner_text()
    director.shoot("08-worklist-returned")
    page.locator("main a[href$='/edit/']").first.click()
    page.fill("#id_school", "东村小学")
    director.shoot("09-correct-child")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/cases/children/\d+/$"))
    child.refresh_from_db()
    assert child.school == "东村小学" and child.review_status == Child.ReviewStatus.PENDING

    # The supervisor approves it from the child's page.
    page = supervisor.goto(f"/cases/children/{child.id}/")
    page.locator("input[name=decision][value=approve]").check()
    page.locator("section.panel button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/cases/children/{child.id}/$"))
    child.refresh_from_db()
    assert child.review_status == Child.ReviewStatus.APPROVED
    supervisor.shoot("10-child-approved")

    # The supervisor reviews the application; the county approves it.
    page = supervisor.goto("/cases/applications/township/")
    supervisor.shoot("10a-applications-to-review", strict=False)
    page.locator("main ul.cards a", has_text="王小花").click()
    page.wait_for_url(re.compile(rf"/cases/applications/{application.id}/$"))
    page.locator("form:has(input[name=action][value=review]) textarea").fill("情况属实，同意上报。")
    page.locator("form:has(input[name=action][value=review]) button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/cases/applications/{application.id}/$"))
    application.refresh_from_db()
    assert application.status == "reviewed"

    county = open_session()
    county.login("county")
    county.shoot("10b-home-county")
    page = county.goto("/cases/applications/county/")
    assert_light(county)
    county.shoot("10c-applications-to-decide", strict=False)
    page.locator("main ul.cards a", has_text="王小花").click()
    page.wait_for_url(re.compile(rf"/cases/applications/{application.id}/$"))
    page.locator("form:has(input[name=action][value=approve]) button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/cases/applications/{application.id}/$"))
    application.refresh_from_db()
    assert application.status == "approved"
    county.shoot("10d-application-approved", strict=False)
    county.goto("/cases/dashboard/")
    county.shoot("10e-dashboard-county", strict=False)

    # The director adds a second guardian and a category.
    page = director.goto(f"/cases/children/{child.id}/guardians/new/")
    page.fill("#id_name", "王爸爸")
    page.select_option("#id_relation", "father")
    page.check("#id_is_migrant_worker")
    page.fill("#id_work_place", "广东省深圳市")
    director.shoot("13-add-guardian")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/cases/children/{child.id}/$"))
    page = director.goto(f"/cases/children/{child.id}/categories/")
    page.select_option("#id_category", "guardianship_risk")
    page.locator("main form:has(#id_category) button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/cases/children/{child.id}/categories/$"))
    director.shoot("14-categories")
    assert {"left_behind", "guardianship_risk", "de_facto_unsupported"} <= set(
        child.memberships.values_list("category", flat=True)
    )
    assert child.guardians.count() == 2


def test_it_logs_in_with_the_keyboard_saves_a_draft_and_switches_to_english(
    open_session, regions, village_director, county_official
):
    director = open_session()
    page = director.goto("/login/")
    assert_light(director)
    director.shoot("00-login")
    assert page.evaluate("document.activeElement.id") == "id_username"  # the cursor starts in the first field
    page.keyboard.type("director")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_password"
    page.keyboard.type("Pass-word-123")
    page.keyboard.press("Enter")
    page.wait_for_url(director.base_url + "/")
    assert page.locator("main .tiles a").count() >= 3
    page = director.goto("/cases/children/new/")
    page.fill("#id_name", "草稿儿童")
    page.fill("#id_guardians-0-name", "李爷爷")
    page.locator("button[name=save_draft]").click()
    page.wait_for_url(re.compile(r"draft=\d+"))
    assert page.input_value("#id_name") == "草稿儿童"
    assert page.input_value("#id_guardians-0-name") == "李爷爷"
    page = director.goto("/cases/worklist/")
    assert "草稿儿童" in page.locator("main").inner_text()
    director.shoot("11a-worklist-draft")

    # Finish the draft later; a double click on the button registers the child once.
    page.locator("main a", has_text="草稿儿童").click()
    page.wait_for_url(re.compile(r"draft=\d+"))
    page.fill("#id_id_number", id_number_for(regions.village, datetime.date(2012, 1, 8), "M"))
    page.locator("#id_id_number").blur()
    page.select_option("#id_guardians-0-relation", "grandparent")
    page.locator("button[name=register]").dblclick()
    page.wait_for_url(re.compile(r"/cases/children/\d+/$"))
    assert Child.objects.filter(name="草稿儿童").count() == 1
    assert Child.objects.get(name="草稿儿童").guardians.get().name == "李爷爷"
    assert not Draft.objects.exists()

    page = director.goto("/cases/worklist/")
    page.select_option("#language-select", "en")
    page.wait_for_load_state()
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.locator("main h1").inner_text() == "My worklist"
    director.shoot("11-worklist-english")

    county = open_session()
    page = county.login("county")
    assert page.locator("main .tiles a[data-key=child_review]").count() == 1
    county.shoot("12-home-county")


def test_it_checks_identity_numbers_in_the_browser_exactly_as_the_server_does(open_session, regions, village_director):
    from django.core.exceptions import ValidationError

    from welfare.idnumber import make_id_number, parse_id_number

    numbers = []
    for i, (code, birth, sex) in enumerate(
        [
            ("370402", datetime.date(2015, 3, 14), "M"),
            ("110101", datetime.date(2008, 2, 29), "F"),
            ("440305", datetime.date(2019, 12, 31), "M"),
        ]
    ):
        good = make_id_number(code, birth, i, sex)
        numbers += [
            good,
            good.lower(),
            good[:17] + ("1" if good[17] != "1" else "2"),
            "99" + good[2:],
            good[:10] + "1399" + good[14:],
            good[:17],
        ]
    numbers += ["37040220150229123X", "370402210001011234", "11010119000101123X"]
    director = open_session()
    page = director.login("director")
    browser_answers = page.evaluate("(ns) => ns.map((n) => window.welfareParseIdNumber(n))", numbers)
    for number, answer in zip(numbers, browser_answers, strict=True):
        try:
            info = parse_id_number(number)
        except ValidationError:
            assert answer["ok"] is False, number
        else:
            assert answer == {"ok": True, "birth": info.birth_date.isoformat(), "sex": info.sex}, number
