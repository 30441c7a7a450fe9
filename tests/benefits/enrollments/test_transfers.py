"""Moving a child's allowance to another county (issue 19, section 5): `move` asks, the receiving
county accepts or refuses. Nothing moves before acceptance; the receiving county pays from the
month after acceptance (never a month already run), the sending county up to the month before;
no month is paid twice and nothing is backdated."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from benefits.enrollments.models import Enrollment, Transfer
from benefits.payouts.models import Payout, PayoutRun
from benefits.payouts.services import payout_run_compute, payout_run_start
from cases.children.models import Child
from tests.benefits.helpers import enrolled_child, std
from tests.factories import RegionFactory, UserFactory
from welfare.models import AuditLog, Region
from welfare.roles import Role

D = datetime.date


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2025, 6, 16, 10, 0), tick=False):
        yield


@pytest.fixture
def standards(regions):
    std(regions.city, "orphan_scattered", 1400, on="2020-01-01")
    return regions


@pytest.fixture
def receiving(regions):
    """A county official of the county the child moves to."""
    return UserFactory(username="receiving", role=Role.COUNTY_OFFICIAL, region=regions.other_county)


@pytest.fixture
def third(regions):
    """A county official of a third county of the same city: nothing of the move is theirs."""
    county = RegionFactory(code="370404", name="峄城区", level=Region.Level.COUNTY, parent=regions.city)
    return UserFactory(username="third", role=Role.COUNTY_OFFICIAL, region=county)


@pytest.fixture
def as_user(api_client):
    def login(user):
        api_client.force_authenticate(user)
        return api_client

    return login


@pytest.fixture
def moving(standards):
    """A child of our county's village A, paid by our county since 2024-01."""
    return enrolled_child(standards.village, standards.county, start="2024-01-01")


def run_month(county, month: str) -> PayoutRun:
    run, _created = payout_run_start(by=None, region=county, month=month, enqueue=False)
    payout_run_compute(run_id=run.id)
    run.refresh_from_db()
    return run


def request_move(client, enrollment, county="370403", **extra):
    return client.post(f"/api/enrollments/{enrollment.id}/move/", {"county": county, **extra}, format="json")


def accept(client, transfer_id, region="370403001001"):
    return client.post(f"/api/transfers/{transfer_id}/accept/", {"region": region}, format="json")


def paid(child) -> list[tuple[datetime.date, str]]:
    return list(Payout.objects.filter(child=child).order_by("month").values_list("month", "run__region__code"))


# --- the request -------------------------------------------------------------------------------


def test_a_move_answers_202_with_the_request_and_moves_nothing(regions, county_official, as_user, moving):
    child, enrollment = moving
    res = request_move(as_user(county_official), enrollment, reason="随母亲迁居薛城区")
    assert res.status_code == 202, res.json()
    body = res.json()
    assert body["status"] == "requested" and body["enrollment"] == enrollment.id and body["child"] == child.id
    assert (body["from_county"], body["to_county"]) == ("370402", "370403")
    assert body["effective_month"] is None and body["requested_on"] == "2025-06-16"
    assert body["reason"] == "随母亲迁居薛城区"
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.county_id, enrollment.end_month) == ("active", regions.county.id, None)
    assert Enrollment.objects.filter(child=child).count() == 1
    assert Child.objects.get(id=child.id).region_id == regions.village.id
    assert AuditLog.objects.filter(action="transfer.requested", target_id=str(body["id"]), actor=county_official).exists()


@pytest.mark.parametrize(
    "county",
    [
        "370402",  # the county already paying
        "370403001001",  # a village, not a county
        "370400",  # a city
        "999999",  # no such region
    ],
)
def test_it_refuses_a_move_to_the_same_county_or_to_what_is_not_a_county(county_official, as_user, moving, county):
    _child, enrollment = moving
    res = request_move(as_user(county_official), enrollment, county=county)
    assert res.status_code == 400
    assert "county" in res.json()
    assert not Transfer.objects.exists()


def test_it_refuses_a_second_open_request_for_the_same_enrollment(county_official, third, as_user, moving):
    _child, enrollment = moving
    assert request_move(as_user(county_official), enrollment).status_code == 202
    res = request_move(as_user(county_official), enrollment, county="370404")
    assert res.status_code == 400
    assert "already" in res.json()["county"][0]
    assert Transfer.objects.count() == 1


