"""The casework part of the county, city and province dashboards: figures against counts made
independently from a small world of two counties (the other county's cases are never ours), at
today and at a date before; one query per figure whatever the number of regions and cases; the
export of each table (logged); the section for county, city and province, with links to the
screening queue and the worklist for the county and plain numbers for the city and province;
the Chinese labels."""

import csv
import datetime
import io
import re
from collections import Counter
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from cases.dashboard.selectors import dashboard_casework
from cases.dashboard.services import dashboard_snapshots_refresh
from cases.protection.models import Assessment, Case, CaseReport, FollowUp, Referral
from tests.factories import ChildFactory, RegionFactory, UserFactory
from welfare.models import AuditLog, Region
from welfare.roles import Role

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = datetime.date
TODAY = D(2025, 10, 15)
BEFORE = D(2025, 9, 30)
DATES = (TODAY, BEFORE)


def at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


NOW = at(TODAY)

# The world, and what the expected counts are made from.
# key: (village, risk level, opened_on, closed_on, [(assessed_on, grade, status)])
CASES = {
    "a1": (
        "village",
        "high",
        D(2025, 1, 10),
        None,
        [(D(2025, 2, 1), "improper", "approved"), (D(2025, 10, 1), "missing", "approved")],
    ),
    "a2": ("village", "medium", D(2025, 3, 1), None, [(D(2025, 4, 1), "insufficient", "submitted")]),
    "b1": ("village_b", "low", D(2024, 6, 1), D(2025, 5, 1), [(D(2024, 7, 1), "normal", "approved")]),
    "b2": ("village_b", "high", D(2025, 9, 1), None, [(D(2025, 9, 10), "normal", "approved")]),
    "c1": ("village_c", "medium", D(2025, 2, 1), None, [(D(2025, 10, 1), "insufficient", "returned")]),
    "c2": ("village_c", "low", D(2025, 10, 2), None, []),
    "o1": ("other_village", "high", D(2025, 1, 1), None, [(D(2025, 2, 1), "missing", "approved")]),
    "o2": ("other_village", "low", D(2025, 6, 1), None, []),
}
# (where it happened, source, concern, received_at, respond_by, status, screened_at)
REPORTS = [
    ("village", "hotline", "neglect", at(D(2025, 10, 10), 9), at(D(2025, 10, 13), 9), "received", None),
    ("village_b", "mandatory_report", "abuse", at(D(2025, 10, 14), 12), at(D(2025, 10, 16), 12), "received", None),
    # About the county as a whole: in the county's total, in no township's row.
    ("county", "police", "abuse", at(D(2025, 9, 20)), at(D(2025, 9, 21)), "screened_out", at(D(2025, 10, 2))),
    ("village_c", "check", "neglect", at(D(2025, 3, 15)), at(D(2025, 3, 20)), "screened_out", at(D(2025, 3, 18))),
    (
        "village",
        "walk_in",
        "domestic_violence",
        at(D(2024, 10, 20)),
        at(D(2024, 10, 21)),
        "screened_out",
        at(D(2024, 10, 21)),
    ),
    (
        "village",
        "hotline",
        "neglect",
        at(D(2024, 11, 1), 0, 30),
        at(D(2024, 11, 2)),
        "screened_out",
        at(D(2024, 11, 1), 12),
    ),
    ("village_c", "mandatory_report", "sexual_abuse", at(D(2025, 9, 28)), at(D(2025, 9, 29)), "received", None),
    ("other_village", "hotline", "abuse", at(D(2025, 10, 1)), at(D(2025, 10, 2)), "received", None),
    ("other_village", "police", "trafficking", at(D(2025, 9, 1)), at(D(2025, 9, 2)), "screened_out", at(D(2025, 9, 3))),
]
# (case, sent_on, [(answered on, status)])
REFERRALS = [
    ("a1", D(2025, 9, 1), []),
    ("a1", D(2025, 8, 1), [(D(2025, 8, 5), "accepted"), (D(2025, 10, 5), "completed")]),
    ("b2", D(2025, 9, 5), [(D(2025, 10, 1), "declined")]),
    ("c1", D(2025, 10, 3), []),
    ("o1", D(2025, 9, 1), []),
]
# (case, due_on, done_on)
FOLLOW_UPS = [
    ("a1", D(2025, 10, 1), None),
    ("a2", D(2025, 9, 1), D(2025, 9, 20)),
    ("b1", D(2025, 4, 1), None),  # its case closed on 1 May
    ("c1", D(2025, 9, 15), D(2025, 10, 5)),
    ("c2", D(2025, 10, 20), None),
    ("o1", D(2025, 1, 1), None),
]
COUNTY = ("village", "village_b", "village_c", "county", "township", "township_2")
TOWNSHIPS = {"township": ("village", "village_b"), "township_2": ("village_c",)}
EVERYWHERE = (*COUNTY, "other_village")


