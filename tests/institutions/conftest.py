"""Institutions at work: an institution of our county with a staff account, one of the
neighbouring county with its own (the outsider institution)."""

import pytest

from tests.factories import InstitutionFactory, UserFactory
from welfare.roles import Role


@pytest.fixture
def home(regions):
    return InstitutionFactory(region=regions.county, name="市中区儿童福利院", kind="welfare", capacity=80)


@pytest.fixture
def other_home(regions):
    return InstitutionFactory(region=regions.other_county, name="薛城区儿童福利院", kind="welfare", capacity=50)


@pytest.fixture
def carer(home):
    return UserFactory(username="carer", role=Role.INSTITUTION_STAFF, institution=home, region=None)


@pytest.fixture
def other_carer(other_home):
    return UserFactory(username="other_carer", role=Role.INSTITUTION_STAFF, institution=other_home, region=None)
