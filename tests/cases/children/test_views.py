"""The child director's and supervisor's pages through the Django test client: bad input,
scope, double submits, drafts, review and the language switch."""

import datetime
import re

import pytest
from django.urls import reverse

from cases.children.models import Child, Draft, FormSubmission, Guardian
from tests.factories import GuardianFactory, id_number_for

pytestmark = pytest.mark.django_db


def registration(regions, **overrides):
    number = id_number_for(regions.village, datetime.date(2016, 5, 20), "F")
    data = {
        "form_token": "token-" + number,
        "name": "王小花",
        "id_number": number,
        "sex": "",
        "birth_date": "",
        "region": str(regions.village.id),
        "household_region": "",
        "school": "东村小学",
        "health_notes": "",
        "disability_notes": "",
        "categories": ["left_behind"],
        "guardians-TOTAL_FORMS": "2",
        "guardians-INITIAL_FORMS": "0",
        "guardians-MIN_NUM_FORMS": "0",
        "guardians-MAX_NUM_FORMS": "6",
        "guardians-0-name": "王奶奶",
        "guardians-0-relation": "grandparent",
        "guardians-0-id_number": "",
        "guardians-0-phone": "13800000001",
        "guardians-0-can_act_as_guardian": "on",
        "guardians-1-name": "",
        "guardians-1-relation": "",
        "guardians-1-id_number": "",
        "guardians-1-phone": "",
        "guardians-1-can_act_as_guardian": "on",
        "register": "1",
    }
    data.update(overrides)
    return data


def field_block(html: str, field: str) -> str:
    """The <div class="field ..."> that holds the input named `field`."""
    for block in re.findall(r'<div class="field[^"]*">.*?</div>', html, flags=re.S):
        if f'name="{field}"' in block:
            return block
    raise AssertionError(f"no field block for {field}")


def test_it_registers_a_child_with_a_guardian_and_categories(client, regions, village_director):
    client.force_login(village_director)
    response = client.post(reverse("cases:child_register"), registration(regions))
    child = Child.objects.get(name="王小花")
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:child_detail", args=[child.id])
    assert child.sex == "F" and child.birth_date == datetime.date(2016, 5, 20)
    assert child.review_status == Child.ReviewStatus.PENDING
    assert list(child.guardians.values_list("name", "relation")) == [("王奶奶", "grandparent")]
    assert list(child.memberships.values_list("category", flat=True)) == ["left_behind"]


def test_it_creates_one_record_when_the_form_is_submitted_twice(client, regions, village_director):
    client.force_login(village_director)
    data = registration(regions)
    first = client.post(reverse("cases:child_register"), data)
    second = client.post(reverse("cases:child_register"), data)
    assert Child.objects.filter(name="王小花").count() == 1
    assert Guardian.objects.filter(name="王奶奶").count() == 1
    assert first["Location"] == second["Location"]
    assert FormSubmission.objects.filter(token=data["form_token"]).count() == 1


def test_it_adds_a_guardian_once_when_submitted_twice(client, child, village_director):
    client.force_login(village_director)
    data = {
        "form_token": "g-token-1",
        "name": "张爸爸",
        "relation": "father",
        "phone": "",
        "id_number": "",
        "can_act_as_guardian": "on",
    }
    url = reverse("cases:guardian_add", args=[child.id])
    client.post(url, data)
    client.post(url, data)
    assert child.guardians.filter(name="张爸爸").count() == 1


def test_it_explains_an_invalid_identity_number_beside_the_field_and_keeps_what_was_typed(
    client, regions, village_director
):
    client.force_login(village_director)
    good = registration(regions)["id_number"]
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    response = client.post(reverse("cases:child_register"), registration(regions, id_number=bad, school="实验小学"))
    assert response.status_code == 200
    html = response.content.decode()
    block = field_block(html, "id_number")
    assert 'class="error"' in block
    assert "check character" in block or "校验" in block
    assert f'value="{bad}"' in block
    assert 'value="王小花"' in field_block(html, "name")
    assert 'value="实验小学"' in field_block(html, "school")
    assert 'value="王奶奶"' in html  # the guardian typed below survives too
    assert not Child.objects.exists()


def test_it_shows_errors_in_chinese_by_default(client, regions, village_director):
    client.force_login(village_director)
    response = client.post(reverse("cases:child_register"), registration(regions, name=""))
    block = field_block(response.content.decode(), "name")
    assert "该字段是必填项。" in block
    assert '<html lang="zh-hans">' in response.content.decode()


