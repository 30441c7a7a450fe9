"""Links that resolve: for every role, signed in, every same-site link of every page reachable
from the home page leads somewhere — no 404 and no server error anywhere.

The walk starts at "/" and follows `<a href>` breadth-first (GET only), and redirects too. It
leaves out signing out, the admin beyond its index (Django's own pages), static files and links
marked `download`; it reads at most `MAX_PAGES` pages per role and `MAX_VARIANTS` query strings
of one path (pagers and drill-downs repeat the same page with other figures; a download, one).
"""

import datetime
import re
from collections import deque
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from benefits.payouts.models import PayoutRun
from cases.applications.models import Application
from institutions.models import Placement
from tests.factories import (
    CheckFactory,
    ChildFactory,
    GuardianFactory,
    InstitutionFactory,
    MembershipFactory,
    StaffFactory,
    UserFactory,
)
from welfare.roles import Role

pytestmark = pytest.mark.django_db

MAX_PAGES = 150
MAX_VARIANTS = 3
# A download (an Excel file of a list or a table) is fetched once per path, not per region.
EXPORT = re.compile(r"\.(xlsx|csv)(\?|$)|[?&](format|export)=")
# Every role, by the name of its fixture (tests/conftest.py; `institution_staff` below).
ROLES = tuple("admin_user" if role == Role.ADMIN else role for role in Role.values)


class _Anchors(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href") and "download" not in attributes:
            self.hrefs.append(attributes["href"])


def links_of(html: str, base: str) -> list[str]:
    """The same-site links of a page worth following, absolute paths with their query."""
    parser = _Anchors()
    # As a browser reads an attribute: "&region=" is text, not the entity "&reg" and "ion=".
    parser.feed(re.sub(r"&(?![#a-zA-Z0-9]+;)", "&amp;", html))
    out = []
    for href in parser.hrefs:
        url = urlsplit(urldefrag(urljoin(base, href.strip()))[0])
        if url.scheme not in ("", "http", "https") or url.netloc not in ("", "testserver"):
            continue
        path = url.path
        if path == "/logout/" or (path.startswith("/admin/") and path != "/admin/"):
            continue
        if path.startswith(f"/{settings.STATIC_URL.strip('/')}/"):
            continue
        out.append(f"{path}?{url.query}" if url.query else path)
    return out


def walk(client: Client) -> tuple[dict[str, int], list[str]]:
    """Visit what "/" leads to: ({url: status}, ["status url (linked from page)"] of failures)."""
    seen: dict[str, int] = {}
    variants: dict[str, int] = {}
    queue: deque[tuple[str, str]] = deque([("/", "start")])
    queued = {"/"}
    broken = []
    while queue and len(seen) < MAX_PAGES:
        url, origin = queue.popleft()
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code == 404 or response.status_code >= 500:
            broken.append(f"{response.status_code} {url} (linked from {origin})")
            continue
        if response.status_code in (301, 302, 303, 307, 308):
            found = [urlsplit(response["Location"])]
            targets = [f.path + (f"?{f.query}" if f.query else "") for f in found if f.netloc in ("", "testserver")]
        elif "text/html" in response.get("Content-Type", ""):
            targets = links_of(response.content.decode(), url)
        else:
            continue
        for target in targets:
            path = target.split("?", 1)[0]
            limit = 1 if EXPORT.search(target) else MAX_VARIANTS
            if target in queued or variants.get(path, 0) >= limit:
                continue
            queued.add(target)
            variants[path] = variants.get(path, 0) + 1
            queue.append((target, url))
    return seen, broken


@pytest.fixture
def world(regions, village_director, county_official):
    """One child of each kind of record in village A, and a children's home in village C with a
    child in its care, a carer who signs in, and a staff member on its books."""
    today = timezone.localdate()
    child = ChildFactory(region=regions.village, name="张小明")
    GuardianFactory(child=child, name="张奶奶")
    MembershipFactory(child=child, category="left_behind", start_date=datetime.date(2024, 1, 10))
    CheckFactory(child=child, checked_by=village_director)
    Application.objects.create(
        child=child,
        category="orphan_scattered",
        received_region=regions.township,
        county=regions.county,
        submitted_on=today,
        due_on=today + datetime.timedelta(days=20),
    )
    PayoutRun.objects.create(region=regions.county, month=today.replace(day=1), status=PayoutRun.Status.DRAFT)
    home = InstitutionFactory(name="南村儿童之家", region=regions.village_c)
    in_care = ChildFactory(region=regions.village_c, name="王在院")
    MembershipFactory(child=in_care, category="orphan_institution", start_date=datetime.date(2024, 1, 10))
    Placement.objects.create(child=in_care, institution=home, placed_on=today - datetime.timedelta(days=30))
    StaffFactory(name="刘护理", region=regions.village_c, institution=home)
    carer = UserFactory(username="carer", role=Role.INSTITUTION_STAFF, region=None, institution=home)
    return SimpleNamespace(child=child, home=home, in_care=in_care, carer=carer)


@pytest.fixture
def institution_staff(world):
    return world.carer


def test_it_reads_the_links_of_a_page_worth_following():
    html = (
        '<a href="/cases/children/?q=a#top">x</a><a href="https://example.org/">x</a><a href="/logout/">x</a>'
        '<a href="/admin/">x</a><a href="/admin/cases/child/">x</a><a href="/static/app.css">x</a>'
        '<a href="export.xlsx" download>x</a><a href="mailto:a@b.c">x</a><a href="2/?a=1&region=2&amp;b=3">x</a><a>x</a>'
    )
    assert links_of(html, "/cases/children/1/") == [
        "/cases/children/?q=a",
        "/admin/",
        "/cases/children/1/2/?a=1&region=2&b=3",
    ]


@pytest.mark.parametrize("role", ROLES)
def test_it_follows_every_link_of_every_page_and_finds_no_dead_end(request, world, role):
    user = request.getfixturevalue(role)
    client = Client()
    client.force_login(user)
    seen, broken = walk(client)
    assert not broken, "\n".join(broken)
    assert len(seen) > 10, seen  # the home page led somewhere
