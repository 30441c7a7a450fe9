"""The admin's foreign-key choices come from the scoped selector each domain app registers
(welfare.admin_mixins.register_choice_selector): a county official picks only children and
institutions of their county, and regions of their subtree."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from institutions.models import Placement, Staff
from tests.factories import ChildFactory, InstitutionFactory

pytestmark = pytest.mark.django_db


def _choices(model, field: str, user) -> set:
    request = RequestFactory().get("/admin/")
    request.user = user
    model_admin = admin.site._registry[model]
    return set(model_admin.formfield_for_foreignkey(model._meta.get_field(field), request).queryset)


def test_it_offers_a_county_official_only_the_children_and_institutions_of_their_county(
    regions, county_official, admin_user
):
    ours, theirs = ChildFactory(region=regions.village), ChildFactory(region=regions.other_village)
    home, other = InstitutionFactory(region=regions.village_c), InstitutionFactory(region=regions.other_county)
    assert ours in _choices(Placement, "child", county_official)
    assert theirs not in _choices(Placement, "child", county_official)
    assert _choices(Placement, "institution", county_official) == {home}
    assert other in _choices(Placement, "institution", admin_user)


def test_it_offers_the_regions_of_the_subtree_only(regions, county_official):
    offered = _choices(Staff, "region", county_official)
    assert regions.village in offered and regions.county in offered
    assert regions.other_village not in offered and regions.city not in offered
