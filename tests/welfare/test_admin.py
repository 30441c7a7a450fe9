"""The Django admin reads through the scoped selectors and never shows a full identity number
in a list."""

import datetime
import re

import pytest
from django.urls import reverse

from cases.children.models import Child
from tests.factories import ChildFactory, GuardianFactory, InstitutionFactory, MembershipFactory
from welfare.models import AuditLog

pytestmark = pytest.mark.django_db


def staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def county_admin(county_official):
    return staff(county_official)


@pytest.fixture
def outsider_admin(outsider):
    return staff(outsider)


@pytest.fixture
def three_children(regions):
    return (
        ChildFactory(region=regions.village, name="张小明"),
        ChildFactory(region=regions.village_c, name="王小丽"),
        ChildFactory(region=regions.other_village, name="李小红"),
    )


def changelist(client, user, **params):
    client.force_login(user)
    return client.get(reverse("admin:cases_child_changelist"), params)


def test_it_shows_a_county_official_only_the_children_of_their_county(client, county_admin, three_children):
    html = changelist(client, county_admin).content.decode()
    assert "张小明" in html and "王小丽" in html
    assert "李小红" not in html


def test_it_shows_an_outsider_none_of_our_children(client, outsider_admin, three_children):
    html = changelist(client, outsider_admin).content.decode()
    assert "李小红" in html
    assert "张小明" not in html and "王小丽" not in html


def test_it_does_not_open_a_child_outside_the_county(client, county_admin, three_children):
    outside = three_children[2]
    client.force_login(county_admin)
    response = client.get(reverse("admin:cases_child_change", args=[outside.pk]))
    assert response.status_code in (302, 403, 404)
    assert outside.id_number not in response.content.decode()
    history = client.get(reverse("admin:cases_child_history", args=[outside.pk]))
    assert history.status_code in (302, 403, 404)
    posted = client.post(reverse("admin:cases_child_change", args=[outside.pk]), {"name": "改名"})
    assert posted.status_code in (302, 403, 404)
    outside.refresh_from_db()
    assert outside.name == "李小红"


def test_it_masks_identity_numbers_in_the_changelist_and_its_search_results(client, county_admin, three_children):
    child = three_children[0]
    html = changelist(client, county_admin).content.decode()
    assert child.id_number not in html
    assert child.masked_id_number in html
    found = changelist(client, county_admin, q=child.id_number).content.decode()
    # The number the user typed is echoed in the search box and in links that keep the search;
    # the rows themselves show it masked.
    results = re.sub(r"<[^>]+>", " ", found[found.index("<tbody>") : found.index("</tbody>")])
    assert "张小明" in results and "王小丽" not in results
    assert child.id_number not in results
    assert child.masked_id_number in results


def test_it_finds_no_child_of_another_county_by_its_full_number(client, county_admin, three_children):
    html = changelist(client, county_admin, q=three_children[2].id_number).content.decode()
    assert "李小红" not in html


def test_it_masks_guardian_numbers_in_their_changelist(client, county_admin, child):
    guardian = GuardianFactory(child=child, id_number="370402198001011234"[:17] + "X")
    client.force_login(county_admin)
    html = client.get(reverse("admin:cases_guardian_changelist")).content.decode()
    assert guardian.name in html
    assert guardian.id_number not in html


