"""Fixtures of the security suite: the other county's records (key 900001) and our own
(key 900002), built for every model of the project."""

import pytest

from tests.security.world import build_world, other_regions, own_regions

OTHER_PK = 900001
OWN_PK = 900002


@pytest.fixture
def other_world(regions):
    return build_world(
        regions=other_regions(regions), pk=OTHER_PK, marker="OTHERSECRET", child_name="李小红", username="other_world"
    )


@pytest.fixture
def own_world(regions):
    return build_world(
        regions=own_regions(regions),
        pk=OWN_PK,
        marker='<script>alert("own")</script>',
        child_name='<script>alert("xss")</script>',
        username="own_world",
    )
