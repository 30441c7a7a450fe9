"""Shared fixtures: a small region tree (two counties), a user per role and an outsider.

Shandong (37) > Zaozhuang (3704) > Shizhong district (370402) > Xiangyang street (370402001)
> villages A (370402001001) and B (370402001002); a second township (370402002) with village C.
The outsider works in Xuecheng district (370403), a sibling county.
"""

import pytest

from tests.factories import ChildFactory, RegionFactory, UserFactory
from welfare.models import Region
from welfare.roles import Role

pytest_plugins = ["tests.browser"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache (the database is rolled back between tests, so a
    page cached by one test must not answer the next)."""
    from django.core.cache import cache

    cache.clear()
    yield


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


@pytest.fixture
def api_client_for(db):
    """`api_client_for(user)`: an API client carrying a fresh token (one device) of that user."""
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user)[1]}")
        return client

    return make


# --- Security (issue 8): every log record of the suite goes to test-artifacts/suite*.log through
# the same identity-number filter as production; the session fails if a number still shows.
# Records that carried a number before the filter are listed in the summary (code to fix).
_SUITE_LOG: dict = {"handler": None, "raw_hits": []}


def pytest_sessionstart(session):
    import logging
    import os
    from pathlib import Path

    from welfare.security import IdentityNumberRedactingFilter, find_identity_numbers

    artifacts = Path(session.config.rootpath) / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker:
        for old in artifacts.glob("suite*.log"):
            old.unlink()
    raw_hits = _SUITE_LOG["raw_hits"]

    class RawLeakSpotter(logging.Filter):
        def filter(self, record):
            try:
                text = record.getMessage()
            except Exception:
                return True
            if find_identity_numbers(text):
                raw_hits.append(f"{record.name} ({record.pathname}:{record.lineno})")
            return True

    handler = logging.FileHandler(artifacts / f"suite{'-' + worker if worker else ''}.log", encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(RawLeakSpotter())
    handler.addFilter(IdentityNumberRedactingFilter())
    logging.getLogger().addHandler(handler)
    _SUITE_LOG["handler"] = handler


def pytest_sessionfinish(session, exitstatus):
    import logging
    import os
    from pathlib import Path

    from welfare.security import find_identity_numbers

    handler = _SUITE_LOG["handler"]
    if handler is not None:
        logging.getLogger().removeHandler(handler)
        handler.close()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # the controller checks every worker's file
    leaks = []
    for log in sorted((Path(session.config.rootpath) / "test-artifacts").glob("suite*.log")):
        for lineno, line in enumerate(log.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if find_identity_numbers(line):
                leaks.append(f"{log.name}:{lineno}")
    if leaks:
        session.config._suite_log_leaks = leaks
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    leaks = getattr(config, "_suite_log_leaks", [])
    if leaks:
        terminalreporter.section("identity numbers in the suite's logs", red=True)
        terminalreporter.write_line("Identity numbers reached the log files at: " + ", ".join(leaks[:20]))
    raw = sorted(set(_SUITE_LOG["raw_hits"]))
    if raw:
        terminalreporter.section("log calls that carried an identity number (masked by the filter)", yellow=True)
        for where in raw[:20]:
            terminalreporter.write_line(where)
