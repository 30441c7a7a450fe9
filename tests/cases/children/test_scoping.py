"""The scoping table of the foundation issue, through the selectors and services: a village
director, a township supervisor, a county official and an outsider from the neighbouring county
each see and change exactly their subtree. Reads outside it are 404, writes 403."""

import datetime

import pytest
from django.http import Http404

from cases.checks.selectors import check_list
from cases.children import services
from cases.children.models import Child
from cases.children.selectors import child_get, child_list, guardian_list, membership_list
from tests.factories import CheckFactory, ChildFactory, GuardianFactory, MembershipFactory
from welfare.errors import PermissionDeniedError
from welfare.idnumber import make_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def kids(regions):
    """One child in each village: A and B (township 1), C (township 2), X (the other county)."""
    return type(
        "Kids",
        (),
        {
            "a": ChildFactory(region=regions.village, name="甲"),
            "b": ChildFactory(region=regions.village_b, name="乙"),
            "c": ChildFactory(region=regions.village_c, name="丙"),
            "x": ChildFactory(region=regions.other_village, name="外"),
        },
    )


SEES = {
    "village_director": "a",
    "township_supervisor": "ab",
    "county_official": "abc",
    "outsider": "x",
}


@pytest.mark.parametrize("who", SEES)
def test_each_user_sees_exactly_their_subtree(request, kids, who):
    user = request.getfixturevalue(who)
    expected = {getattr(kids, k) for k in SEES[who]}
    assert set(child_list(user=user)) == expected
    for key in "abcx":
        child = getattr(kids, key)
        if child in expected:
            assert child_get(user=user, child_id=child.pk) == child
        else:
            with pytest.raises(Http404):
                child_get(user=user, child_id=child.pk)


@pytest.mark.parametrize("who", SEES)
def test_each_user_sees_the_guardians_memberships_and_checks_of_their_subtree_only(request, kids, who):
    user = request.getfixturevalue(who)
    for key in "abcx":
        child = getattr(kids, key)
        GuardianFactory(child=child)
        MembershipFactory(child=child)
        CheckFactory(child=child)
    expected = {getattr(kids, k).pk for k in SEES[who]}
    assert {g.child_id for g in guardian_list(user=user)} == expected
    assert {m.child_id for m in membership_list(user=user)} == expected
    assert {c.child_id for c in check_list(user=user)} == expected


@pytest.mark.parametrize("who", SEES)
def test_each_user_changes_exactly_their_subtree(request, kids, who):
    user = request.getfixturevalue(who)
    for key in "abcx":
        child = getattr(kids, key)
        if key in SEES[who]:
            services.child_update(by=user, child=child, school=f"{who} 小学")
            assert Child.objects.get(pk=child.pk).school == f"{who} 小学"
        else:
            with pytest.raises(PermissionDeniedError):
                services.child_update(by=user, child=child, school="越权")
            with pytest.raises(PermissionDeniedError):
                services.guardian_add(by=user, child=child, name="越权", relation="grandparent")
            with pytest.raises(PermissionDeniedError):
                services.membership_start(
                    by=user, child=child, category="left_behind", start_date=datetime.date(2025, 1, 1)
                )
            child.refresh_from_db()
            assert child.school != "越权"
            assert not child.guardians.exists() and not child.memberships.exists()


def test_a_director_cannot_move_a_child_out_of_their_village(village_director, regions, kids):
    with pytest.raises(PermissionDeniedError):
        services.child_update(by=village_director, child=kids.a, region=regions.village_b)
    kids.a.refresh_from_db()
    assert kids.a.region == regions.village


def test_a_supervisor_registers_children_in_their_township_only(township_supervisor, regions):
    birth = datetime.date(2014, 2, 3)
    child = services.child_register(
        by=township_supervisor, name="丁", region=regions.village_b, id_number=make_id_number("370402", birth, 401, "M")
    )
    assert child.birth_date == birth and child.sex == "M"
    with pytest.raises(PermissionDeniedError):
        services.child_register(
            by=township_supervisor,
            name="戊",
            region=regions.village_c,
            id_number=make_id_number("370402", birth, 402, "M"),
        )
    assert not Child.objects.filter(name="戊").exists()


def test_an_outsider_cannot_register_a_child_in_our_county(regions, outsider_director):
    with pytest.raises(PermissionDeniedError):
        services.child_register(
            by=outsider_director, name="己", region=regions.village, sex="F", birth_date=datetime.date(2015, 1, 1)
        )
    assert not Child.objects.filter(name="己").exists()


def test_a_county_official_sees_the_county_but_may_not_register(county_official, regions):
    # The role matrix: county officials edit and approve, child directors and supervisors register.
    with pytest.raises(PermissionDeniedError):
        services.child_register(
            by=county_official, name="庚", region=regions.village, sex="F", birth_date=datetime.date(2015, 1, 1)
        )
