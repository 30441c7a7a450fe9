"""Two "Approve"s, two translations: the county's decision on an application (批准) and the
supervisor's review of a child's record (审核通过), told apart by a message context."""

from cases.applications.services import application_review, application_submit
from tests.factories import ChildFactory


def test_the_county_approves_an_application_under_its_own_heading(client, regions, village_director, township_supervisor, county_official):
    child = ChildFactory(region=regions.village)
    app = application_submit(by=village_director, child=child, category="orphan_scattered", received_region=regions.township)
    application_review(by=township_supervisor, application=app)
    client.force_login(county_official)
    page = client.get(f"/cases/applications/{app.id}/").content.decode()
    assert 'lang="zh-hans"' in page and "<h2>批准</h2>" in page
    client.force_login(township_supervisor)
    review = client.get(f"/cases/children/{child.id}/").content.decode()
    assert "审核通过" in review
