"""The director's worklist and check form on a 390 px phone in a real headless Chromium."""

import datetime

import pytest

from cases.checks.models import Check

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_director_records_a_check_from_my_checks_on_a_phone(open_session, regions, village_director, left_behind):  # noqa: F811
    child = left_behind(regions.village, name="KID-LATE", next_check_due=datetime.date.today() - datetime.timedelta(days=3))
    left_behind(regions.village, name="KID-SOON", next_check_due=datetime.date.today() + datetime.timedelta(days=5))
    director = open_session()
    director.login("director")
    page = director.goto("/cases/checks/")
    director.shoot("checks-01-my-checks")
    page.locator(f"a[href='/cases/checks/child/{child.id}/new/']").click()
    director.shoot("checks-02-check-form")
    page.fill("#id_caregiver", "祖母")
    page.locator("main button[type=submit]").click()
    page.wait_for_url(director.base_url + "/cases/checks/")
    director.shoot("checks-03-after-check")
    check = Check.objects.get()
    assert (check.child_id, check.caregiver) == (child.id, "祖母")