def test_it_reveals_the_full_number_on_the_record_page_only_to_allowed_roles_and_logs_it(
    client, county_admin, city_official, child
):
    client.force_login(county_admin)
    html = client.get(reverse("admin:cases_child_change", args=[child.pk])).content.decode()
    assert child.id_number in html
    assert AuditLog.objects.filter(
        action="id_number.revealed", target_id=str(child.pk), actor=county_admin
    ).exists()

    client.force_login(staff(city_official))
    response = client.get(reverse("admin:cases_child_change", args=[child.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert child.id_number not in html
    assert child.masked_id_number in html


def test_it_refuses_a_wrong_identity_number_beside_the_field_and_saves_nothing(client, county_admin, regions, child):
    client.force_login(county_admin)
    data = child_form_data(child, id_number=child.id_number[:-1] + ("0" if child.id_number[-1] != "0" else "1"))
    response = client.post(reverse("admin:cases_child_change", args=[child.pk]), data)
    assert response.status_code == 200
    assert 'id="id_id_number_error"' in response.content.decode()
    stored = Child.objects.get(pk=child.pk)
    assert stored.id_number == child.id_number


def test_it_saves_a_change_through_the_service(client, county_admin, regions, child):
    client.force_login(county_admin)
    response = client.post(
        reverse("admin:cases_child_change", args=[child.pk]), child_form_data(child, school="第二实验小学")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    child.refresh_from_db()
    assert child.school == "第二实验小学"
    assert AuditLog.objects.filter(action="child.updated", target_id=str(child.pk)).exists()
    assert child.history.count() >= 1


def test_it_refuses_a_number_already_recorded_elsewhere_naming_the_region(
    client, admin_user, regions, child, other_child
):
    client.force_login(admin_user)
    data = child_form_data(
        other_child, id_number=child.id_number, sex=child.sex, birth_date=child.birth_date.isoformat()
    )
    response = client.post(reverse("admin:cases_child_change", args=[other_child.pk]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "东村社区" in html
    other_child.refresh_from_db()
    assert other_child.id_number != child.id_number


def test_it_registers_a_child_with_a_membership_through_the_services(client, admin_user, regions):
    from welfare.idnumber import make_id_number

    client.force_login(admin_user)
    number = make_id_number("370402", datetime.date(2016, 5, 1), 77, "F")
    data = child_form_data(
        None,
        name="赵小雨",
        id_number=number,
        sex="",
        birth_date="",
        region=regions.village.pk,
        household_region="",
    )
    data.update(
        {
            "memberships-TOTAL_FORMS": "1",
            "memberships-0-category": "left_behind",
            "memberships-0-start_date": "2025-01-02",
        }
    )
    response = client.post(reverse("admin:cases_child_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    child = Child.objects.with_id_number(number).get()
    assert (child.sex, child.birth_date) == ("F", datetime.date(2016, 5, 1))
    assert child.household_region == regions.village
    assert list(child.memberships.values_list("category", flat=True)) == ["left_behind"]
    assert AuditLog.objects.filter(action="child.registered", target_id=str(child.pk)).exists()


def test_it_refuses_a_second_paid_category_in_the_inline(client, admin_user, child):
    MembershipFactory(child=child, category="orphan_scattered")
    client.force_login(admin_user)
    response = client.get(reverse("admin:cases_child_change", args=[child.pk]))
    assert response.status_code == 200
    data = child_form_data(child)
    membership = child.memberships.get()
    data.update({
        "memberships-TOTAL_FORMS": "2", "memberships-INITIAL_FORMS": "1",
        "memberships-0-id": membership.pk, "memberships-0-child": child.pk, "memberships-0-category": "orphan_scattered",
        "memberships-0-start_date": membership.start_date.isoformat(),
        "memberships-1-child": child.pk, "memberships-1-category": "key_difficulty", "memberships-1-start_date": "2025-01-01",
    })  # fmt: skip
    response = client.post(reverse("admin:cases_child_change", args=[child.pk]), data)
    assert response.status_code == 200
    assert child.memberships.count() == 1


def test_it_does_not_let_a_county_official_add_a_child(client, county_admin):
    client.force_login(county_admin)
    assert client.get(reverse("admin:cases_child_add")).status_code == 403


def test_it_offers_only_regions_of_ones_own_subtree_in_the_autocomplete(client, county_admin, regions):
    client.force_login(county_admin)
    url = reverse("admin:autocomplete")
    params = {"app_label": "cases", "model_name": "child", "field_name": "region", "term": "社区"}
    results = client.get(url, params).json()["results"]
    texts = " ".join(r["text"] for r in results)
    assert "东村社区" in texts and "南村社区" in texts
    assert "北村社区" not in texts


def test_it_masks_identity_numbers_in_the_history_of_a_child(client, county_admin, child):
    from welfare.idnumber import make_id_number

    old = child.id_number
    child.id_number = make_id_number("370402", child.birth_date, 321, child.sex)
    child.save()
    client.force_login(county_admin)
    html = client.get(reverse("admin:cases_child_history", args=[child.pk])).content.decode()
    assert old not in html and child.id_number not in html


def test_it_keeps_the_audit_log_read_only(client, admin_user, county_admin):
    entry = AuditLog.objects.create(action="test.entry", target_repr="x")
    client.force_login(admin_user)
    assert client.get(reverse("admin:welfare_auditlog_changelist")).status_code == 200
    assert client.get(reverse("admin:welfare_auditlog_add")).status_code == 403
    assert client.get(reverse("admin:welfare_auditlog_delete", args=[entry.pk])).status_code == 403
    assert (
        client.post(reverse("admin:welfare_auditlog_change", args=[entry.pk]), {"action": "changed"}).status_code == 403
    )
    assert AuditLog.objects.get(pk=entry.pk).action == "test.entry"
    client.force_login(county_admin)
    assert client.get(reverse("admin:welfare_auditlog_changelist")).status_code == 403


def test_it_scopes_institutions_to_the_county(client, county_admin, regions):
    InstitutionFactory(name="市中区救助站", region=regions.county)
    InstitutionFactory(name="薛城区救助站", region=regions.other_county)
    client.force_login(county_admin)
    html = client.get(reverse("admin:institutions_institution_changelist")).content.decode()
    assert "市中区救助站" in html and "薛城区救助站" not in html


def test_every_admin_changelist_answers_for_the_administrator_and_the_county_official(
    client, admin_user, county_admin, child
):
    from django.contrib import admin as django_admin

    for user in (admin_user, county_admin):
        client.force_login(user)
        for model, model_admin in django_admin.site._registry.items():
            if model._meta.app_label not in ("welfare", "cases", "institutions"):
                continue
            if not model_admin.has_view_permission(type("R", (), {"user": user})()):
                continue
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            assert client.get(url).status_code == 200, url


def child_form_data(child, **overrides):
    data = {
        "name": child.name if child else "",
        "id_number": (child.id_number or "") if child else "",
        "sex": child.sex if child else "",
        "birth_date": child.birth_date.isoformat() if child else "",
        "region": child.region_id if child else "",
        "household_region": child.household_region_id if child else "",
        "school": child.school if child else "",
        "health_notes": "",
        "disability_notes": "",
        "died_on": "",
    }
    for prefix in ("guardians", "memberships", "checks"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    if child is not None:
        data["guardians-INITIAL_FORMS"] = data["guardians-TOTAL_FORMS"] = str(child.guardians.count())
        for i, g in enumerate(child.guardians.all()):
            data.update(
                {
                    f"guardians-{i}-id": g.pk,
                    f"guardians-{i}-child": child.pk,
                    f"guardians-{i}-name": g.name,
                    f"guardians-{i}-relation": g.relation,
                }
            )
        data["checks-INITIAL_FORMS"] = data["checks-TOTAL_FORMS"] = str(child.checks.count())
        for i, c in enumerate(child.checks.all()):
            data.update({f"checks-{i}-id": c.pk, f"checks-{i}-child": child.pk})
    data.update(overrides)
    return data


def test_every_admin_page_renders_on_the_demo_data_for_every_staff_role(client):
    from django.contrib import admin as django_admin

    from demo.seed import demo_seed
    from welfare.models import User

    demo_seed()
    for username in ("admin", "county_official", "city_official", "institution_staff"):
        user = staff(User.objects.get(username=username))
        client.force_login(user)
        assert client.get(reverse("admin:index")).status_code == 200
        for model, model_admin in django_admin.site._registry.items():
            label = model._meta.app_label
            if label not in ("welfare", "cases", "institutions"):
                continue
            name = f"admin:{label}_{model._meta.model_name}"
            request = type("R", (), {"user": user})()
            if not model_admin.has_view_permission(request):
                assert client.get(reverse(f"{name}_changelist")).status_code == 403
                continue
            html = client.get(reverse(f"{name}_changelist")).content.decode()
            assert "errornote" not in html, name
            obj = model_admin.get_queryset(type("R", (), {"user": user, "GET": {}})()).order_by("pk").first()
            if obj is not None:
                response = client.get(reverse(f"{name}_change", args=[obj.pk]))
                assert response.status_code == 200, name
                if hasattr(obj, "history"):
                    assert client.get(reverse(f"{name}_history", args=[obj.pk])).status_code == 200, name
            add = client.get(reverse(f"{name}_add"))
            assert add.status_code == (200 if model_admin.has_add_permission(request) else 403), name


def test_the_child_changelist_does_not_query_per_row(client, county_admin, regions):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        client.force_login(county_admin)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("admin:cases_child_changelist")).status_code == 200
        return len(ctx)

    for _ in range(2):
        MembershipFactory(child=ChildFactory(region=regions.village))
    few = queries()
    for _ in range(15):
        MembershipFactory(child=ChildFactory(region=regions.village_c))
    assert queries() == few


def test_an_administrator_adds_a_region_whose_path_is_computed(client, admin_user, regions):
    from welfare.models import Region

    client.force_login(admin_user)
    response = client.post(
        reverse("admin:welfare_region_add"),
        {"code": "370402001009", "name": "新建社区", "level": "village", "parent": regions.township.pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Region.objects.get(code="370402001009").path == regions.township.path + "370402001009/"


def test_the_user_form_refuses_a_binding_that_does_not_fit_the_role(client, admin_user, regions):
    from welfare.models import User

    client.force_login(admin_user)
    response = client.post(
        reverse("admin:welfare_user_add"),
        {
            "username": "newdirector",
            "usable_password": "true",
            "password1": "Qingtan-2024!",
            "password2": "Qingtan-2024!",
            "role": "village_director",
            "region": regions.township.pk,
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="newdirector").exists()
    response = client.post(
        reverse("admin:welfare_user_add"),
        {
            "username": "newdirector",
            "usable_password": "true",
            "password1": "Qingtan-2024!",
            "password2": "Qingtan-2024!",
            "role": "village_director",
            "region": regions.village.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(username="newdirector").region == regions.village


def test_a_county_official_cannot_manage_users(client, county_admin):
    client.force_login(county_admin)
    assert client.get(reverse("admin:welfare_user_changelist")).status_code == 403
    assert client.get(reverse("admin:welfare_user_change", args=[county_admin.pk])).status_code in (302, 403)


def test_it_adds_guardians_and_ends_memberships_through_the_services(client, township_supervisor, child):
    membership = MembershipFactory(child=child, category="left_behind", start_date=datetime.date(2024, 1, 10))
    client.force_login(staff(township_supervisor))
    data = child_form_data(child)
    data.update(
        {
            "guardians-TOTAL_FORMS": "1",
            "guardians-0-child": child.pk,
            "guardians-0-name": "张大山",
            "guardians-0-relation": "father",
            "guardians-0-is_migrant_worker": "on",
            "guardians-0-work_place": "宁波",
            "guardians-0-can_act_as_guardian": "on",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": membership.pk,
            "memberships-0-child": child.pk,
            "memberships-0-category": "left_behind",
            "memberships-0-start_date": "2024-01-10",
            "memberships-0-end_date": "2025-06-30",
            "memberships-0-end_reason": "父母返乡",
        }
    )
    response = client.post(reverse("admin:cases_child_change", args=[child.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    guardian = child.guardians.get()
    assert (guardian.name, guardian.is_migrant_worker, guardian.work_place) == ("张大山", True, "宁波")
    membership.refresh_from_db()
    assert (membership.end_date, membership.end_reason) == (datetime.date(2025, 6, 30), "父母返乡")
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"guardian.added", "membership.ended"} <= actions


def test_it_asks_for_a_reason_when_a_membership_ends(client, county_admin, child):
    membership = MembershipFactory(child=child, category="left_behind", start_date=datetime.date(2024, 1, 10))
    client.force_login(county_admin)
    data = child_form_data(child)
    data.update(
        {
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": membership.pk,
            "memberships-0-child": child.pk,
            "memberships-0-category": "left_behind",
            "memberships-0-start_date": "2024-01-10",
            "memberships-0-end_date": "2025-06-30",
        }
    )
    response = client.post(reverse("admin:cases_child_change", args=[child.pk]), data)
    assert response.status_code == 200
    membership.refresh_from_db()
    assert membership.end_date is None
