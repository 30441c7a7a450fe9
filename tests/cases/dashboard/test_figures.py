"""The dashboard's figures against counts made independently from the seed, at two dates;
scope (an outsider sees nothing of ours); drill-down links; exports; the nightly snapshots."""

import datetime
import io
import re
from collections import Counter
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from cases.applications.models import Application
from cases.checks.models import Check
from cases.children.models import CategoryMembership
from cases.dashboard.models import DashboardSnapshot
from institutions.models import Institution, Staff, Training
from tests.factories import ChildFactory, UserFactory
from welfare.models import AuditLog
from welfare.roles import Role

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2025, 10, 15)
DATES = (D(2025, 3, 31), D(2025, 9, 30))

# (village attr, category, sub_category, start, end): the seed, and what the counts are made from.
MEMBERSHIPS = [
    ("village", "left_behind", "", D(2024, 1, 1), None),
    ("village", "left_behind", "", D(2025, 4, 1), None),
    ("village", "orphan_scattered", "kinship_care", D(2023, 5, 1), None),
    ("village", "de_facto_unsupported", "parents_imprisoned", D(2024, 6, 1), D(2025, 6, 30)),
    ("village_b", "left_behind", "", D(2024, 2, 1), D(2025, 3, 31)),
    ("village_b", "key_difficulty", "disabled", D(2025, 1, 1), None),
    ("village_b", "key_difficulty", "", D(2025, 5, 1), None),
    ("village_c", "left_behind", "", D(2023, 1, 1), None),
    ("village_c", "orphan_institution", "", D(2022, 1, 1), D(2025, 3, 30)),
    ("village_c", "migrant", "", D(2025, 9, 30), None),
    ("other_village", "left_behind", "", D(2020, 1, 1), None),
    ("other_village", "orphan_scattered", "", D(2020, 1, 1), None),
    ("other_village", "key_difficulty", "disabled", D(2020, 1, 1), None),
]
# One child of village A is also a migrant child: counted once among the children.
MEMBERSHIPS.append(("village", "migrant", "", D(2025, 1, 1), None))
SHARED = {len(MEMBERSHIPS) - 1: 0}  # MEMBERSHIPS index → the entry whose child it shares
OURS = ("village", "village_b", "village_c")
TOWNSHIP_OF = {
    "village": "township",
    "village_b": "township",
    "village_c": "township_2",
    "other_village": "other_township",
}
# (village attr, next_check_due)
DUE = [
    ("village", D(2025, 3, 1)),
    ("village", D(2025, 9, 1)),
    ("village_b", D(2025, 12, 1)),
    ("village_c", D(2025, 3, 30)),
    ("other_village", D(2024, 1, 1)),
]
# (village attr, submitted_on, due_on, decided_on, status)
APPLICATIONS = [
    ("village", D(2025, 3, 1), D(2025, 3, 14), None, "submitted"),
    ("village_b", D(2025, 3, 20), D(2025, 4, 3), D(2025, 4, 1), "approved"),
    ("village_c", D(2025, 9, 1), D(2025, 9, 12), None, "reviewed"),
    ("other_village", D(2025, 3, 1), D(2025, 3, 5), None, "submitted"),
]


def expected_categories(regions, on, villages):
    c = Counter()
    for v, cat, _sub, start, end in MEMBERSHIPS:
        if v in villages and start <= on and (end is None or end >= on):
            c[cat] += 1
    return c


def expected_children(on, villages):
    owners = set()
    for i, (v, _cat, _sub, start, end) in enumerate(MEMBERSHIPS):
        if v in villages and start <= on and (end is None or end >= on):
            owners.add(SHARED.get(i, i))
    return len(owners)


def expected_subs(on, villages):
    c = Counter()
    for v, cat, sub, start, end in MEMBERSHIPS:
        if v in villages and start <= on and (end is None or end >= on):
            c[(cat, sub)] += 1
    return c


def expected_overdue(on, villages):
    return sum(1 for v, due in DUE if v in villages and due < on)


