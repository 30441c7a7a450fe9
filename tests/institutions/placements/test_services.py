"""Admissions, discharges and care records: the rules of institutions.placements.services."""

import datetime

import pytest

from benefits.enrollments.models import Enrollment
from cases.applications.models import Application
from cases.children.models import CategoryMembership, Child
from institutions.models import CareRecord, Placement
from institutions.placements.services import (
    AdmissionInput,
    NewChildInput,
    care_record_add,
    placement_admit,
    placement_discharge,
)
from tests.factories import InstitutionFactory, UserFactory
from welfare.errors import ApplicationError, PermissionDeniedError
from welfare.models import AuditLog, Notification
from welfare.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 5, 20, 10, 0), tick=False)


D = datetime.date


def _admit(by, institution, **kw):
    values = {"institution": institution, "placed_on": D(2026, 5, 1), "admission_reason": "rescue"} | kw
    return placement_admit(by=by, data=AdmissionInput(**values))


def test_it_admits_a_registered_child_and_the_institution_then_sees_them(carer, county_official, home, child):
    placement = _admit(county_official, home, child=child)
    assert (placement.child, placement.institution, placement.left_on) == (child, home, None)
    assert AuditLog.objects.filter(action="placement.admitted").count() == 1
    from cases.children.selectors import child_visible

    assert child_visible(user=carer, child_id=child.id)


def test_it_admits_an_abandoned_infant_without_identity_number(carer, home, regions):
    infant = NewChildInput(name="福小安", sex="F", birth_date=D(2026, 4, 1), region=regions.village)
    placement = _admit(
        carer,
        home,
        admission_reason="abandoned",
        new_child=infant,
        found_at="东村路口",
        police_report_number="JB2026-0042",
    )
    child = placement.child
    assert child.id_number is None and child.region == regions.village and child.birth_date == D(2026, 4, 1)
    assert placement.birth_date_estimated and placement.police_report_number == "JB2026-0042"
    # The county is asked to recognise the child as an institution orphan (the existing path).
    application = Application.objects.get(child=child)
    assert (application.category, application.county, application.status) == (
        "orphan_institution",
        regions.county,
        "submitted",
    )
    assert not Enrollment.objects.filter(child=child).exists()  # nothing paid until the county approves


def test_it_requires_the_police_report_and_where_an_abandoned_child_was_found(carer, home, regions):
    infant = NewChildInput(name="福小安", sex="F", birth_date=D(2026, 4, 1), region=regions.village)
    with pytest.raises(ApplicationError) as exc:
        _admit(carer, home, admission_reason="abandoned", new_child=infant)
    assert set(exc.value.field_errors) == {"found_at", "police_report_number"}
    assert not Child.objects.exists() and not Placement.objects.exists()


def test_it_admits_a_child_recorded_anywhere_by_the_full_identity_number(county_official, home, other_child):
    placement = _admit(county_official, home, child_id_number=other_child.id_number)
    assert placement.child == other_child


def test_it_refuses_a_second_open_placement_and_changes_nothing(county_official, home, regions, child):
    _admit(county_official, home, child=child)
    elsewhere = InstitutionFactory(region=regions.county, name="市中区未成年人救助保护中心", kind="rescue")
    with pytest.raises(ApplicationError) as exc:
        _admit(county_official, elsewhere, child=child)
    assert "child" in exc.value.field_errors
    assert Placement.objects.filter(child=child).count() == 1


def test_it_refuses_an_admission_into_an_institution_outside_ones_scope(carer, outsider, other_carer, home, child):
    for user in (outsider, other_carer):
        with pytest.raises(PermissionDeniedError):
            _admit(user, home, child_id_number=child.id_number)
    assert not Placement.objects.exists()


def test_it_refuses_village_and_township_users_and_the_province(
    home, child, regions, village_director, township_supervisor, province_official
):
    for user in (village_director, township_supervisor, province_official):
        with pytest.raises(PermissionDeniedError):
            _admit(user, home, child=child)
    assert not Placement.objects.exists()


def test_it_refuses_a_new_child_found_outside_the_institutions_area(carer, home, regions):
    infant = NewChildInput(name="福小安", sex="F", birth_date=D(2026, 4, 1), region=regions.other_village)
    with pytest.raises(ApplicationError) as exc:
        _admit(carer, home, new_child=infant)
    assert "region" in exc.value.field_errors
    assert not Child.objects.exists()


def test_it_refuses_a_discharge_before_the_admission(carer, county_official, home, child):
    placement = _admit(county_official, home, child=child)
    with pytest.raises(ApplicationError) as exc:
        placement_discharge(by=carer, placement=placement, left_on=D(2026, 4, 30), discharge_reason="adoption")
    assert "left_on" in exc.value.field_errors
    placement.refresh_from_db()
    assert placement.left_on is None and placement.discharge_reason == ""