def test_it_refuses_to_move_an_ended_enrollment(county_official, as_user, moving):
    _child, enrollment = moving
    Enrollment.objects.filter(id=enrollment.id).update(status="ended", end_month=D(2025, 5, 1), end_reason="ineligible")
    res = request_move(as_user(county_official), enrollment)
    assert res.status_code == 400
    assert "ended" in str(res.json())
    assert not Transfer.objects.exists()


# --- acceptance and money ------------------------------------------------------------------------


def test_on_acceptance_the_sending_county_pays_until_the_month_before_and_the_receiving_county_from_the_month_after(
    regions, county_official, receiving, as_user, moving
):
    child, enrollment = moving
    run_month(regions.county, "2025-05")
    run_month(regions.county, "2025-06")
    transfer_id = request_move(as_user(county_official), enrollment).json()["id"]
    res = accept(as_user(receiving), transfer_id)
    assert res.status_code == 200, res.json()
    assert res.json()["status"] == "accepted" and res.json()["effective_month"] == "2025-07"
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.end_month, enrollment.end_reason) == ("ended", D(2025, 6, 1), "moved")
    new = Enrollment.objects.get(child=child, status="active")
    assert (new.county_id, new.start_month, new.category) == (regions.other_county.id, D(2025, 7, 1), enrollment.category)
    assert not Payout.objects.filter(run=run_month(regions.other_county, "2025-06"), child=child).exists()
    with time_machine.travel(datetime.datetime(2025, 7, 2, 10, 0), tick=False):
        assert not Payout.objects.filter(run=run_month(regions.county, "2025-07"), child=child).exists()
        assert Payout.objects.get(run=run_month(regions.other_county, "2025-07"), child=child).amount == Decimal("1400.00")
    assert paid(child) == [(D(2025, 5, 1), "370402"), (D(2025, 6, 1), "370402"), (D(2025, 7, 1), "370403")]


def test_a_backdated_request_cannot_backdate_the_move_or_pay_a_month_twice(regions, county_official, receiving, as_user, moving):
    child, enrollment = moving
    for month in ("2025-03", "2025-04", "2025-05", "2025-06"):
        run_month(regions.county, month)
    # The family left in March, says the request: nothing moves on that account.
    res = request_move(as_user(county_official), enrollment, on="2025-03-10", reason="三月已迁出")
    assert res.status_code == 202, res.json()
    enrollment.refresh_from_db()
    assert enrollment.status == "active" and enrollment.end_month is None
    assert accept(as_user(receiving), res.json()["id"]).json()["effective_month"] == "2025-07"
    assert Enrollment.objects.get(child=child, status="active").start_month == D(2025, 7, 1)
    # The receiving county runs the months our county has paid: nothing for the child there.
    for month in ("2025-03", "2025-04", "2025-05", "2025-06"):
        assert not Payout.objects.filter(run=run_month(regions.other_county, month), child=child).exists()
    assert paid(child) == [(D(2025, m, 1), "370402") for m in (3, 4, 5, 6)]


def test_accepted_after_the_months_runs_started_the_receiving_county_pays_from_the_next_month(
    regions, county_official, receiving, as_user, moving
):
    child, enrollment = moving
    transfer_id = request_move(as_user(county_official), enrollment).json()["id"]
    with time_machine.travel(datetime.datetime(2025, 7, 1, 10, 0), tick=False):
        run_month(regions.county, "2025-07")  # the 1st: every county's run of the month has started
        run_month(regions.other_county, "2025-07")
        assert accept(as_user(receiving), transfer_id).json()["effective_month"] == "2025-08"
    enrollment.refresh_from_db()
    assert enrollment.end_month == D(2025, 7, 1)
    with time_machine.travel(datetime.datetime(2025, 8, 2, 10, 0), tick=False):
        run_month(regions.county, "2025-08")
        run_month(regions.other_county, "2025-08")
    assert paid(child) == [(D(2025, 7, 1), "370402"), (D(2025, 8, 1), "370403")]


def test_the_receiving_county_never_starts_in_a_month_it_has_already_run(regions, county_official, receiving, as_user, moving):
    child, enrollment = moving
    # A run of the receiving county for July exists already (started ahead, e.g. in the admin).
    PayoutRun.objects.create(region=regions.other_county, month=D(2025, 7, 1), status="draft")
    transfer_id = request_move(as_user(county_official), enrollment).json()["id"]
    assert accept(as_user(receiving), transfer_id).json()["effective_month"] == "2025-08"
    enrollment.refresh_from_db()
    assert enrollment.end_month == D(2025, 7, 1)  # our county pays July: no month is left unpaid
    assert Enrollment.objects.get(child=child, status="active").start_month == D(2025, 8, 1)