def cutoff(on: datetime.date) -> datetime.datetime:
    return NOW if on == TODAY else at(on + datetime.timedelta(days=1), 0)


def is_open(key, on):
    _v, _risk, opened, closed, _a = CASES[key]
    return opened <= on and (closed is None or closed > on)


def expected(on: datetime.date, places) -> SimpleNamespace:
    """The casework figures of the places (region attribute names) on a date, counted here."""
    risk, grade = Counter(), Counter()
    for key, (v, level, _o, _c, assessments) in CASES.items():
        if v in places and is_open(key, on):
            risk[level] += 1
            approved = [a for a in assessments if a[2] == "approved" and a[0] <= on]
            grade[max(approved)[1] if approved else "none"] += 1
    months = {(on.year * 12 + on.month - 1 - k) for k in range(12)}
    reports = Counter()
    late = 0
    for v, source, concern, received, due, status, screened in REPORTS:
        if v not in places:
            continue
        local = received.astimezone(SHANGHAI)
        if received < cutoff(on) and local.year * 12 + local.month - 1 in months:
            reports[(D(local.year, local.month, 1), source, concern)] += 1
        if received < cutoff(on) and due < cutoff(on) and (status == "received" or screened >= cutoff(on)):
            late += 1
    waiting = 0
    for key, sent, answers in REFERRALS:
        if CASES[key][0] in places and sent <= on and not any(day <= on for day, _s in answers):
            waiting += 1
    follow_ups = sum(
        1
        for key, due, done in FOLLOW_UPS
        if CASES[key][0] in places and is_open(key, on) and due < on and (done is None or done > on)
    )
    return SimpleNamespace(
        by_risk=+risk, by_grade=+grade, reports=+reports, past_deadline=late, referrals=waiting, follow_ups=follow_ups
    )


def as_figures(f) -> SimpleNamespace:
    return SimpleNamespace(
        by_risk=+f.by_risk,
        by_grade=+f.by_grade,
        reports=+f.reports,
        past_deadline=f.reports_past_deadline,
        referrals=f.referrals_waiting,
        follow_ups=f.follow_ups_overdue,
    )


