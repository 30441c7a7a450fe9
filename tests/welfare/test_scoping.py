import pytest

from cases.children.selectors import child_list
from tests.factories import ChildFactory
from welfare.scoping import in_scope, region_list

pytestmark = pytest.mark.django_db


def test_it_shows_each_user_exactly_their_subtree(regions, village_director, township_supervisor, county_official, outsider, admin_user):
    a = ChildFactory(region=regions.village)
    b = ChildFactory(region=regions.village_b)
    c = ChildFactory(region=regions.village_c)
    x = ChildFactory(region=regions.other_village)
    assert set(child_list(user=village_director)) == {a}
    assert set(child_list(user=township_supervisor)) == {a, b}
    assert set(child_list(user=county_official)) == {a, b, c}
    assert set(child_list(user=outsider)) == {x}
    assert set(child_list(user=admin_user)) == {a, b, c, x}


def test_it_gives_an_anonymous_or_unbound_user_nothing(regions, child, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    assert not child_list(user=AnonymousUser()).exists()
    unbound = django_user_model.objects.create(username="nobody", role="county_official")
    assert not child_list(user=unbound).exists()


def test_it_never_lets_a_sibling_code_prefix_leak(regions, county_official):
    # 3704021 would match a naive code prefix of 370402; the path separator prevents it.
    from tests.factories import RegionFactory

    sibling = RegionFactory(code="3704021", name="Odd", level="county", parent=regions.city)
    assert not in_scope(county_official, sibling)
    assert sibling not in set(region_list(user=county_official))


def test_what_was_set_above_applies_beneath_and_nothing_beside(regions, village_director, county_official, outsider, admin_user):
    """scope_queryset_with_above (standards, grant standards, campaigns): one's subtree and the
    regions above it, never a sibling's; institution staff and anonymous users get nothing."""
    from django.contrib.auth.models import AnonymousUser

    from benefits.standards.models import WelfareStandard
    from tests.benefits.helpers import std
    from tests.factories import UserFactory
    from welfare.roles import Role
    from welfare.scoping import scope_queryset_with_above

    set_in = {r: std(r, "orphan_scattered", 1400) for r in (
        regions.province, regions.city, regions.county, regions.township, regions.township_2, regions.other_county
    )}

    def seen(user):
        return {s.region for s in scope_queryset_with_above(WelfareStandard.objects.all(), user)}

    assert seen(village_director) == {regions.province, regions.city, regions.county, regions.township}
    assert seen(county_official) == {regions.province, regions.city, regions.county, regions.township, regions.township_2}
    assert seen(outsider) == {regions.province, regions.city, regions.other_county}
    assert seen(admin_user) == set(set_in)
    staff = UserFactory(username="carer", role=Role.INSTITUTION_STAFF, region=None)
    assert seen(staff) == set() and seen(AnonymousUser()) == set()