def test_it_shows_script_in_a_name_as_text(client, regions, village_director):
    client.force_login(village_director)
    evil = '<script>alert("x")</script>'
    client.post(reverse("cases:child_register"), registration(regions, name=evil))
    child = Child.objects.get(name=evil)
    for url in (reverse("cases:child_detail", args=[child.id]), reverse("cases:child_list") + "?q=script"):
        html = client.get(url).content.decode()
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
        assert evil not in html


def test_it_refuses_a_form_posted_for_a_child_outside_the_village_and_changes_nothing(
    client, regions, village_director, other_child
):
    client.force_login(village_director)
    name_before = other_child.name
    guardian = client.post(
        reverse("cases:guardian_add", args=[other_child.id]),
        {"form_token": "t-outside", "name": "外人", "relation": "father", "can_act_as_guardian": "on"},
    )
    edit = client.post(
        reverse("cases:child_edit", args=[other_child.id]),
        {
            "name": "改名",
            "region": str(regions.village.id),
            "sex": other_child.sex,
            "birth_date": other_child.birth_date.isoformat(),
        },
    )
    categories = client.post(
        reverse("cases:child_categories", args=[other_child.id]),
        {"action": "start", "category": "migrant", "start_date": "2025-01-01"},
    )
    assert guardian.status_code in (403, 404)
    assert edit.status_code in (403, 404)
    assert categories.status_code in (403, 404)
    other_child.refresh_from_db()
    assert other_child.name == name_before
    assert not other_child.guardians.exists()
    assert not other_child.memberships.exists()


def test_it_refuses_to_register_a_child_in_a_village_outside_the_users_own(client, regions, village_director):
    client.force_login(village_director)
    response = client.post(reverse("cases:child_register"), registration(regions, region=str(regions.village_b.id)))
    assert response.status_code == 200
    assert 'class="error"' in field_block(response.content.decode(), "region")
    assert not Child.objects.exists()


def test_it_hides_a_child_outside_the_scope_from_an_outsider(client, child, outsider):
    client.force_login(outsider)
    assert client.get(reverse("cases:child_detail", args=[child.id])).status_code == 404
    found = client.get(reverse("cases:child_list"), {"q": child.name}).content.decode()
    assert reverse("cases:child_detail", args=[child.id]) not in found


def test_it_saves_a_long_form_as_a_draft_and_finishes_it_later(client, regions, village_director):
    client.force_login(village_director)
    data = registration(regions, save_draft="1", birth_date="2016-05-20")
    data.pop("register")
    response = client.post(reverse("cases:child_register"), data)
    draft = Draft.objects.get(user=village_director)
    assert response.status_code == 302 and not Child.objects.exists()
    page = client.get(reverse("cases:child_register") + f"?draft={draft.id}").content.decode()
    assert 'value="王小花"' in page and 'value="王奶奶"' in page and 'value="2016-05-20"' in page
    worklist = client.get(reverse("cases:worklist")).content.decode()
    assert f"?draft={draft.id}" in worklist
    finished = registration(regions, draft_id=str(draft.id))
    client.post(reverse("cases:child_register"), finished)
    assert Child.objects.filter(name="王小花").exists()
    assert not Draft.objects.exists()


def test_it_never_shows_someone_elses_draft(client, regions, village_director, township_supervisor):
    draft = Draft.objects.create(user=township_supervisor, kind="child_registration", data={"name": ["秘密"]})
    client.force_login(village_director)
    page = client.get(reverse("cases:child_register") + f"?draft={draft.id}").content.decode()
    assert "秘密" not in page
    client.post(reverse("cases:draft_delete", args=[draft.id]))
    assert Draft.objects.filter(id=draft.id).exists()


def test_it_returns_a_child_with_a_comment_to_the_directors_worklist(
    client, child, village_director, township_supervisor
):
    client.force_login(township_supervisor)
    queue = client.get(reverse("cases:review_queue")).content.decode()
    assert child.name in queue
    refused = client.post(reverse("cases:child_review", args=[child.id]), {"decision": "return", "comment": ""})
    assert refused.status_code == 400
    child.refresh_from_db()
    assert child.review_status == Child.ReviewStatus.PENDING
    client.post(
        reverse("cases:child_review", args=[child.id]), {"decision": "return", "comment": "出生日期请核对户口本"}
    )
    child.refresh_from_db()
    assert child.review_status == Child.ReviewStatus.RETURNED

    client.force_login(village_director)
    worklist = client.get(reverse("cases:worklist")).content.decode()
    assert "出生日期请核对户口本" in worklist and child.name in worklist
    client.post(
        reverse("cases:child_edit", args=[child.id]),
        {
            "name": child.name,
            "id_number": child.id_number,
            "sex": child.sex,
            "birth_date": child.birth_date.isoformat(),
            "region": str(child.region_id),
        },
    )
    child.refresh_from_db()
    assert child.review_status == Child.ReviewStatus.PENDING

    client.force_login(township_supervisor)
    client.post(reverse("cases:child_review", args=[child.id]), {"decision": "approve", "comment": ""})
    child.refresh_from_db()
    assert child.review_status == Child.ReviewStatus.APPROVED
    history = client.get(reverse("cases:child_detail", args=[child.id])).content.decode()
    assert "supervisor" in history  # who reviewed, in the history of changes