@pytest.fixture
def world(regions):
    """The records above, each written at the time it happened (the referrals' history too)."""
    county_user = UserFactory(username="writer", role=Role.COUNTY_OFFICIAL, region=regions.county)
    cases = {}
    for key, (v, level, opened, closed, assessments) in CASES.items():
        child = ChildFactory(region=getattr(regions, v))
        case = Case.objects.create(
            child=child,
            risk_level=level,
            opened_on=opened,
            status="closed" if closed else "open",
            closed_on=closed,
            closure_reason="risk_resolved" if closed else "",
        )
        for assessed, grade, status in assessments:
            Assessment.objects.create(
                case=case,
                assessed_on=assessed,
                grade=grade,
                risk_level=level,
                assessors=["甲", "乙", "丙"],
                status=status,
                written_by=county_user,
                decided_at=at(assessed + datetime.timedelta(days=1)) if status in ("approved", "returned") else None,
            )
        cases[key] = case
    for v, source, concern, received, due, status, screened in REPORTS:
        place = getattr(regions, v)
        county = place if place.level == Region.Level.COUNTY else place.ancestor_at(Region.Level.COUNTY)
        CaseReport.objects.create(
            source=source,
            region=place,
            county=county,
            concern=concern,
            description="见到的情况",
            received_at=received,
            respond_by=due,
            status=status,
            screened_at=screened,
            reason="不属于" if status == "screened_out" else "",
            filed_by=county_user,
        )
    for key, sent, answers in REFERRALS:
        with time_machine.travel(at(sent), tick=False):
            referral = Referral.objects.create(
                case=cases[key], to_agency="派出所", service="安全评估", sent_on=sent, sent_by=county_user
            )
        for day, status in answers:
            with time_machine.travel(at(day), tick=False):
                referral.status, referral.answered_at, referral.answered_by = status, at(day), county_user
                referral.save()
    for key, due, done in FOLLOW_UPS:
        FollowUp.objects.create(case=cases[key], due_on=due, done_on=done)
    return regions


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


# --- the figures ----------------------------------------------------------------------------------


@pytest.mark.parametrize("on", DATES)
@pytest.mark.parametrize("level,places", [("county", COUNTY), ("city", EVERYWHERE), ("province", EVERYWHERE)])
def test_it_matches_counts_made_independently(world, province_official, on, level, places):
    region = getattr(world, level)
    cw = dashboard_casework(user=province_official, region=region, on=on)
    assert vars(as_figures(cw.total)) == vars(expected(on, places))
    assert cw.months[0] == {TODAY: D(2024, 11, 1), BEFORE: D(2024, 10, 1)}[on]
    assert cw.months[-1] == on.replace(day=1) and len(cw.months) == 12


@pytest.mark.parametrize("on", DATES)
def test_it_counts_each_township_for_the_drill_down(world, county_official, on):
    cw = dashboard_casework(user=county_official, region=world.county, on=on)
    rows = {r.code: as_figures(f) for r, f in cw.rows}
    assert set(rows) == {world.township.code, world.township_2.code}
    for attr, villages in TOWNSHIPS.items():
        assert vars(rows[getattr(world, attr).code]) == vars(expected(on, villages)), attr
    # The report about the county as a whole is in the total only.
    assert sum(f.reports_received for _r, f in cw.rows) < cw.total.reports_received


def test_it_never_counts_another_countys_cases(world, county_official, outsider, city_official):
    ours = dashboard_casework(user=county_official, region=world.county, on=TODAY)
    theirs = dashboard_casework(user=outsider, region=world.other_county, on=TODAY)
    assert vars(as_figures(ours.total)) == vars(expected(TODAY, COUNTY))
    assert vars(as_figures(theirs.total)) == vars(expected(TODAY, ("other_village",)))
    assert ours.total.by_risk["high"] == 2 and theirs.total.by_risk["high"] == 1
    city = dashboard_casework(user=city_official, region=world.city, on=TODAY)
    rows = {r.code: f.open_cases for r, f in city.rows}
    assert rows == {world.county.code: ours.total.open_cases, world.other_county.code: theirs.total.open_cases}
    from django.http import Http404

    with pytest.raises(Http404):
        dashboard_casework(user=outsider, region=world.county, on=TODAY)


def test_it_leaves_townships_and_villages_without_casework_figures(world, county_official):
    assert dashboard_casework(user=county_official, region=world.township, on=TODAY) is None
    assert dashboard_casework(user=county_official, region=world.village, on=TODAY) is None


