import datetime
import io

import pytest
from openpyxl import load_workbook

from cases.checks.models import Check
from cases.checks.selectors import check_quarter_completion
from cases.checks.services import checks_flag_overdue
from cases.children.models import CategoryMembership
from tests.factories import CheckFactory
from welfare.errors import PermissionDeniedError
from welfare.models import AuditLog, Notification

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def kids(regions, left_behind, today):
    return type("Kids", (), dict(
        late=left_behind(regions.village, name="KID-LATE", next_check_due=D(2025, 2, 20)),
        soon=left_behind(regions.village, name="KID-SOON", next_check_due=D(2025, 3, 10)),
        fine=left_behind(regions.village, name="KID-FINE", next_check_due=D(2025, 5, 1)),
        b_late=left_behind(regions.village_b, name="KID-BLATE", next_check_due=D(2025, 1, 20)),
        c_late=left_behind(regions.village_c, name="KID-CLATE", next_check_due=D(2025, 2, 1)),
        far=left_behind(regions.other_village, name="KID-FAR", next_check_due=D(2025, 1, 1)),
    ))


def names(response):
    return response.content.decode()


def test_my_checks_lists_the_directors_children_by_due_date_with_the_form_a_tap_away(client, village_director, kids):
    client.force_login(village_director)
    html = names(client.get("/cases/checks/"))
    assert html.index("KID-LATE") < html.index("KID-SOON") < html.index("KID-FINE")
    assert "KID-BLATE" not in html and "KID-FAR" not in html
    assert f"/cases/checks/child/{kids.late.id}/new/" in html
    assert 'name="viewport"' in html


def test_my_checks_shows_the_outsider_nothing_of_ours(client, outsider_director, kids):
    client.force_login(outsider_director)
    html = names(client.get("/cases/checks/"))
    assert "KID-FAR" in html and "KID-LATE" not in html


def test_my_checks_filters_by_state(client, village_director, kids):
    client.force_login(village_director)
    html = names(client.get("/cases/checks/?state=overdue"))
    assert "KID-LATE" in html and "KID-SOON" not in html


def test_my_checks_shows_who_left_the_list_and_why(client, village_director, kids):
    CategoryMembership.objects.filter(child=kids.fine).update(end_date=D(2025, 2, 25), end_reason="父母返乡")
    checks_flag_overdue(today=D(2025, 3, 1))
    client.force_login(village_director)
    html = names(client.get("/cases/checks/"))
    assert "父母返乡" in html


def test_my_checks_runs_a_constant_number_of_queries(client, village_director, kids, left_behind, regions, django_assert_max_num_queries):
    for _ in range(10):
        left_behind(regions.village, next_check_due=D(2025, 4, 1))
    client.force_login(village_director)
    with django_assert_max_num_queries(12):
        assert client.get("/cases/checks/").status_code == 200


def test_the_check_form_records_a_check(client, village_director, kids):
    client.force_login(village_director)
    response = client.post(f"/cases/checks/child/{kids.late.id}/new/", {
        "checked_on": "2025-02-28", "kind": "routine", "risk_level": "low", "caregiver": "祖父", "father_away": "true",
    })
    assert response.status_code == 302
    check = Check.objects.get()
    assert (check.child, check.caregiver, check.father_away) == (kids.late, "祖父", True)
    kids.late.refresh_from_db()
    assert kids.late.next_check_due == D(2025, 5, 28)


