import pytest

from cases.applications.models import Application

pytestmark = pytest.mark.django_db


def test_it_files_an_application_from_the_childs_page_without_retyping_the_number(client, village_director, child, regions):
    client.force_login(village_director)
    page = client.get(f"/cases/applications/new/?child={child.id}")
    assert page.status_code == 200
    assert child.id_number not in page.content.decode()
    response = client.post(
        f"/cases/applications/new/?child={child.id}",
        {"child": child.id, "category": "orphan_scattered", "received_region": regions.township.code, "reason": "父母双亡"},
    )
    assert response.status_code == 302
    application = Application.objects.get()
    assert (application.child, application.county) == (child, regions.county)


def test_it_does_not_file_for_a_child_outside_the_users_scope(client, village_director, other_child, regions):
    client.force_login(village_director)
    response = client.post(
        f"/cases/applications/new/?child={other_child.id}",
        {"child": other_child.id, "category": "orphan_scattered", "received_region": regions.township.code},
    )
    assert response.status_code == 404
    assert not Application.objects.exists()


def test_a_filing_without_a_number_or_with_an_unknown_township_code_is_refused_beside_the_fields(client, village_director, regions):
    client.force_login(village_director)
    response = client.post("/cases/applications/new/", {"category": "orphan_scattered", "received_region": "999999999"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "请输入儿童完整的18位身份证号码。" in page and "不存在该代码的行政区划。" in page
    assert not Application.objects.exists()