def test_it_does_not_let_a_director_review(client, child, village_director):
    client.force_login(village_director)
    assert client.get(reverse("cases:review_queue")).status_code == 403
    response = client.post(reverse("cases:child_review", args=[child.id]), {"decision": "approve"})
    assert response.status_code == 403
    child.refresh_from_db()
    assert child.review_status == Child.ReviewStatus.PENDING


def test_it_does_not_let_an_outsider_review(client, child, outsider):
    client.force_login(outsider)
    response = client.post(reverse("cases:child_review", args=[child.id]), {"decision": "approve"})
    assert response.status_code == 404
    child.refresh_from_db()
    assert child.review_status == Child.ReviewStatus.PENDING


def test_it_finds_a_child_by_guardian_name_and_by_the_last_digits(client, child, village_director):
    GuardianFactory(child=child, name="张大山")
    client.force_login(village_director)
    by_guardian = client.get(reverse("cases:child_list"), {"q": "大山"}).content.decode()
    by_digits = client.get(reverse("cases:child_list"), {"q": child.id_number[-6:]}).content.decode()
    assert child.name in by_guardian and child.name in by_digits
    assert child.id_number not in by_digits  # masked in the list


def test_it_refuses_a_second_paid_category_beside_the_field(client, child, village_director):
    client.force_login(village_director)
    url = reverse("cases:child_categories", args=[child.id])
    client.post(url, {"action": "start", "category": "orphan_scattered", "start_date": "2025-01-01"})
    response = client.post(url, {"action": "start", "category": "key_difficulty", "start_date": "2025-02-01"})
    assert 'class="error"' in field_block(response.content.decode(), "category")
    assert list(child.memberships.values_list("category", flat=True)) == ["orphan_scattered"]


def test_it_shows_each_role_its_own_home_page(client, village_director, township_supervisor):
    client.force_login(village_director)
    director = client.get(reverse("home")).content.decode()
    assert reverse("cases:worklist") in director and reverse("cases:child_register") in director
    assert reverse("cases:review_queue") not in director.split("<main")[1]
    client.force_login(township_supervisor)
    supervisor = client.get(reverse("home")).content.decode()
    assert reverse("cases:review_queue") in supervisor.split("<main")[1]


def test_it_switches_to_english_and_back(client, village_director):
    client.force_login(village_director)
    client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert '<html lang="en">' in client.get(reverse("home")).content.decode()
    village_director.refresh_from_db()
    assert village_director.language == "en"
    client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("home")})
    assert '<html lang="zh-hans">' in client.get(reverse("home")).content.decode()


def test_it_logs_in_and_out(client, village_director):
    page = client.get(reverse("login")).content.decode()
    assert 'for="id_username"' in page and 'for="id_password"' in page
    response = client.post(reverse("login"), {"username": "director", "password": "Pass-word-123"})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_it_speaks_the_users_language_after_logging_in_on_another_device(client, village_director):
    village_director.language = "en"
    village_director.save(update_fields=["language"])
    assert '<html lang="zh-hans">' in client.get(reverse("login")).content.decode()
    client.post(reverse("login"), {"username": "director", "password": "Pass-word-123"})
    assert '<html lang="en">' in client.get(reverse("home")).content.decode()


def test_it_lists_exactly_the_children_behind_a_dashboard_number(client, regions, county_official):
    import datetime

    from tests.factories import ChildFactory, MembershipFactory

    kept = ChildFactory(region=regions.village_c, name="南村留守")
    MembershipFactory(child=kept, category="left_behind", start_date=datetime.date(2024, 1, 1))
    elsewhere = ChildFactory(region=regions.village, name="东村留守")
    MembershipFactory(child=elsewhere, category="left_behind", start_date=datetime.date(2024, 1, 1))
    ChildFactory(region=regions.village_c, name="南村其他")
    client.force_login(county_official)
    body = client.get(f"/cases/children/?region={regions.township_2.code}&category=left_behind").content.decode()
    assert "南村留守" in body
    assert "东村留守" not in body and "南村其他" not in body
    outside = client.get(f"/cases/children/?region={regions.other_county.code}").content.decode()
    assert "北村" not in outside