def expected_pending(on, villages):
    pending = [a for a in APPLICATIONS if a[0] in villages and a[1] <= on and (a[3] is None or a[3] > on)]
    return len(pending), sum(1 for a in pending if a[2] < on)


@pytest.fixture
def seeded(regions):
    with time_machine.travel(datetime.datetime(2025, 10, 15, 10, 0), tick=False):
        children = {}
        for i, (v, cat, sub, start, end) in enumerate(MEMBERSHIPS):
            owner = SHARED.get(i, i)
            child = children.get(owner) or children.setdefault(owner, ChildFactory(region=getattr(regions, v)))
            CategoryMembership.objects.create(
                child=child, category=cat, sub_category=sub, start_date=start, end_date=end
            )
        for v, due in DUE:
            ChildFactory(region=getattr(regions, v), next_check_due=due, check_state="overdue")
        for v, submitted, due, decided, status in APPLICATIONS:
            child = ChildFactory(region=getattr(regions, v))
            Application.objects.create(
                child=child,
                category="orphan_scattered",
                received_region=getattr(regions, TOWNSHIP_OF[v]),
                county=getattr(regions, v).parent.parent,
                status=status,
                submitted_on=submitted,
                due_on=due,
                decided_on=decided,
            )
        # Child directors: villages A and C have one (A's trained), B none (C's director left B).
        a = Staff.objects.create(name="A", position="child_director", region=regions.village)
        Training.objects.create(staff=a, title="t", held_on=D(2025, 5, 1))
        Staff.objects.create(name="C", position="child_director", region=regions.village_c)
        Staff.objects.create(name="B-left", position="child_director", region=regions.village_b, left_on=D(2025, 1, 1))
        Staff.objects.create(name="Other", position="child_director", region=regions.other_village)
        Institution.objects.create(name="福利院", kind="welfare", region=regions.county)
        Institution.objects.create(name="工作站", kind="workstation", region=regions.township)
        Institution.objects.create(name="其他", kind="welfare", region=regions.other_county)
        # Checks this quarter (Q3 2025) for the left-behind child of village C.
        lb_c = CategoryMembership.objects.get(category="left_behind", child__region=regions.village_c).child
        Check.objects.create(child=lb_c, checked_on=D(2025, 8, 1))
    return regions


def _api(api_client, user, **params):
    api_client.force_authenticate(user)
    return api_client.get("/api/dashboard/summary/", params)


@time_machine.travel(datetime.datetime(2025, 10, 15, 10, 0), tick=False)
@pytest.mark.parametrize("on", DATES)
@pytest.mark.parametrize(
    "level,villages",
    [
        ("county", OURS),
        ("township", ("village", "village_b")),
        ("village_c", ("village_c",)),
        ("city", (*OURS, "other_village")),
        ("province", (*OURS, "other_village")),
    ],
)
def test_it_matches_independent_counts(seeded, api_client, province_official, on, level, villages):
    region = getattr(seeded, level)
    response = _api(api_client, province_official, region=region.code, date=on.isoformat())
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["region"] == region.code and body["date"] == on.isoformat()
    expected = expected_categories(seeded, on, villages)
    assert {k: v for k, v in body["children_by_category"].items() if v} == dict(expected)
    assert body["children"] == expected_children(on, villages)
    subs = {(c, s): n for c, d in body["children_by_sub_category"].items() for s, n in d.items()}
    assert subs == dict(expected_subs(on, villages))
    assert body["overdue_checks"] == expected_overdue(on, villages)
    pending, late = expected_pending(on, villages)
    assert (body["pending_applications"], body["overdue_applications"]) == (pending, late)


