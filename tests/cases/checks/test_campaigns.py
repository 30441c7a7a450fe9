import datetime

import pytest

from cases.checks.models import Campaign
from cases.checks.selectors import campaign_list, campaign_progress
from cases.checks.services import CheckInput, campaign_launch, check_record
from tests.factories import CheckFactory, MembershipFactory
from welfare.errors import ApplicationError, PermissionDeniedError

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def flood(regions, county_official, today):
    return campaign_launch(by=county_official, name="暑期汛期安全保护", region=regions.county, categories=["left_behind", "key_difficulty"],
                           starts_on=D(2025, 2, 15), deadline=D(2025, 3, 31))


def test_a_county_launches_a_campaign_and_sees_progress_by_village(regions, county_official, village_director, left_behind, flood):
    a1 = left_behind(regions.village)
    left_behind(regions.village)
    c1 = left_behind(regions.village_c)
    left_behind(regions.other_village)  # another county: not in the campaign
    check_record(by=village_director, child=a1, data=CheckInput(checked_on=D(2025, 2, 20), kind="safety", campaign=flood))
    CheckFactory(child=c1, checked_on=D(2025, 2, 1), kind="safety")  # before the campaign
    progress = campaign_progress(user=county_official, campaign=flood)
    rows = {r["village"].name: (r["checked"], r["total"]) for r in progress["rows"]}
    assert rows == {"东村社区": (1, 2), "南村社区": (0, 1)}
    assert (progress["checked"], progress["total"]) == (1, 3)


def test_a_safety_check_in_the_window_counts_even_without_naming_the_campaign(regions, county_official, left_behind, flood):
    child = left_behind(regions.village)
    CheckFactory(child=child, checked_on=D(2025, 2, 16), kind="safety")
    assert campaign_progress(user=county_official, campaign=flood)["checked"] == 1


def test_the_campaign_reaches_only_the_chosen_categories(regions, county_official, flood):
    from tests.factories import ChildFactory

    migrant = ChildFactory(region=regions.village)
    MembershipFactory(child=migrant, category="migrant")
    assert campaign_progress(user=county_official, campaign=flood)["total"] == 0


def test_the_director_sees_the_county_campaign_and_the_outsider_does_not(village_director, outsider, flood):
    assert list(campaign_list(user=village_director)) == [flood]
    assert list(campaign_list(user=outsider)) == []


def test_a_village_director_cannot_launch_a_campaign(regions, village_director, today):
    with pytest.raises(PermissionDeniedError):
        campaign_launch(by=village_director, name="x", region=regions.county, categories=["left_behind"], starts_on=today, deadline=today)
    assert not Campaign.objects.exists()


def test_a_county_cannot_launch_for_another_county(regions, county_official, today):
    with pytest.raises(PermissionDeniedError):
        campaign_launch(by=county_official, name="x", region=regions.other_county, categories=["left_behind"], starts_on=today, deadline=today)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"deadline": D(2025, 2, 1)}, "deadline"),
        ({"categories": []}, "categories"),
        ({"categories": ["pets"]}, "categories"),
        ({"name": " "}, "name"),
    ],
)
def test_it_refuses_a_bad_campaign_with_a_clear_message(regions, county_official, today, changes, field):
    data = dict(name="汛期", region=regions.county, categories=["left_behind"], starts_on=D(2025, 2, 15), deadline=D(2025, 3, 31)) | changes
    with pytest.raises(ApplicationError) as err:
        campaign_launch(by=county_official, **data)
    assert field in err.value.field_errors
    assert not Campaign.objects.exists()


def test_a_check_outside_the_campaign_dates_is_refused(regions, village_director, left_behind, flood):
    child = left_behind(regions.village)
    with pytest.raises(ApplicationError) as err:
        check_record(by=village_director, child=child, data=CheckInput(checked_on=D(2025, 2, 1), campaign=flood))
    assert "campaign" in err.value.field_errors


def test_the_campaign_pages_work_and_are_scoped(client, county_official, outsider, regions, flood):
    client.force_login(county_official)
    assert "暑期汛期安全保护" in client.get("/cases/checks/campaigns/").content.decode()
    assert client.get(f"/cases/checks/campaigns/{flood.id}/").status_code == 200
    response = client.post("/cases/checks/campaigns/new/", {
        "name": "国庆安全", "kind": "safety", "region": regions.county.code, "categories": ["left_behind"],
        "starts_on": "2025-03-01", "deadline": "2025-03-20",
    })
    assert response.status_code == 302
    assert Campaign.objects.filter(name="国庆安全", region=regions.county).exists()
    client.force_login(outsider)
    assert client.get(f"/cases/checks/campaigns/{flood.id}/").status_code == 404
    assert "暑期汛期安全保护" not in client.get("/cases/checks/campaigns/").content.decode()


def test_the_campaign_form_shows_errors_without_saving(client, county_official, regions, today):
    client.force_login(county_official)
    response = client.post("/cases/checks/campaigns/new/", {
        "name": "x", "kind": "safety", "region": regions.county.code, "categories": ["left_behind"],
        "starts_on": "2025-03-10", "deadline": "2025-03-05",
    }, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "cannot be before the first day" in response.content.decode()
    assert not Campaign.objects.exists()


def test_a_director_gets_403_on_the_launch_page(client, village_director, regions):
    client.force_login(village_director)
    assert client.get("/cases/checks/campaigns/new/").status_code == 403