def test_it_reads_the_figures_from_the_snapshot_whatever_the_number_of_regions_and_cases(
    world, county_official, province_official, django_assert_num_queries
):
    dashboard_casework(user=county_official, region=world.county, on=TODAY)  # computes the snapshot rows
    dashboard_casework(user=province_official, region=world.province, on=BEFORE)
    # Then: the regions one level below (1), their snapshot rows and the region's own (1).
    with django_assert_num_queries(2):
        dashboard_casework(user=county_official, region=world.county, on=TODAY)
    with django_assert_num_queries(2):
        dashboard_casework(user=province_official, region=world.province, on=BEFORE)
    writer = UserFactory(username="writer2", role=Role.COUNTY_OFFICIAL, region=world.county)
    for i in range(3, 9):
        township = RegionFactory(
            code=f"37040200{i}", name=f"第{i}街道", level=Region.Level.TOWNSHIP, parent=world.county
        )
        village = RegionFactory(code=f"37040200{i}001", name=f"第{i}村", level=Region.Level.VILLAGE, parent=township)
        for risk in ("low", "medium", "high"):
            case = Case.objects.create(child=ChildFactory(region=village), risk_level=risk, opened_on=D(2025, 5, 1))
            FollowUp.objects.create(case=case, due_on=D(2025, 6, 1))
            Referral.objects.create(case=case, to_agency="学校", service="复学", sent_on=D(2025, 6, 1), sent_by=writer)
            Assessment.objects.create(
                case=case,
                assessed_on=D(2025, 5, 2),
                grade="improper",
                risk_level=risk,
                status="approved",
                written_by=writer,
            )
            CaseReport.objects.create(
                source="hotline",
                region=village,
                county=world.county,
                concern="neglect",
                description="x",
                received_at=at(D(2025, 10, 1)),
                respond_by=at(D(2025, 10, 2)),
                filed_by=writer,
            )
    dashboard_snapshots_refresh(on=TODAY)  # the scheduled job (it writes today's rows)
    with django_assert_num_queries(2):
        cw = dashboard_casework(user=county_official, region=world.county, on=TODAY)
    assert len(cw.rows) == 8 and cw.total.follow_ups_overdue == expected(TODAY, COUNTY).follow_ups + 18
    assert sum(f.follow_ups_overdue for _r, f in cw.rows) == cw.total.follow_ups_overdue
    with django_assert_num_queries(2):
        assert dashboard_casework(user=province_official, region=world.province, on=TODAY).total.open_cases == (
            cw.total.open_cases + sum(expected(TODAY, ("other_village",)).by_risk.values())
        )


# --- the page -------------------------------------------------------------------------------------


def _page(client, user, region=None, **params):
    client.force_login(user)
    if region is not None:
        params["region"] = region.code
    response = client.get(reverse("cases:dashboard"), params)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def _figure(html: str, name: str) -> int:
    return int(re.search(rf'data-figure="{name}">([\d,]+)<', html).group(1).replace(",", ""))


def _section(html: str) -> str:
    return html.split('id="casework"', 1)[1].split("</section>", 1)[0]


@pytest.mark.parametrize("on", DATES)
def test_it_shows_the_county_official_the_figures_linked_to_the_lists_behind_them(world, client, county_official, on):
    html = _page(client, county_official, date=on.isoformat())
    e = expected(on, COUNTY)
    assert _figure(html, "open_cases") == sum(e.by_risk.values())
    assert _figure(html, "open_cases_high") == e.by_risk["high"]
    assert _figure(html, "reports_past_deadline") == e.past_deadline
    assert _figure(html, "referrals_waiting") == e.referrals
    assert _figure(html, "follow_ups_overdue") == e.follow_ups
    section = _section(html)
    for level in ("low", "medium", "high"):
        link = re.search(rf'<a href="([^"]+)" data-risk="{level}">(\d+)<', section)
        assert int(link.group(2)) == e.by_risk[level]
        assert link.group(1) == f"{reverse('cases:protection_my_cases')}?region={world.county.code}&amp;risk={level}"
    for grade in ("normal", "insufficient", "improper", "missing", "none"):
        shown = re.search(rf'data-grade="{grade}">(\d+)<', section)
        assert int(shown.group(1)) == e.by_grade[grade], grade
    assert f"{reverse('cases:protection_screening')}?region={world.township.code}&amp;overdue=1" in section
    # Every region in a casework link is the county or below it.
    assert {c[:6] for c in re.findall(r"region=(\d+)", section)} == {world.county.code}
    # The township rows drill down.
    assert f'href="?region={world.township_2.code}&amp;date={on.isoformat()}"' in section


