"""Shared fixtures: a small region tree (two counties), a user per role and an outsider.

Shandong (37) > Zaozhuang (3704) > Shizhong district (370402) > Xiangyang street (370402001)
> villages A (370402001001) and B (370402001002); a second township (370402002) with village C.
The outsider works in Xuecheng district (370403), a sibling county.
"""

import pytest

from tests.factories import ChildFactory, RegionFactory, UserFactory
from welfare.models import Region
from welfare.roles import Role


@pytest.fixture
def regions(db):
    province = RegionFactory(code="370000", name="山东省", level=Region.Level.PROVINCE)
    city = RegionFactory(code="370400", name="枣庄市", level=Region.Level.CITY, parent=province)
    county = RegionFactory(code="370402", name="市中区", level=Region.Level.COUNTY, parent=city)
    township = RegionFactory(code="370402001", name="中心街道", level=Region.Level.TOWNSHIP, parent=county)
    village = RegionFactory(code="370402001001", name="东村社区", level=Region.Level.VILLAGE, parent=township)
    village_b = RegionFactory(code="370402001002", name="西村社区", level=Region.Level.VILLAGE, parent=township)
    township_2 = RegionFactory(code="370402002", name="光明街道", level=Region.Level.TOWNSHIP, parent=county)
    village_c = RegionFactory(code="370402002001", name="南村社区", level=Region.Level.VILLAGE, parent=township_2)
    other_county = RegionFactory(code="370403", name="薛城区", level=Region.Level.COUNTY, parent=city)
    other_township = RegionFactory(code="370403001", name="临城街道", level=Region.Level.TOWNSHIP, parent=other_county)
    other_village = RegionFactory(code="370403001001", name="北村社区", level=Region.Level.VILLAGE, parent=other_township)
    return type(
        "Regions",
        (),
        dict(
            province=province,
            city=city,
            county=county,
            township=township,
            village=village,
            village_b=village_b,
            township_2=township_2,
            village_c=village_c,
            other_county=other_county,
            other_township=other_township,
            other_village=other_village,
        ),
    )


@pytest.fixture
def village_director(regions):
    return UserFactory(username="director", role=Role.VILLAGE_DIRECTOR, region=regions.village)


@pytest.fixture
def township_supervisor(regions):
    return UserFactory(username="supervisor", role=Role.TOWNSHIP_SUPERVISOR, region=regions.township)


@pytest.fixture
def county_official(regions):
    return UserFactory(username="county", role=Role.COUNTY_OFFICIAL, region=regions.county)


@pytest.fixture
def city_official(regions):
    return UserFactory(username="city", role=Role.CITY_OFFICIAL, region=regions.city)


@pytest.fixture
def province_official(regions):
    return UserFactory(username="province", role=Role.PROVINCE_OFFICIAL, region=regions.province)


@pytest.fixture
def admin_user(regions):
    return UserFactory(username="admin", role=Role.ADMIN, region=None, is_staff=True, is_superuser=True)


@pytest.fixture
def outsider(regions):
    """A county official of the neighbouring county: must see nothing of ours."""
    return UserFactory(username="outsider", role=Role.COUNTY_OFFICIAL, region=regions.other_county)


@pytest.fixture
def outsider_director(regions):
    return UserFactory(username="outsider_director", role=Role.VILLAGE_DIRECTOR, region=regions.other_village)


@pytest.fixture
def child(regions):
    return ChildFactory(region=regions.village, name="张小明")


@pytest.fixture
def other_child(regions):
    return ChildFactory(region=regions.other_village, name="李小红")


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