def test_the_check_form_shows_a_clear_message_for_a_future_date_and_saves_nothing(client, village_director, kids):
    client.force_login(village_director)
    response = client.post(f"/cases/checks/child/{kids.late.id}/new/", {"checked_on": "2025-03-05", "kind": "routine", "risk_level": "low"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "cannot be in the future" in names(response)
    assert not Check.objects.exists()


def test_the_check_form_is_not_found_for_a_child_outside_scope(client, outsider_director, kids):
    client.force_login(outsider_director)
    assert client.get(f"/cases/checks/child/{kids.late.id}/new/").status_code == 404
    assert client.post(f"/cases/checks/child/{kids.late.id}/new/", {"checked_on": "2025-02-28", "kind": "routine", "risk_level": "low"}).status_code == 404
    assert not Check.objects.exists()


def test_the_overdue_page_counts_by_village_for_the_township(client, township_supervisor, kids):
    client.force_login(township_supervisor)
    response = client.get("/cases/checks/overdue/")
    villages = {r["village"].name: (r["overdue"], r["due_soon"], r["tracked"]) for t in response.context["townships"] for r in t["rows"]}
    assert villages == {"东村社区": (1, 1, 3), "西村社区": (1, 0, 1)}


def test_the_overdue_page_groups_the_county_by_township(client, county_official, kids):
    client.force_login(county_official)
    response = client.get("/cases/checks/overdue/")
    assert [(t["township"].name, t["overdue"]) for t in response.context["townships"]] == [("中心街道", 2), ("光明街道", 1)]
    assert response.context["totals"] == {"tracked": 5, "overdue": 3, "due_soon": 1}


def test_the_overdue_page_drills_down_to_a_village(client, county_official, kids, regions):
    client.force_login(county_official)
    html = names(client.get(f"/cases/checks/overdue/?village={regions.village.code}"))
    assert "KID-LATE" in html and "KID-SOON" in html and "KID-FINE" not in html and "KID-BLATE" not in html


def test_the_overdue_page_shows_the_outsider_nothing_and_hides_our_villages(client, outsider, kids, regions):
    client.force_login(outsider)
    response = client.get("/cases/checks/overdue/")
    assert [r["village"].name for t in response.context["townships"] for r in t["rows"]] == ["北村社区"]
    assert client.get(f"/cases/checks/overdue/?village={regions.village.code}").status_code == 404
    assert client.get(f"/cases/checks/overdue/?village={regions.village.code}&format=xlsx").status_code == 404


def test_the_overdue_list_exports_to_xlsx_with_masked_numbers_and_a_log(client, county_official, kids):
    client.force_login(county_official)
    response = client.get("/cases/checks/overdue/?format=xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 4
    assert {r[3] for r in rows[1:]} == {"KID-LATE", "KID-SOON", "KID-BLATE", "KID-CLATE"}
    assert all("*" in r[4] for r in rows[1:])
    assert AuditLog.objects.filter(action="export.overdue_checks", record_count=4, actor=county_official).exists()


def test_a_village_director_cannot_export(client, village_director, kids):
    client.force_login(village_director)
    assert client.get("/cases/checks/overdue/?format=xlsx").status_code == 403


def test_quarter_completion_is_the_share_checked_in_the_calendar_quarter(regions, county_official, kids):
    CheckFactory(child=kids.late, checked_on=D(2025, 1, 15))
    CheckFactory(child=kids.soon, checked_on=D(2024, 12, 31))  # the previous quarter
    CheckFactory(child=kids.c_late, checked_on=D(2025, 3, 31))
    CheckFactory(child=kids.far, checked_on=D(2025, 2, 1))  # another county
    result = check_quarter_completion(user=county_official, region=regions.county, year=2025, quarter=1)
    assert (result["checked"], result["total"]) == (2, 5)
    assert [(r["region"].name, r["checked"], r["total"]) for r in result["rows"]] == [("中心街道", 1, 4), ("光明街道", 1, 1)]
    village = check_quarter_completion(user=county_official, region=regions.village, year=2025, quarter=1)
    assert (village["checked"], village["total"]) == (1, 3)


def test_quarter_completion_refuses_a_region_outside_scope(regions, outsider, kids):
    with pytest.raises(PermissionDeniedError):
        check_quarter_completion(user=outsider, region=regions.county, year=2025, quarter=1)


def test_the_completion_page_shows_the_share(client, township_supervisor, kids):
    CheckFactory(child=kids.late, checked_on=D(2025, 1, 15))
    client.force_login(township_supervisor)
    response = client.get("/cases/checks/completion/?year=2025&quarter=1")
    assert response.status_code == 200
    assert (response.context["result"]["checked"], response.context["result"]["total"]) == (1, 4)
    assert client.get("/cases/checks/completion/?year=2025&quarter=1&region=370403").status_code == 404


def test_notifications_page_shows_only_ones_own(client, village_director, outsider_director, township_supervisor, kids):
    checks_flag_overdue(today=D(2025, 3, 1))
    client.force_login(village_director)
    html = names(client.get("/cases/checks/notifications/"))
    assert "KID-LATE" in html and "KID-FAR" not in html
    theirs = Notification.objects.get(recipient=outsider_director)
    assert client.post(f"/cases/checks/notifications/{theirs.id}/read/").status_code == 404
    mine = Notification.objects.get(recipient=village_director)
    assert client.post(f"/cases/checks/notifications/{mine.id}/read/", {"follow": "1"}).url == "/cases/checks/"
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_every_check_page_requires_a_login(client, kids):
    for url in ("/cases/checks/", "/cases/checks/overdue/", "/cases/checks/completion/", "/cases/checks/campaigns/", "/cases/checks/notifications/"):
        assert client.get(url).status_code == 302