def test_the_receiving_county_opens_the_childs_record_after_acceptance_not_before(
    regions, county_official, receiving, as_user, moving
):
    child, enrollment = moving
    transfer_id = request_move(as_user(county_official), enrollment).json()["id"]
    client = as_user(receiving)
    assert client.get(f"/api/children/{child.id}/").status_code == 404
    assert client.get(f"/api/enrollments/{enrollment.id}/").status_code == 404
    seen = client.get(f"/api/transfers/{transfer_id}/").json()
    assert seen["child_name"] == child.name and seen["status"] == "requested"
    assert accept(client, transfer_id).status_code == 200
    record = client.get(f"/api/children/{child.id}/")
    assert record.status_code == 200
    assert (record.json()["region"], record.json()["household_region"]) == ("370403001001", "370403001001")
    assert client.get(f"/api/enrollments/{enrollment.id}/").status_code == 200
    # Our county keeps its history (the ended enrollment), no longer the child's record.
    ours = as_user(county_official)
    assert ours.get(f"/api/enrollments/{enrollment.id}/").json()["status"] == "ended"
    assert ours.get(f"/api/children/{child.id}/").status_code == 404
    assert ours.get(f"/api/transfers/{transfer_id}/").json()["status"] == "accepted"
    # Who did what, for both enrollments and the child.
    new = Enrollment.objects.get(child=child, status="active")
    assert AuditLog.objects.filter(action="enrollment.moved", target_id=str(enrollment.id), actor=receiving).exists()
    assert AuditLog.objects.filter(action="enrollment.opened", target_id=str(new.id), actor=receiving).exists()
    assert AuditLog.objects.filter(action="transfer.accepted", target_id=str(transfer_id), actor=receiving).exists()
    assert child.history.order_by("-history_id").first().region_id == regions.other_village.id
    assert child.history.filter(region_id=regions.village.id).exists()


def test_a_household_registration_outside_the_sending_county_stays_where_it_is(regions, county_official, receiving, as_user, standards):
    child, enrollment = enrolled_child(regions.village, regions.county, household_region=regions.city)
    transfer_id = request_move(as_user(county_official), enrollment).json()["id"]
    assert accept(as_user(receiving), transfer_id).status_code == 200
    child.refresh_from_db()
    assert (child.region_id, child.household_region_id) == (regions.other_village.id, regions.city.id)


@pytest.mark.parametrize("region", ["370402001001", "370403001", "370403", "370000"])
def test_the_receiving_county_must_choose_one_of_its_own_villages(county_official, receiving, as_user, moving, region):
    child, enrollment = moving
    transfer_id = request_move(as_user(county_official), enrollment).json()["id"]
    res = accept(as_user(receiving), transfer_id, region=region)
    assert res.status_code == 400
    assert "region" in res.json()
    assert Transfer.objects.get(id=transfer_id).status == "requested"
    assert Enrollment.objects.get(child=child, status="active").id == enrollment.id


def test_an_enrollment_ended_since_the_request_cannot_be_accepted(county_official, receiving, as_user, moving):
    child, enrollment = moving
    transfer_id = request_move(as_user(county_official), enrollment).json()["id"]
    as_user(county_official).post(f"/api/enrollments/{enrollment.id}/end/", {"reason": "ineligible"}, format="json")
    res = accept(as_user(receiving), transfer_id)
    assert res.status_code == 400
    assert Transfer.objects.get(id=transfer_id).status == "requested"
    assert not Enrollment.objects.filter(child=child, status="active").exists()
    assert Child.objects.get(id=child.id).region.code == "370402001001"


# --- who may see and decide ----------------------------------------------------------------------


def test_both_counties_and_the_city_above_them_see_the_request(county_official, receiving, city_official, as_user, moving):
    _child, enrollment = moving
    transfer_id = request_move(as_user(county_official), enrollment).json()["id"]
    for user in (county_official, receiving, city_official):
        listed = as_user(user).get("/api/transfers/").json()
        assert [t["id"] for t in listed["results"]] == [transfer_id], user.username


