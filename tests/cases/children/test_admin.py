"""The admin of children writes guardians and memberships through the services (their rules
and their audit rows) and reads its changelists set-wise."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.children.models import Guardian
from tests.factories import ChildFactory, GuardianFactory, MembershipFactory
from tests.welfare.test_admin import child_form_data, staff
from welfare.models import AuditLog

pytestmark = pytest.mark.django_db


def change(client, child, data):
    return client.post(reverse("admin:cases_child_change", args=[child.pk]), data)


def with_new_guardian(child, **fields):
    data = child_form_data(child)
    index = int(data["guardians-TOTAL_FORMS"])
    data["guardians-TOTAL_FORMS"] = str(index + 1)
    data.update({f"guardians-{index}-child": child.pk, f"guardians-{index}-can_act_as_guardian": "on"})
    data.update({f"guardians-{index}-{name}": value for name, value in fields.items()})
    return data


def test_an_inline_added_guardian_is_checked_by_the_service_rules_and_audited(client, township_supervisor, child):
    client.force_login(staff(township_supervisor))
    refused = change(client, child, with_new_guardian(child, name="张\u200b大山", relation="father", phone="12345"))
    assert refused.status_code == 200
    guardians = next(f.formset for f in refused.context["inline_admin_formsets"] if f.formset.prefix == "guardians")
    assert {"name", "phone"} <= set(guardians.forms[0].errors)
    assert not child.guardians.exists() and not AuditLog.objects.filter(action="guardian.added").exists()

    saved = change(client, child, with_new_guardian(child, name=" 张大山 ", relation="father", phone="138 0000 0000"))
    assert saved.status_code == 302, saved.content.decode()[:3000]
    guardian = child.guardians.get()
    assert (guardian.name, guardian.phone) == ("张大山", "13800000000")
    assert AuditLog.objects.filter(action="guardian.added", target_id=str(guardian.pk), actor=township_supervisor).exists()


def test_an_inline_correction_of_a_guardian_goes_through_the_service(client, township_supervisor, child):
    guardian = GuardianFactory(child=child, name="王奶奶", phone="13800000000", is_migrant_worker=True, work_place="宁波")
    client.force_login(staff(township_supervisor))
    data = child_form_data(child)
    data.update({"guardians-0-phone": "0851-1234567", "guardians-0-work_place": "宁波"})  # no longer works away
    response = change(client, child, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    guardian.refresh_from_db()
    assert (guardian.phone, guardian.is_migrant_worker, guardian.work_place) == ("0851-1234567", False, "")
    log = AuditLog.objects.get(action="guardian.updated", target_id=str(guardian.pk))
    assert {"phone", "is_migrant_worker", "work_place"} <= set(log.detail["fields"])


def test_an_inline_deletion_of_a_guardian_is_audited(client, township_supervisor, child):
    guardian = GuardianFactory(child=child, name="王奶奶")
    client.force_login(staff(township_supervisor))
    data = child_form_data(child)
    data["guardians-0-DELETE"] = "on"
    response = change(client, child, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert not Guardian.objects.filter(pk=guardian.pk).exists()
    assert AuditLog.objects.filter(action="guardian.removed", target_id=str(guardian.pk), actor=township_supervisor).exists()


def test_the_guardian_page_corrects_through_the_service(client, township_supervisor, child):
    guardian = GuardianFactory(child=child, name="王奶奶", relation="grandparent")
    client.force_login(staff(township_supervisor))
    url = reverse("admin:cases_guardian_change", args=[guardian.pk])
    refused = client.post(url, {"name": "王奶奶", "relation": "grandparent", "phone": "12345"})
    assert refused.status_code == 200
    saved = client.post(url, {"name": "王奶奶", "relation": "grandparent", "phone": "13900000000", "can_act_as_guardian": "on"})
    assert saved.status_code == 302, saved.content.decode()[:3000]
    guardian.refresh_from_db()
    assert guardian.phone == "13900000000"
    assert AuditLog.objects.filter(action="guardian.updated", target_id=str(guardian.pk)).exists()


def test_a_membership_note_corrected_in_the_inline_is_audited(client, township_supervisor, child):
    membership = MembershipFactory(child=child, category="left_behind", start_date=datetime.date(2024, 1, 10))
    client.force_login(staff(township_supervisor))
    data = child_form_data(child, **{"memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "1"})
    row = {"id": membership.pk, "child": child.pk, "category": "left_behind", "start_date": "2024-01-10", "reason": "父母外出务工"}
    data.update({f"memberships-0-{name}": value for name, value in row.items()})
    response = change(client, child, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    membership.refresh_from_db()
    assert membership.reason == "父母外出务工"
    assert AuditLog.objects.filter(action="membership.updated", target_id=str(membership.pk)).exists()


@pytest.mark.parametrize("model", ["child", "guardian", "categorymembership"])
def test_the_changelists_do_not_query_per_row(client, county_official, regions, django_assert_num_queries, model):
    client.force_login(staff(county_official))
    url = reverse(f"admin:cases_{model}_changelist")

    def add_rows(count):
        for _ in range(count):
            child = ChildFactory(region=regions.village)
            MembershipFactory(child=child)
            GuardianFactory(child=child)

    add_rows(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_rows(15)
    with django_assert_num_queries(len(few)):
        assert client.get(url).status_code == 200
