"""Revealing a full identity number is allowed to the responsible roles only, and every reveal
is in the access log: who, when, which record, from where."""

import pytest
from knox.models import AuthToken

from cases.children.reveal import child_id_number_reveal, guardian_id_number_reveal
from tests.factories import ChildFactory, GuardianFactory, UserFactory
from welfare.errors import PermissionDeniedError
from welfare.idnumber import mask_id_number
from welfare.models import AuditLog
from welfare.roles import Role

pytestmark = pytest.mark.django_db


def _api(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user)[1]}")
    return api_client


def test_it_reveals_a_childs_number_to_its_village_director_and_logs_it(api_client, village_director, child):
    response = _api(api_client, village_director).post(f"/api/children/{child.id}/reveal/", REMOTE_ADDR="10.2.3.4")
    assert response.status_code == 200
    assert response.json() == {"id_number": child.id_number}
    assert response["Cache-Control"] == "no-store"
    log = AuditLog.objects.get(action="id_number.revealed")
    assert (log.actor, log.target_type, log.target_id, log.ip_address) == (
        village_director,
        "cases.child",
        str(child.id),
        "10.2.3.4",
    )
    assert child.id_number not in str(log.detail) + log.target_repr


def test_it_reveals_a_guardians_number_and_logs_it(api_client, township_supervisor, child):
    guardian = GuardianFactory(child=child, id_number="370402196005050024")
    response = _api(api_client, township_supervisor).post(f"/api/guardians/{guardian.id}/reveal/")
    assert response.status_code == 200
    assert response.json() == {"id_number": guardian.id_number}
    log = AuditLog.objects.get(action="id_number.revealed")
    assert (log.actor, log.target_type, log.target_id) == (township_supervisor, "cases.guardian", str(guardian.id))


def test_it_refuses_a_role_that_may_not_reveal_and_logs_nothing(api_client, city_official, child):
    response = _api(api_client, city_official).post(f"/api/children/{child.id}/reveal/")
    assert response.status_code == 403
    assert "id_number" not in response.json()
    assert not AuditLog.objects.filter(action="id_number.revealed").exists()


def test_it_hides_a_child_of_another_county_from_an_outsider(api_client, outsider_director, child):
    response = _api(api_client, outsider_director).post(f"/api/children/{child.id}/reveal/")
    assert response.status_code == 404
    assert child.id_number not in response.content.decode()
    assert not AuditLog.objects.exists()


def test_it_refuses_in_the_service_too_when_the_record_is_outside_scope(outsider_director, child, regions):
    with pytest.raises(PermissionDeniedError):
        child_id_number_reveal(by=outsider_director, child=child, request_ip=None)
    guardian = GuardianFactory(child=child, id_number="370402196005050024")
    with pytest.raises(PermissionDeniedError):
        guardian_id_number_reveal(by=outsider_director, guardian=guardian, request_ip=None)
    assert not AuditLog.objects.exists()


def test_it_lets_institution_staff_reveal_only_children_placed_with_them(regions, child):
    staff = UserFactory(username="carer", role=Role.INSTITUTION_STAFF, region=None)
    with pytest.raises(PermissionDeniedError):  # no institution, no children
        child_id_number_reveal(by=staff, child=child, request_ip=None)


def test_it_refuses_a_disabled_user(village_director, child):
    village_director.is_active = False
    village_director.save()
    with pytest.raises(PermissionDeniedError):
        child_id_number_reveal(by=village_director, child=child, request_ip=None)


def test_it_answers_400_for_a_child_without_a_number(api_client, village_director, regions):
    foundling = ChildFactory(region=regions.village, id_number=None, name="无名")
    response = _api(api_client, village_director).post(f"/api/children/{foundling.id}/reveal/")
    assert response.status_code == 400
    assert not AuditLog.objects.exists()


def test_it_reveals_on_a_page_by_post_only_and_keeps_the_number_out_of_the_title(client, village_director, child):
    client.force_login(village_director)
    url = f"/cases/reveal/children/{child.id}/"
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert child.id_number in html
    title = html.split("<title>", 1)[1].split("</title>", 1)[0]
    assert child.id_number not in title and mask_id_number(child.id_number) not in title
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert AuditLog.objects.filter(action="id_number.revealed", actor=village_director).count() == 1


def test_it_sends_an_anonymous_visitor_to_the_login_page(client, api_client, child):
    response = client.post(f"/cases/reveal/children/{child.id}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert api_client.post(f"/api/children/{child.id}/reveal/").status_code in (401, 403)
    assert not AuditLog.objects.exists()
