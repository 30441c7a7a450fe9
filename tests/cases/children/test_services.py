"""Writes of guardians and category memberships (cases/children/services.py): the rules in one
place, an audit row for each change, nothing for a user outside the child's area."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from cases.children.models import Guardian
from cases.children.services import (
    guardian_remove,
    guardian_update,
    membership_end,
    membership_start,
    membership_update,
)
from tests.factories import GuardianFactory, MembershipFactory
from welfare.errors import ApplicationError
from welfare.models import AuditLog

pytestmark = pytest.mark.django_db


def test_a_guardian_is_corrected_by_the_rules_of_adding_one(township_supervisor, child):
    guardian = GuardianFactory(child=child, name="王奶奶", is_migrant_worker=True, work_place="宁波")
    with pytest.raises(ApplicationError) as refused:
        guardian_update(by=township_supervisor, guardian=guardian, phone="12345", relation="neighbour")
    assert set(refused.value.field_errors) == {"phone", "relation"}
    guardian.refresh_from_db()
    assert guardian.phone == "13800000000"

    guardian_update(by=township_supervisor, guardian=guardian, name=" 王外婆 ", is_migrant_worker=False)
    guardian.refresh_from_db()
    assert (guardian.name, guardian.is_migrant_worker, guardian.work_place) == ("王外婆", False, "")
    log = AuditLog.objects.get(action="guardian.updated", target_id=str(guardian.pk))
    assert log.detail == {"fields": ["is_migrant_worker", "name", "work_place"]}


def test_a_guardian_of_a_child_outside_ones_area_is_neither_corrected_nor_removed(outsider, child):
    guardian = GuardianFactory(child=child)
    with pytest.raises(PermissionDenied):
        guardian_update(by=outsider, guardian=guardian, phone="13900000000")
    with pytest.raises(PermissionDenied):
        guardian_remove(by=outsider, guardian=guardian)
    assert Guardian.objects.filter(pk=guardian.pk).with_phone("13800000000").exists()


def test_a_removed_guardian_leaves_an_audit_row(township_supervisor, child):
    guardian = GuardianFactory(child=child)
    pk = guardian.pk
    guardian_remove(by=township_supervisor, guardian=guardian)
    assert not Guardian.objects.filter(pk=pk).exists()
    assert AuditLog.objects.filter(action="guardian.removed", target_id=str(pk)).exists()


def test_a_second_paid_category_waits_until_the_first_has_ended(township_supervisor, child):
    paid = MembershipFactory(child=child, category="orphan_scattered", start_date=datetime.date(2024, 1, 10))
    with pytest.raises(ApplicationError) as refused:
        membership_start(by=township_supervisor, child=child, category="key_difficulty", start_date=datetime.date(2025, 1, 1))
    assert set(refused.value.field_errors) == {"categories"}
    membership_end(by=township_supervisor, membership=paid, end_date=datetime.date(2024, 12, 31), end_reason="认定为重点困境儿童")
    started = membership_start(by=township_supervisor, child=child, category="key_difficulty", start_date=datetime.date(2025, 1, 1))
    assert AuditLog.objects.filter(action="membership.started", target_id=str(started.pk)).exists()


def test_a_membership_note_is_corrected_with_an_audit_row_and_only_when_it_changes(township_supervisor, child):
    membership = MembershipFactory(child=child, reason="")
    membership_update(by=township_supervisor, membership=membership, sub_category="", reason="")
    assert not AuditLog.objects.filter(action="membership.updated").exists()
    membership_update(by=township_supervisor, membership=membership, sub_category="", reason="父母外出务工")
    membership.refresh_from_db()
    assert membership.reason == "父母外出务工"
    assert AuditLog.objects.get(action="membership.updated").detail == {"fields": ["reason"]}
