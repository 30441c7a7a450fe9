"""The institutions-at-work and education-grant figures of county, city and province dashboards:
read from the dashboard snapshot (the region's own day row, counted per region they are recorded
on and added up into every county, city and province above), the same figures the live reads
give (institutions.figures.region_institution_figures, benefits.grants.selectors.grant_figures).
The casework figures, read from the snapshot the same way, are checked against counts made
independently in test_casework_figures.py."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from benefits.grants.models import Grant, GrantPayout
from benefits.grants.selectors import grant_figures
from benefits.payouts.models import PayoutRun
from cases.dashboard.models import DashboardSnapshot
from cases.dashboard.selectors import dashboard_api_summary, dashboard_summary
from cases.dashboard.services import dashboard_snapshots_refresh
from institutions.figures import region_institution_figures
from institutions.models import Finding, Inspection, Institution, Placement, SafetyMeeting, Staff, Training
from tests.factories import ChildFactory, InstitutionFactory

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 5, 20)  # the second quarter: the last complete one is 2026-Q1; school year 2025-2026


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 5, 20, 10, 0), tick=False)


def _place(institution, village, placed_on, left_on=None):
    return Placement.objects.create(
        child=ChildFactory(region=village), institution=institution, placed_on=placed_on, left_on=left_on, admission_reason="orphan"
    )


LONG_AGO = D(2020, 1, 1)


def _staff(institution, *, appointed_on=LONG_AGO, left_on=None, trained_on=None):
    staff = Staff.objects.create(
        name="职工", position=Staff.Position.CARER, region=institution.region, institution=institution,
        appointed_on=appointed_on, left_on=left_on,
    )
    if trained_on:
        Training.objects.create(staff=staff, title="安全培训", held_on=trained_on)
    return staff


@pytest.fixture
def world(regions, county_official):
    """Institutions on the county itself, on a township and on a village of our county, on the city
    itself (counted by the city and the province only) and in the other county; their children in
    care, admissions and discharges, inspections and findings, safety meetings, staff and trainings."""
    home = InstitutionFactory(region=regions.county, kind=Institution.Kind.WELFARE, capacity=80)
    InstitutionFactory(region=regions.township, kind=Institution.Kind.WORKSTATION, capacity=0)
    small = InstitutionFactory(region=regions.village, kind=Institution.Kind.CHILDRENS_HOME, capacity=5)
    city_home = InstitutionFactory(region=regions.city, kind=Institution.Kind.RESCUE, capacity=30)
    other_home = InstitutionFactory(region=regions.other_county, kind=Institution.Kind.WELFARE, capacity=50)
    _place(home, regions.village, D(2025, 12, 10))  # in care, admitted in December
    _place(home, regions.village_b, D(2026, 2, 3), D(2026, 5, 2))  # admitted in February, discharged in May
    _place(home, regions.village_c, D(2025, 4, 1), D(2025, 7, 15))  # admitted before the twelve months
    _place(small, regions.village, D(2026, 5, 19))  # in care, admitted this month
    _place(city_home, regions.village_b, D(2026, 3, 1))
    _place(other_home, regions.other_village, D(2026, 5, 1))
    this_year = Inspection.objects.create(institution=home, inspected_on=D(2026, 4, 1), unannounced=True, inspected_by=county_official)
    Finding.objects.create(inspection=this_year, text="消防通道堆放杂物", fix_by=D(2026, 4, 15))  # past its deadline
    Finding.objects.create(inspection=this_year, text="值班记录缺页", fix_by=D(2026, 6, 1))
    Finding.objects.create(inspection=this_year, text="已整改", fix_by=D(2026, 4, 10), fixed_on=D(2026, 4, 9))
    Inspection.objects.create(institution=home, inspected_on=D(2025, 11, 1), unannounced=True)  # last year
    Inspection.objects.create(institution=city_home, inspected_on=D(2026, 2, 1))
    Inspection.objects.create(institution=other_home, inspected_on=D(2026, 3, 1), unannounced=True)
    for institution, held_on in ((home, D(2026, 2, 10)), (home, D(2026, 4, 10)), (small, D(2026, 1, 5)), (other_home, D(2026, 4, 1))):
        SafetyMeeting.objects.create(institution=institution, held_on=held_on, attendees="全体职工", topics="消防")
    _staff(home, trained_on=D(2026, 3, 1))
    _staff(home, trained_on=D(2025, 12, 1))  # trained last year only
    _staff(home, left_on=D(2026, 1, 1), trained_on=D(2026, 2, 1))  # no longer in post
    _staff(home, appointed_on=D(2026, 6, 1))  # not yet in post
    _staff(city_home, trained_on=D(2026, 5, 1))
    return regions


def _month(figures, month):
    return next(m for m in figures["by_month"] if m["month"] == month)


def test_it_counts_a_countys_institutions_wherever_in_the_county_they_are_recorded(world, province_official):
    figures = region_institution_figures(user=province_official, region=world.county, today=TODAY)
    assert (figures["institutions"], figures["capacity"], figures["by_kind"]) == (
        3, 85, {"welfare": 1, "workstation": 1, "childrens_home": 1}
    )
    assert figures["children_in_care"] == 2
    assert [m["month"] for m in figures["by_month"]] == [f"2025-{m:02d}" for m in range(6, 13)] + [f"2026-{m:02d}" for m in range(1, 6)]
    assert (_month(figures, "2025-12")["admissions"], _month(figures, "2026-02")["admissions"]) == (1, 1)
    assert (_month(figures, "2025-07")["discharges"], _month(figures, "2026-05")["discharges"]) == (1, 1)
    assert (figures["admissions_this_month"], figures["discharges_this_month"]) == (1, 1)
    assert sum(m["admissions"] for m in figures["by_month"]) == 3  # April 2025 lies before the twelve months
    assert (figures["inspections_this_year"], figures["unannounced_this_year"]) == (1, 1)
    assert (figures["open_findings"], figures["findings_past_deadline"]) == (2, 1)
    assert figures["safety_meetings"] == [
        {"quarter": "2026-Q1", "institutions": 2, "covered": 2},  # the workstation houses no children
        {"quarter": "2026-Q2", "institutions": 2, "covered": 1},
    ]
    assert figures["training"] == {"staff_in_post": 2, "trained": 1, "coverage": 0.5}


@pytest.mark.parametrize("level", ["county", "other_county", "city", "province"])
def test_the_dashboard_shows_the_live_institution_figures_from_its_snapshot(world, province_official, level):
    region = getattr(world, level)
    dash = dashboard_summary(user=province_official, region=region, on=TODAY)
    assert dash.computed_at is not None  # from the snapshot
    assert dash.institutions_at_work == region_institution_figures(user=province_official, region=region, today=TODAY)
    live_kinds = region_institution_figures(user=province_official, region=region, today=TODAY)["by_kind"]
    assert {k: n for k, _label, n in dash.institutions if n} == live_kinds


def test_a_city_counts_the_institutions_on_the_city_itself_and_in_its_counties(world, city_official):
    city = dashboard_summary(user=city_official, region=world.city, on=TODAY).institutions_at_work
    assert (city["institutions"], city["capacity"], city["children_in_care"]) == (5, 165, 4)
    assert (city["inspections_this_year"], city["unannounced_this_year"]) == (3, 2)
    assert city["training"] == {"staff_in_post": 3, "trained": 2, "coverage": 0.667}
    assert city["safety_meetings"][-1] == {"quarter": "2026-Q2", "institutions": 4, "covered": 2}


def test_the_county_page_shows_the_institutions_at_work(world, client, county_official):
    client.force_login(county_official)
    html = client.get(reverse("cases:dashboard")).content.decode()
    table = html.split('id="institutions-at-work"', 1)[1].split("</table>", 1)[0]
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r'<td class="n">(.*?)</td>', table)]
    # In care, inspections this year, findings past their deadline, safety meetings this quarter,
    # housing institutions without one, staff trained this year.
    assert cells == ["2", "1", "1", "1 / 2 (50.0%)", "1", "1 / 2 (50.0%)"]


@pytest.mark.parametrize("place", ["county", "township"])
def test_a_snapshot_row_written_before_it_held_these_counts_is_computed_again(world, province_official, place):
    dashboard_snapshots_refresh(on=TODAY)
    row = DashboardSnapshot.objects.get(region=getattr(world, place), kind="day", on=TODAY)
    row.figures = {k: v for k, v in row.figures.items() if k not in ("casework", "institutions", "grants")}
    row.save()
    dash = dashboard_summary(user=province_official, region=world.county, on=TODAY)
    assert dash.institutions_at_work["institutions"] == 3 and dash.casework is not None
    assert "casework" in DashboardSnapshot.objects.get(region=getattr(world, place), kind="day", on=TODAY).figures


def test_the_refresh_job_brings_the_counts_up_to_date(world, province_official):
    assert dashboard_summary(user=province_official, region=world.county, on=TODAY).institutions_at_work["institutions"] == 3
    InstitutionFactory(region=world.township_2, kind=Institution.Kind.SOCIAL_WORK, capacity=0)
    dashboard_snapshots_refresh(on=TODAY)
    assert dashboard_summary(user=province_official, region=world.county, on=TODAY).institutions_at_work["institutions"] == 4


# --- education grants -----------------------------------------------------------------------------


def _grant(child, county, township, *, status=Grant.Status.APPROVED, school_year="2025-2026", level="university"):
    return Grant.objects.create(
        child=child, school="山东大学", study_level=level, school_year=school_year, enrolment_proof="学生证",
        received_region=township, county=county, status=status, submitted_on=D(2025, 8, 20),
        **({} if status == Grant.Status.SUBMITTED else {"annual_amount": Decimal("10000.00"), "instalments": 12}),
    )


def _paid(grant, run, *, instalment, month, amount):
    GrantPayout.objects.create(
        run=run, grant=grant, child=grant.child, school_year=grant.school_year, instalment=instalment, month=month, amount=Decimal(amount)
    )


@pytest.fixture
def grants(regions):
    ours = [ChildFactory(region=regions.village, birth_date=D(2006, 3, 1)) for _i in range(4)]
    theirs = ChildFactory(region=regions.other_village, birth_date=D(2006, 3, 1))
    g1 = _grant(ours[0], regions.county, regions.township)
    _grant(ours[1], regions.county, regions.township, level="vocational")
    _grant(ours[2], regions.county, regions.township, status=Grant.Status.SUBMITTED)  # not decided
    old = _grant(ours[3], regions.county, regions.township, school_year="2024-2025")  # another school year
    g5 = _grant(theirs, regions.other_county, regions.other_township)
    march = PayoutRun.objects.create(region=regions.county, month=D(2026, 3, 1), status="approved")
    april = PayoutRun.objects.create(region=regions.county, month=D(2026, 4, 1), status="draft")  # not paid yet
    their_march = PayoutRun.objects.create(region=regions.other_county, month=D(2026, 3, 1), status="exported")
    long_ago = PayoutRun.objects.create(region=regions.county, month=D(2025, 4, 1), status="approved")  # before the 12 months
    _paid(g1, march, instalment=1, month=D(2026, 3, 1), amount="833.33")
    _paid(g1, april, instalment=2, month=D(2026, 4, 1), amount="833.33")
    _paid(g5, their_march, instalment=1, month=D(2026, 3, 1), amount="500.00")
    _paid(old, long_ago, instalment=1, month=D(2025, 4, 1), amount="700.00")
    return regions


def test_the_dashboard_shows_the_live_grant_figures_from_its_snapshot(grants, province_official, county_official):
    county = {"students": 2, "by_study_level": {"university": 1, "vocational": 1}, "by_month": [{"month": "2026-03", "count": 1, "amount": "833.33"}]}
    city = {"students": 3, "by_study_level": {"university": 2, "vocational": 1}, "by_month": [{"month": "2026-03", "count": 2, "amount": "1333.33"}]}
    assert grant_figures(user=county_official, region=grants.county, on=TODAY) == county
    assert grant_figures(user=province_official, region=grants.city, on=TODAY) == city
    assert dashboard_summary(user=county_official, region=grants.county, on=TODAY).grants == county
    assert dashboard_summary(user=province_official, region=grants.city, on=TODAY).grants == city
    assert dashboard_summary(user=province_official, region=grants.province, on=TODAY).grants == city
    assert dashboard_api_summary(user=county_official, region=grants.county, on=TODAY)["grants"] == county


def test_a_township_dashboard_reads_the_grant_figures_live(grants, county_official):
    dash = dashboard_summary(user=county_official, region=grants.township, on=TODAY)
    assert dash.computed_at is None
    assert dash.grants == grant_figures(user=county_official, region=grants.township, on=TODAY)


# --- what a page costs ----------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="welfare.batch reads in one statement on PostgreSQL")
def test_the_county_page_costs_a_fixed_number_of_statements(world, grants, client, county_official, django_assert_max_num_queries):
    client.force_login(county_official)
    assert client.get(reverse("cases:dashboard")).status_code == 200  # computes and stores the snapshot
    # The session and the user (2), the region and the user's own (2), the regions below (1), the
    # snapshot rows with the casework, institution and grant counts and the trend (1), villages
    # without a child director (3), standards (1), breadcrumbs (1), the session's expiry (1): not
    # one per region, figure, case, institution or grant.
    with django_assert_max_num_queries(13):
        assert client.get(reverse("cases:dashboard")).status_code == 200
