"""Pages and admin of allowance transfers: the move form on the enrollment page asks, the
receiving county accepts or refuses on its transfers page; nobody else sees them."""

import datetime

import pytest
import time_machine

from benefits.enrollments.models import Enrollment, Transfer
from cases.children.models import Child
from tests.benefits.helpers import enrolled_child, std
from tests.factories import RegionFactory, UserFactory
from welfare.models import Region
from welfare.roles import Role


@pytest.fixture(autouse=True)
def english(client):
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2025, 6, 16, 10, 0), tick=False):
        yield


@pytest.fixture
def receiving(regions):
    return UserFactory(username="receiving", role=Role.COUNTY_OFFICIAL, region=regions.other_county)


@pytest.fixture
def third(regions):
    county = RegionFactory(code="370404", name="峄城区", level=Region.Level.COUNTY, parent=regions.city)
    return UserFactory(username="third", role=Role.COUNTY_OFFICIAL, region=county)


@pytest.fixture
def moving(regions):
    std(regions.city, "orphan_scattered", 1400)
    return enrolled_child(regions.village, regions.county, name="王小迁")


def ask_on_the_enrollment_page(client, county_official, enrollment, **extra):
    client.force_login(county_official)
    return client.post(
        f"/benefits/enrollments/{enrollment.id}/",
        {"action": "move", "move-county": "370403", "move-reason": "随母迁居", **extra},
    )


def test_the_move_form_of_the_enrollment_page_sends_a_request_and_moves_nothing(client, regions, county_official, moving):
    child, enrollment = moving
    res = ask_on_the_enrollment_page(client, county_official, enrollment, **{"move-on": "2025-03-01"})
    assert res.status_code == 302
    transfer = Transfer.objects.get()
    assert (transfer.status, transfer.to_county_id, transfer.reason) == ("requested", regions.other_county.id, "随母迁居")
    enrollment.refresh_from_db()
    assert enrollment.status == "active" and enrollment.end_month is None
    page = client.get(res.url).content.decode()
    assert "薛城区" in page and "/benefits/transfers/" in page and "Requested" in page


def test_the_move_form_shows_a_refusal_on_the_form(client, regions, county_official, moving):
    _child, enrollment = moving
    client.force_login(county_official)
    res = client.post(f"/benefits/enrollments/{enrollment.id}/", {"action": "move", "move-county": "370402"})
    assert res.status_code == 400 and "already paid by this county" in res.content.decode()
    assert not Transfer.objects.exists()


def test_the_receiving_county_accepts_on_its_transfers_page(client, regions, county_official, receiving, moving):
    child, enrollment = moving
    ask_on_the_enrollment_page(client, county_official, enrollment)
    transfer = Transfer.objects.get()
    client.force_login(receiving)
    page = client.get("/benefits/transfers/").content.decode()
    assert "王小迁" in page and "北村社区" in page and f"/benefits/transfers/{transfer.id}/accept/" in page
    res = client.post(f"/benefits/transfers/{transfer.id}/accept/", {"region": "370403001001"})
    assert res.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == "accepted" and transfer.effective_month == datetime.date(2025, 7, 1)
    assert Enrollment.objects.get(child=child, status="active").county_id == regions.other_county.id
    assert Child.objects.get(id=child.id).region_id == regions.other_village.id
    assert "2025-07" in client.get("/benefits/transfers/").content.decode()


def test_refusing_on_the_page_needs_a_reason(client, regions, county_official, receiving, moving):
    _child, enrollment = moving
    ask_on_the_enrollment_page(client, county_official, enrollment)
    transfer = Transfer.objects.get()
    client.force_login(receiving)
    res = client.post(f"/benefits/transfers/{transfer.id}/refuse/", {"reason": ""})
    assert res.status_code == 400 and "required" in res.content.decode()
    assert Transfer.objects.get().status == "requested"
    res = client.post(f"/benefits/transfers/{transfer.id}/refuse/", {"reason": "户籍未迁入"})
    assert res.status_code == 302
    assert Transfer.objects.get().status == "refused"


def test_the_sending_county_sees_its_request_but_cannot_accept_it(client, regions, county_official, moving):
    _child, enrollment = moving
    ask_on_the_enrollment_page(client, county_official, enrollment)
    transfer = Transfer.objects.get()
    page = client.get("/benefits/transfers/").content.decode()
    assert "王小迁" in page and f"/benefits/transfers/{transfer.id}/accept/" not in page
    assert client.post(f"/benefits/transfers/{transfer.id}/accept/", {"region": "370403001001"}).status_code == 403
    assert Transfer.objects.get().status == "requested"


def test_a_third_county_sees_nothing_and_acts_on_nothing(client, regions, county_official, third, moving):
    _child, enrollment = moving
    ask_on_the_enrollment_page(client, county_official, enrollment)
    transfer = Transfer.objects.get()
    client.force_login(third)
    assert "王小迁" not in client.get("/benefits/transfers/").content.decode()
    assert client.post(f"/benefits/transfers/{transfer.id}/accept/", {"region": "370403001001"}).status_code == 404
    assert client.post(f"/benefits/transfers/{transfer.id}/refuse/", {"reason": "x"}).status_code == 404
    assert Transfer.objects.get().status == "requested"


def test_the_admin_shows_transfers_read_only_and_scoped(client, regions, county_official, receiving, third, moving):
    _child, enrollment = moving
    ask_on_the_enrollment_page(client, county_official, enrollment)
    transfer = Transfer.objects.get()
    for user in (receiving, third):
        user.is_staff = True
        user.save()
    client.force_login(receiving)
    assert "王小迁" in client.get("/admin/benefits/transfer/").content.decode()
    assert client.get(f"/admin/benefits/transfer/{transfer.id}/change/").status_code == 200
    assert client.get("/admin/benefits/transfer/add/").status_code == 403
    client.post(f"/admin/benefits/transfer/{transfer.id}/change/", {"status": "accepted"})
    assert Transfer.objects.get().status == "requested"
    client.force_login(third)
    assert "王小迁" not in client.get("/admin/benefits/transfer/").content.decode()
    assert client.get(f"/admin/benefits/transfer/{transfer.id}/change/").status_code in (302, 404)