def test_a_third_county_cannot_see_or_act_on_the_transfer(regions, county_official, third, village_director, as_user, moving):
    child, enrollment = moving
    transfer_id = request_move(as_user(county_official), enrollment).json()["id"]
    for user in (third, village_director):
        client = as_user(user)
        assert client.get("/api/transfers/").json()["count"] == 0
        assert client.get(f"/api/transfers/{transfer_id}/").status_code == 404
        assert accept(client, transfer_id).status_code == 404
        assert client.post(f"/api/transfers/{transfer_id}/refuse/", {"reason": "x"}, format="json").status_code == 404
    transfer = Transfer.objects.get(id=transfer_id)
    assert (transfer.status, transfer.decided_by, transfer.effective_month) == ("requested", None, None)
    assert Enrollment.objects.filter(child=child).count() == 1


def test_the_sending_county_cannot_accept_or_refuse_its_own_request(regions, county_official, as_user, moving):
    child, enrollment = moving
    transfer_id = request_move(as_user(county_official), enrollment).json()["id"]
    client = as_user(county_official)
    assert accept(client, transfer_id).status_code == 403
    assert client.post(f"/api/transfers/{transfer_id}/refuse/", {"reason": "算了"}, format="json").status_code == 403
    assert Transfer.objects.get(id=transfer_id).status == "requested"
    assert Enrollment.objects.get(child=child).status == "active"


def test_a_city_official_sees_but_does_not_decide(county_official, city_official, as_user, moving):
    _child, enrollment = moving
    transfer_id = request_move(as_user(county_official), enrollment).json()["id"]
    assert accept(as_user(city_official), transfer_id).status_code == 403
    assert Transfer.objects.get(id=transfer_id).status == "requested"


def test_refusing_needs_a_reason_and_leaves_the_allowance_where_it_was(regions, county_official, receiving, as_user, moving):
    child, enrollment = moving
    transfer_id = request_move(as_user(county_official), enrollment, reason="迁居").json()["id"]
    client = as_user(receiving)
    for body in ({}, {"reason": "   "}):
        res = client.post(f"/api/transfers/{transfer_id}/refuse/", body, format="json")
        assert res.status_code == 400 and "reason" in res.json()
        assert Transfer.objects.get(id=transfer_id).status == "requested"
    res = client.post(f"/api/transfers/{transfer_id}/refuse/", {"reason": "户籍未迁入本县"}, format="json")
    assert res.status_code == 200, res.json()
    assert (res.json()["status"], res.json()["reason"], res.json()["effective_month"]) == ("refused", "户籍未迁入本县", None)
    transfer = Transfer.objects.get(id=transfer_id)
    assert transfer.decided_by == receiving and transfer.decided_at is not None
    assert AuditLog.objects.filter(action="transfer.refused", target_id=str(transfer_id)).exists()
    assert Enrollment.objects.get(child=child).status == "active"
    assert Child.objects.get(id=child.id).region_id == regions.village.id
    # A decided request is decided: no acceptance after a refusal, and a new request may be made.
    assert accept(client, transfer_id).status_code == 400
    assert request_move(as_user(county_official), enrollment).status_code == 202


def test_refusals_are_answered_in_chinese_by_default(county_official, receiving, api_client, moving):
    _child, enrollment = moving
    api_client.credentials()  # no Accept-Language: the default language
    api_client.force_authenticate(county_official)
    same = request_move(api_client, enrollment, county="370402").json()["county"][0]
    transfer_id = request_move(api_client, enrollment).json()["id"]
    api_client.force_authenticate(receiving)
    village = accept(api_client, transfer_id, region="370402001001").json()["region"][0]
    api_client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    english = accept(api_client, transfer_id, region="370402001001").json()["region"][0]
    for message in (same, village):
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message) and "county" not in message, message
    assert english.startswith("Choose the village of")


def test_the_schema_has_the_transfers_interface_of_the_design():
    from tests.welfare.test_api_contract import generated_schema

    schema = generated_schema()
    paths = schema["paths"]
    assert "202" in paths["/api/enrollments/{id}/move/"]["post"]["responses"]
    assert {"post"} <= set(paths["/api/transfers/{id}/accept/"]) and {"post"} <= set(paths["/api/transfers/{id}/refuse/"])
    fields = set(schema["components"]["schemas"]["Transfer"]["properties"])
    design = {"id", "enrollment", "child", "from_county", "to_county", "requested_on", "status", "effective_month", "reason"}
    assert design <= fields
