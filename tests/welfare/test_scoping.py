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
