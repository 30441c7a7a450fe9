"""The home page: each role's tiles link to pages that exist, and the figures on them come from
the selectors the domain apps register (welfare.views.register_home_counts)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from cases.children.models import Child, Draft
from tests.factories import ChildFactory, InstitutionFactory, UserFactory
from welfare.roles import Role
from welfare.views import LINKS, ROLE_LINKS

pytestmark = pytest.mark.django_db


def _tiles(user) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    html = client.get("/").content.decode()
    return dict(re.findall(r'data-key="([a-z_]+)">(?:<span class="count">(\d+)</span>)?', html))


def test_it_names_a_page_that_exists_for_every_tile_of_every_role():
    used = {key for keys in ROLE_LINKS.values() for key in keys}
    assert used <= set(LINKS)
    for key in used:
        assert reverse(LINKS[key][2])  # NoReverseMatch otherwise


def test_it_counts_the_worklist_and_the_review_queue_on_the_home_tiles(regions, township_supervisor):
    ChildFactory(region=regions.village, review_status=Child.ReviewStatus.RETURNED)
    ChildFactory(region=regions.village, review_status=Child.ReviewStatus.PENDING)
    ChildFactory(region=regions.village_b, review_status=Child.ReviewStatus.PENDING)
    ChildFactory(region=regions.other_village, review_status=Child.ReviewStatus.PENDING)  # another county's
    Draft.objects.create(user=township_supervisor, kind=Draft.Kind.CHILD_REGISTRATION, data={})
    tiles = _tiles(township_supervisor)
    assert tiles["worklist"] == "2"  # one returned record, one draft
    assert tiles["child_review"] == "2"
    assert tiles["find"] == ""  # a tile without a figure


def test_it_shows_institution_staff_the_tile_of_their_institution(regions):
    home = InstitutionFactory(region=regions.village_c)
    carer = UserFactory(username="carer", role=Role.INSTITUTION_STAFF, region=None, institution=home)
    assert set(_tiles(carer)) == {"my_institution", "findings_overdue", "find", "referrals", "case_report"}