@time_machine.travel(datetime.datetime(2025, 10, 15, 10, 0), tick=False)
def test_it_shows_the_county_page_with_the_same_figures_at_two_dates(seeded, client, county_official):
    client.force_login(county_official)
    for on in DATES:
        html = client.get(reverse("cases:dashboard"), {"date": on.isoformat()}).content.decode()
        expected = expected_categories(seeded, on, OURS)
        for cat, n in expected.items():
            assert re.search(rf'data-category="{cat}">{n}<', html), (cat, n)
        assert f'data-figure="overdue_checks">{expected_overdue(on, OURS)}<' in html
        assert f'data-figure="children">{expected_children(on, OURS)}<' in html
        pending, late = expected_pending(on, OURS)
        assert f'data-figure="pending_applications">{pending}<' in html
        assert f'data-figure="overdue_applications">{late}<' in html


@time_machine.travel(datetime.datetime(2025, 10, 15, 10, 0), tick=False)
def test_it_counts_child_directors_training_quarter_checks_and_institutions(
    seeded, api_client, county_official, client
):
    body = _api(api_client, county_official, date="2025-09-30").json()
    assert (body["villages"], body["villages_with_child_director"]) == (3, 2)
    assert (body["child_directors"], body["child_directors_trained"]) == (2, 1)
    # Q3 2025: left-behind children of the county whose membership overlaps the quarter: A has 2, C has 1.
    assert body["quarter_checks"] == {"children": 3, "checked": 1}
    from cases.checks.selectors import check_quarter_completion

    theirs = check_quarter_completion(user=county_official, region=seeded.county, year=2025, quarter=3)
    assert (theirs["total"], theirs["checked"]) == (3, 1)
    client.force_login(county_official)
    html = client.get(reverse("cases:dashboard_villages")).content.decode()
    assert seeded.village_b.name in html and seeded.village.name not in html and seeded.other_village.name not in html
    page = client.get(reverse("cases:dashboard")).content.decode()
    assert 'data-figure="villages_without_director">1<' in page


@time_machine.travel(datetime.datetime(2025, 10, 15, 10, 0), tick=False)
def test_it_shows_an_outsider_none_of_another_countys_figures(seeded, api_client, client, outsider):
    assert _api(api_client, outsider, region=seeded.county.code).status_code == 404
    assert _api(api_client, outsider, region=seeded.village.code).status_code == 404
    assert _api(api_client, outsider, region=seeded.city.code).status_code == 404
    own = _api(api_client, outsider).json()
    assert own["region"] == seeded.other_county.code
    assert {k: v for k, v in own["children_by_category"].items() if v} == dict(
        expected_categories(seeded, TODAY, ("other_village",))
    )
    client.force_login(outsider)
    for url in (
        reverse("cases:dashboard"),
        reverse("cases:dashboard_villages"),
        reverse("cases:dashboard_export", args=["categories"]),
    ):
        assert client.get(url, {"region": seeded.county.code}).status_code == 404
    html = client.get(reverse("cases:dashboard")).content.decode()
    assert seeded.county.name not in html and seeded.township.name not in html and "370402" not in html


def test_it_refuses_anonymous_callers(seeded, api_client, client):
    assert _api(api_client, None).status_code in (401, 403)
    assert client.get(reverse("cases:dashboard")).status_code == 302


@time_machine.travel(datetime.datetime(2025, 10, 15, 10, 0), tick=False)
def test_it_answers_a_bad_or_future_date_with_400(seeded, api_client, client, county_official):
    for value in ("2025-13-01", "yesterday", "2025-10-16"):
        response = _api(api_client, county_official, date=value)
        assert response.status_code == 400 and "date" in response.json()
    client.force_login(county_official)
    assert client.get(reverse("cases:dashboard"), {"date": "nope"}).status_code == 400