def test_it_ends_the_institution_orphan_enrollment_and_membership_on_adoption(
    carer, county_official, home, child, regions
):
    placement = _admit(county_official, home, child=child, admission_reason="orphan")
    Application.objects.filter(child=child).delete()
    Enrollment.objects.create(
        child=child, category="orphan_institution", county=regions.county, start_month=D(2026, 1, 1)
    )
    CategoryMembership.objects.create(child=child, category="orphan_institution", start_date=D(2026, 1, 1))
    placement_discharge(
        by=carer, placement=placement, left_on=D(2026, 5, 15), discharge_reason="adoption", note="收养登记"
    )
    placement.refresh_from_db()
    assert (placement.left_on, placement.discharge_reason) == (D(2026, 5, 15), "adoption")
    enrollment = Enrollment.objects.get(child=child)
    assert (enrollment.status, enrollment.end_reason, enrollment.end_month) == ("ended", "adoption", D(2026, 5, 1))
    assert CategoryMembership.objects.get(child=child, category="orphan_institution").end_date == D(2026, 5, 15)


def test_it_keeps_the_enrollment_for_a_foster_family(carer, county_official, home, child, regions):
    placement = _admit(county_official, home, child=child)
    Enrollment.objects.create(
        child=child, category="orphan_institution", county=regions.county, start_month=D(2026, 1, 1)
    )
    placement_discharge(by=carer, placement=placement, left_on=D(2026, 5, 15), discharge_reason="foster_family")
    assert Enrollment.objects.get(child=child).status == "active"


def test_it_tells_the_receiving_county_of_a_return_to_the_family(
    carer, county_official, outsider, home, child, regions
):
    placement = _admit(county_official, home, child=child)
    placement_discharge(
        by=carer,
        placement=placement,
        left_on=D(2026, 5, 15),
        discharge_reason="family_return",
        to_region=regions.other_village,
    )
    note = Notification.objects.get()
    assert note.recipient == outsider and child.name in note.body
    # Told once: the key is the placement's.
    assert Notification.objects.filter(kind="institution_discharge").count() == 1


def test_it_transfers_a_child_to_another_institution_of_the_county(carer, county_official, home, child, regions):
    centre = InstitutionFactory(region=regions.township, name="中心街道儿童之家", kind="childrens_home")
    centre_staff = UserFactory(username="centre", role=Role.INSTITUTION_STAFF, institution=centre)
    placement = _admit(county_official, home, child=child)
    placement_discharge(
        by=carer, placement=placement, left_on=D(2026, 5, 15), discharge_reason="transfer", to_institution=centre
    )
    new = Placement.objects.get(child=child, left_on__isnull=True)
    assert (new.institution, new.placed_on) == (centre, D(2026, 5, 15))
    assert Notification.objects.filter(recipient=centre_staff, kind="institution_transfer").exists()


def test_it_refuses_a_transfer_out_of_the_county(carer, county_official, home, other_home, child):
    placement = _admit(county_official, home, child=child)
    with pytest.raises(ApplicationError) as exc:
        placement_discharge(
            by=carer,
            placement=placement,
            left_on=D(2026, 5, 15),
            discharge_reason="transfer",
            to_institution=other_home,
        )
    assert "transferred_to" in exc.value.field_errors
    assert Placement.objects.get(child=child).left_on is None


def test_it_refuses_a_discharge_by_another_institution(other_carer, county_official, home, child):
    placement = _admit(county_official, home, child=child)
    with pytest.raises(PermissionDeniedError):
        placement_discharge(by=other_carer, placement=placement, left_on=D(2026, 5, 15), discharge_reason="adoption")
    assert Placement.objects.get().left_on is None


def test_it_adds_care_records_while_the_child_is_in_care(carer, other_carer, county_official, home, child):
    placement = _admit(county_official, home, child=child)
    record = care_record_add(
        by=carer, placement=placement, recorded_on=D(2026, 5, 10), domain="health", text="体检正常"
    )
    assert (record.child, record.institution, record.recorded_by) == (child, home, carer)
    with pytest.raises(ApplicationError) as exc:
        care_record_add(by=carer, placement=placement, recorded_on=D(2026, 4, 10), domain="health", text="x")
    assert "recorded_on" in exc.value.field_errors
    with pytest.raises(PermissionDeniedError):
        care_record_add(by=other_carer, placement=placement, recorded_on=D(2026, 5, 10), domain="health", text="x")
    assert CareRecord.objects.count() == 1