def test_it_shows_the_city_and_the_province_plain_numbers(world, client, city_official, province_official):
    for user, region, places in (
        (city_official, world.city, EVERYWHERE),
        (province_official, world.province, EVERYWHERE),
    ):
        html = _page(client, user, region)
        section = _section(html)
        e = expected(TODAY, places)
        assert _figure(html, "open_cases") == sum(e.by_risk.values())
        assert _figure(html, "reports_past_deadline") == e.past_deadline
        assert _figure(html, "follow_ups_overdue") == e.follow_ups
        assert "/cases/protection/" not in section and '<a href="/cases/' not in section
        assert re.search(r'<span data-risk="high">(\d+)<', section).group(1) == str(e.by_risk["high"])
        assert 'id="casework"' in html
    # The city's rows are its two counties.
    section = _section(_page(client, city_official))
    assert set(re.findall(r'data-casework-region="(\d+)"', section)) == {
        world.county.code,
        world.other_county.code,
        world.city.code,
    }


def test_it_shows_no_casework_on_a_township_or_village_page(world, client, county_official, township_supervisor):
    assert 'id="casework"' not in _page(client, county_official, world.township)
    assert 'id="casework"' not in _page(client, township_supervisor)


def test_it_shows_the_reports_of_each_month_by_source(world, client, county_official):
    section = _section(_page(client, county_official))
    per_month = Counter()
    for (month, _s, _c), n in expected(TODAY, COUNTY).reports.items():
        per_month[month.strftime("%Y-%m")] += n
    shown = {m: int(n) for m, n in re.findall(r'data-month="([\d-]+)">(\d+)<', section)}
    assert len(shown) == 12 and {m: n for m, n in shown.items() if n} == dict(per_month)
    assert shown["2024-11"] == 1  # received 00:30 on 1 November, Beijing time


def test_it_labels_the_section_in_chinese(world, client, county_official):
    section = _section(_page(client, county_official))
    for label in (
        "未成年人保护个案",
        "在办个案",
        "高风险在办个案",
        "逾期未处置的线索",
        "待答复的转介",
        "逾期未回访",
        "按月接报线索",
        "暂未评估",
        "12349 热线",
    ):
        assert label in section, label


# --- the lists behind the numbers -----------------------------------------------------------------


def test_it_opens_lists_that_hold_what_the_figures_count(world, client, county_official):
    client.force_login(county_official)
    e = expected(TODAY, COUNTY)

    def count(url_name, **params):
        response = client.get(reverse(url_name), params)
        assert response.status_code == 200
        return response.context["page"].paginator.count

    assert count("cases:protection_my_cases", region=world.county.code, risk="high") == e.by_risk["high"]
    assert count("cases:protection_my_cases", region=world.township.code) == sum(
        expected(TODAY, TOWNSHIPS["township"]).by_risk.values()
    )
    assert count("cases:protection_my_cases", region=world.county.code, grade="none") == e.by_grade["none"]
    assert count("cases:protection_my_cases", region=world.county.code, grade="missing") == e.by_grade["missing"]
    assert count("cases:protection_my_cases", region=world.county.code, follow_up="overdue") == e.follow_ups
    assert count("cases:protection_my_cases", region=world.county.code, referral="sent") == e.referrals
    assert count("cases:protection_screening", region=world.county.code, overdue="1") == e.past_deadline
    assert (
        count("cases:protection_screening", region=world.township_2.code, overdue="1")
        == expected(TODAY, ("village_c",)).past_deadline
    )
    html = client.get(
        reverse("cases:protection_my_cases"), {"region": world.township.code, "risk": "high", "page": "1"}
    ).content.decode()
    assert "data-filter" in html and world.township.name in html