@time_machine.travel(datetime.datetime(2025, 10, 15, 10, 0), tick=False)
def test_it_links_drill_down_and_lists_within_scope(seeded, client, county_official, city_official):
    client.force_login(city_official)
    html = client.get(reverse("cases:dashboard")).content.decode()
    drills = set(re.findall(r'data-drill="(\d+)"', html))
    assert drills == {seeded.county.code, seeded.other_county.code}
    client.force_login(county_official)
    html = client.get(reverse("cases:dashboard")).content.decode()
    assert set(re.findall(r'data-drill="(\d+)"', html)) == {seeded.township.code, seeded.township_2.code}
    # Every region named in a link is the county or below it; the city above is not a link.
    linked = set(re.findall(r"region=(\d+)", html))
    assert linked and all(code.startswith(seeded.county.code) for code in linked)
    assert f'href="?region={seeded.city.code}' not in html
    # Numbers link to the scoped children list with region and category.
    assert f"region={seeded.county.code}&amp;category=left_behind" in html
    # A township page drills to its villages.
    html = client.get(reverse("cases:dashboard"), {"region": seeded.township.code}).content.decode()
    assert set(re.findall(r'data-drill="(\d+)"', html)) == {seeded.village.code, seeded.village_b.code}


@time_machine.travel(datetime.datetime(2025, 10, 15, 10, 0), tick=False)
def test_it_exports_every_table_to_xlsx_and_logs_it(seeded, client, county_official, village_director, settings):
    client.force_login(county_official)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for table in ("categories", "subregions", "trend", "payouts", "institutions", "standards", "applications"):
        response = client.get(reverse("cases:dashboard_export", args=[table]), {"date": "2025-09-30"})
        assert response.status_code == 200, table
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet.max_row >= 2, table
    response = client.get(reverse("cases:dashboard_export", args=["categories"]), {"date": "2025-09-30"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    counts = {r[0]: r[2] for r in rows[1:] if not r[1]}
    assert counts["Rural left-behind child"] == expected_categories(seeded, D(2025, 9, 30), OURS)["left_behind"]
    assert AuditLog.objects.filter(action="dashboard.export", actor=county_official).count() == 8
    client.force_login(village_director)
    assert client.get(reverse("cases:dashboard_export", args=["categories"])).status_code == 403


@time_machine.travel(datetime.datetime(2025, 10, 15, 10, 0), tick=False)
def test_it_shows_the_trend_at_month_ends(seeded, client, county_official):
    from cases.dashboard.selectors import dashboard_summary

    dash = dashboard_summary(user=county_official, region=seeded.county, on=D(2025, 9, 30))
    assert len(dash.trend) == 12
    for day, f in zip(dash.trend_points, dash.trend, strict=True):
        assert dict(+f.categories) == dict(expected_categories(seeded, day, OURS)), day
    assert dash.trend_points[0] == D(2024, 10, 31) and dash.trend_points[-1] == D(2025, 9, 30)


@time_machine.travel(datetime.datetime(2025, 10, 15, 10, 0), tick=False)
def test_it_sums_city_and_province_from_snapshots_and_says_how_fresh(seeded, client, province_official):
    from cases.dashboard.selectors import dashboard_summary
    from cases.dashboard.tasks import dashboard_snapshots_refresh_task

    assert dashboard_snapshots_refresh_task.delay("2025-10-15").get() == 1
    # Every township, county, city and the province on the day; all but townships at eleven month ends.
    assert DashboardSnapshot.objects.filter(kind="day", on=TODAY).count() == 3 + 2 + 1 + 1
    assert DashboardSnapshot.objects.filter(kind="month").count() == (2 + 1 + 1) * 11
    dash = dashboard_summary(user=province_official, region=seeded.province, on=TODAY)
    assert dash.computed_at is not None
    assert dict(+dash.total.categories) == dict(expected_categories(seeded, TODAY, (*OURS, "other_village")))
    for day, f in zip(dash.trend_points, dash.trend, strict=True):
        assert dict(+f.categories) == dict(expected_categories(seeded, day, (*OURS, "other_village"))), day
    client.force_login(province_official)
    html = client.get(reverse("cases:dashboard")).content.decode()
    fresh = re.search(r'<p class="dash-fresh">(.*?)</p>', html, re.S).group(1)
    assert "2025-10-15 18:00" in fresh, fresh


@time_machine.travel(datetime.datetime(2025, 10, 15, 10, 0), tick=False)
def test_it_shows_money_paid_per_month_and_standards_with_their_change(seeded, county_official, api_client):
    from benefits.enrollments.models import Enrollment
    from benefits.payouts.models import Payout, PayoutRun
    from benefits.standards.models import WelfareStandard
    from cases.dashboard.selectors import dashboard_summary

    s24 = WelfareStandard.objects.create(
        region=seeded.province,
        category="orphan_scattered",
        monthly_amount=Decimal("1400.00"),
        effective_from=D(2024, 1, 1),
        is_minimum=True,
    )
    WelfareStandard.objects.create(
        region=seeded.county,
        category="orphan_scattered",
        monthly_amount=Decimal("1600.00"),
        effective_from=D(2025, 1, 1),
    )
    child = CategoryMembership.objects.get(category="orphan_scattered", child__region=seeded.village).child
    enrollment = Enrollment.objects.create(
        child=child, category="orphan_scattered", county=seeded.county, start_month=D(2025, 1, 1)
    )
    for month, status in ((D(2025, 8, 1), "approved"), (D(2025, 9, 1), "exported"), (D(2025, 10, 1), "draft")):
        run = PayoutRun.objects.create(region=seeded.county, month=month, status=status)
        Payout.objects.create(
            run=run,
            child=child,
            enrollment=enrollment,
            category="orphan_scattered",
            month=month,
            amount=Decimal("1600.00"),
            standard=s24,
        )
    dash = dashboard_summary(user=county_official, region=seeded.county, on=D(2025, 10, 15))
    paid = {
        day.strftime("%Y-%m"): f.paid_amount.get("orphan_scattered")
        for day, f in zip(dash.trend_points, dash.trend, strict=True)
    }
    assert paid["2025-08"] == Decimal("1600.00") and paid["2025-09"] == Decimal("1600.00")
    assert paid["2025-10"] is None  # a draft run is not money paid
    row = next(s for s in dash.standards if s["category"] == "orphan_scattered")
    assert (row["now_amount"], row["before_amount"], row["change"]) == (
        Decimal("1600.00"),
        Decimal("1400.00"),
        Decimal("200.00"),
    )
    assert row["change_percent"] == Decimal("14.3")
    body = _api(api_client, county_official, date="2025-09-30").json()
    assert body["paid_in_month"] == {"orphan_scattered": {"count": 1, "amount": "1600.00"}}


@time_machine.travel(datetime.datetime(2025, 10, 15, 10, 0), tick=False)
def test_it_defaults_to_the_users_own_region_and_renders_for_every_level(seeded, client, village_director, admin_user):
    client.force_login(village_director)
    response = client.get(reverse("cases:dashboard"))
    assert response.status_code == 200 and response.context["region"] == seeded.village
    client.force_login(admin_user)
    response = client.get(reverse("cases:dashboard"))
    assert response.status_code == 200 and response.context["region"] == seeded.province
    staff = UserFactory(username="nobody", role=Role.COUNTY_OFFICIAL, region=None)
    client.force_login(staff)
    assert client.get(reverse("cases:dashboard")).status_code == 404


def test_it_serves_charts_from_local_files_small_enough_for_a_phone(seeded, client, county_official):
    """Nothing from the internet; the page's scripts and styles stay under 500 KB compressed."""
    import gzip
    from pathlib import Path

    from django.conf import settings

    client.force_login(county_official)
    html = client.get(reverse("cases:dashboard")).content.decode()
    assets = re.findall(r'(?:src|href)="/static/([^"]+\.(?:js|css))"', html)
    assert "vendor/echarts/echarts.common.min.js" in assets and "js/dashboard.js" in assets
    assert "http://" not in html.split("<main")[1] and "https://" not in html.split("<main")[1]
    static = Path(settings.BASE_DIR) / "static"
    transferred = sum(len(gzip.compress((static / a).read_bytes(), 9)) for a in assets) + len(
        gzip.compress(html.encode())
    )
    assert transferred <= 500 * 1024, transferred
