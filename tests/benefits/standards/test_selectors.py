"""Reads of standards: a fixed number of queries whatever the number of versions."""

from tests.benefits.helpers import queries, std


def test_the_standards_page_and_api_read_as_many_queries_for_many_versions_as_for_one(
    regions, county_official, client, api_client, django_assert_num_queries
):
    std(regions.city, "orphan_scattered", 1400, on="2020-01-01")
    client.force_login(county_official)
    api_client.force_authenticate(county_official)
    reads = {"/benefits/standards/": client.get, "/api/standards/": api_client.get}
    counts = {url: queries(lambda url=url, get=get: get(url)) for url, get in reads.items()}
    for year in range(2021, 2026):
        std(regions.city, "orphan_scattered", 1400 + year - 2020, on=f"{year}-01-01")
        std(regions.county, "orphan_institution", 1700 + year - 2020, on=f"{year}-01-01")
    for url, get in reads.items():
        with django_assert_num_queries(counts[url]):
            assert get(url).status_code == 200, url
    assert api_client.get("/api/standards/").json()["count"] == 11