def test_it_refuses_a_list_filtered_on_another_county(world, client, county_official, outsider):
    client.force_login(outsider)
    assert client.get(reverse("cases:protection_my_cases"), {"region": world.county.code}).status_code == 404
    assert client.get(reverse("cases:protection_screening"), {"region": world.township.code}).status_code == 404
    response = client.get(reverse("cases:protection_my_cases"), {"risk": "high"})
    assert response.context["page"].paginator.count == expected(TODAY, ("other_village",)).by_risk["high"]


# --- exports --------------------------------------------------------------------------------------


def _rows(response):
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def test_it_exports_each_casework_table_and_logs_it(world, client, county_official, settings):
    client.force_login(county_official)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    e = expected(BEFORE, COUNTY)
    query = {"date": BEFORE.isoformat()}

    rows = _rows(client.get(reverse("cases:dashboard_export", args=["casework_cases"]), query))
    assert rows[0] == ("By", "Group", "Open cases")
    assert {r[1]: r[2] for r in rows[1:] if r[0] == "Risk level"} == {
        "Low": e.by_risk["low"],
        "Medium": e.by_risk["medium"],
        "High": e.by_risk["high"],
    }
    assert {r[1]: r[2] for r in rows[1:] if r[0] == "Guardianship grade"}["Not yet assessed"] == e.by_grade["none"]

    rows = _rows(client.get(reverse("cases:dashboard_export", args=["casework_sources"]), query))
    assert rows[0][0] == "Month" and rows[0][-1] == "Total" and len(rows) == 13
    assert sum(r[-1] for r in rows[1:]) == sum(e.reports.values())
    assert "12349 hotline" in rows[0]

    rows = _rows(client.get(reverse("cases:dashboard_export", args=["casework_concerns"]), query))
    assert "Sexual abuse" in rows[0] and sum(r[-1] for r in rows[1:]) == sum(e.reports.values())

    rows = _rows(client.get(reverse("cases:dashboard_export", args=["casework_subregions"]), query))
    by_code = {r[0]: r for r in rows[1:]}
    assert set(by_code) == {world.township.code, world.township_2.code, world.county.code}
    t2 = expected(BEFORE, TOWNSHIPS["township_2"])
    assert by_code[world.township_2.code][-4:] == (
        sum(t2.reports.values()),
        t2.past_deadline,
        t2.referrals,
        t2.follow_ups,
    )
    assert by_code[world.county.code][-4:] == (sum(e.reports.values()), e.past_deadline, e.referrals, e.follow_ups)

    response = client.get(reverse("cases:dashboard_export_csv", args=["casework_subregions"]), query)
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0][0] == "Code" and len(lines) == 4

    logged = AuditLog.objects.filter(action="dashboard.export", actor=county_official).order_by("id")
    assert [a.detail["table"] for a in logged] == [
        "casework_cases",
        "casework_sources",
        "casework_concerns",
        "casework_subregions",
        "casework_subregions",
    ]
    assert logged.last().detail["file"].endswith(".csv") and logged.first().record_count == 3 + 5 + 1


def test_it_refuses_casework_exports_to_whoever_may_not_have_them(
    world, client, county_official, village_director, outsider
):
    client.force_login(village_director)
    assert client.get(reverse("cases:dashboard_export", args=["casework_cases"])).status_code == 403
    client.force_login(outsider)
    assert (
        client.get(
            reverse("cases:dashboard_export", args=["casework_cases"]), {"region": world.county.code}
        ).status_code
        == 404
    )
    client.force_login(county_official)
    # A township dashboard has no casework table.
    assert (
        client.get(
            reverse("cases:dashboard_export", args=["casework_cases"]), {"region": world.township.code}
        ).status_code
        == 404
    )
    assert not AuditLog.objects.filter(action="dashboard.export").exists()
