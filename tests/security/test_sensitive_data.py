"""Identity numbers and health details stay in place: not in logs, URLs, page titles or error
pages; text typed into any field is shown as text, never run as script."""

import io
import logging
import re

import pytest
from django.conf import settings
from django.test import Client, RequestFactory

from tests.security.conftest import OWN_PK
from tests.security.urlwalk import all_endpoints
from welfare.security import IdentityNumberRedactingFilter, find_identity_numbers, redact_identity_numbers, server_error

NUMBER = "370402201503140021"  # a valid number (check character 1)


def test_it_recognises_identity_numbers_and_nothing_else():
    assert find_identity_numbers(f"child {NUMBER} registered") == [NUMBER]
    assert find_identity_numbers("amount 370402201503140022 yuan") == []  # wrong check character
    assert find_identity_numbers(f"x{NUMBER}9") == []  # part of a longer run
    assert find_identity_numbers("３７０４０２２０１５０３１４００２１") == ["３７０４０２２０１５０３１４００２１"]
    assert redact_identity_numbers(f"身份证{NUMBER}。") == "身份证370402********0021。"


def _logged(record_factory) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(IdentityNumberRedactingFilter())
    logger = logging.getLogger("tests.security.redaction")
    logger.propagate = False  # kept out of the suite's log on purpose
    logger.addHandler(handler)
    try:
        record_factory(logger)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_it_masks_numbers_in_messages_arguments_and_tracebacks():
    def emit(logger):
        logger.warning("saving %s", {"id_number": NUMBER})
        logger.warning(f"duplicate {NUMBER}")
        try:
            raise ValueError(f"bad {NUMBER}")
        except ValueError:
            logger.exception("failed")

    text = _logged(emit)
    assert NUMBER not in text
    assert text.count("370402********0021") == 3


def test_it_installs_the_mask_on_every_configured_log_handler():
    handlers = settings.LOGGING["handlers"]
    assert handlers
    for name, config in handlers.items():
        assert "redact_identity_numbers" in config.get("filters", []), name
    configured = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)
    ]
    assert any(isinstance(f, IdentityNumberRedactingFilter) for h in configured for f in h.filters)


@pytest.mark.django_db
def test_it_answers_an_unknown_address_with_a_page_that_echoes_nothing(client, village_director):
    client.force_login(village_director)
    response = client.get(f"/cases/children/search/{NUMBER}/")
    assert response.status_code == 404
    html = response.content.decode()
    assert NUMBER not in html and "370402" not in html
    assert "<title>" in html


@pytest.mark.django_db
def test_it_answers_a_crash_with_a_plain_page_and_an_outage_with_503():
    request = RequestFactory().get("/cases/children/1/")
    try:
        raise RuntimeError(f"boom {NUMBER}")
    except RuntimeError:
        response = server_error(request)
    assert response.status_code == 500
    assert NUMBER not in response.content.decode() and "boom" not in response.content.decode()
    from django.db import OperationalError

    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    assert response["Retry-After"]


@pytest.mark.django_db
@pytest.mark.parametrize("status", [403, 404, 500, 503])
def test_it_has_a_plain_error_page_for(status):
    from django.template.loader import render_to_string

    html = render_to_string(f"{status}.html")
    assert "<title>" in html and "{{" not in html


PAGES = [e for e in all_endpoints() if not e.is_api and not e.is_admin]
ADMIN = [
    e
    for e in all_endpoints()
    if e.is_admin
    and e.names_a_record
    and e.template.startswith(("/admin/cases/", "/admin/benefits/", "/admin/institutions/", "/admin/welfare/"))
]
TITLE = re.compile(r"<title>(.*?)</title>", re.S)
SCRIPT = '<script>alert("'
INLINE_SCRIPT = re.compile(r"<script\b[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son(click|change|submit|load|input|keyup|keydown|focus|blur)\s*=", re.I)


def _check_page(response, world) -> list[str]:
    problems = []
    if response.status_code >= 500:
        return [f"{response.status_code}"]
    location = response.get("Location", "")
    if find_identity_numbers(location):
        problems.append(f"identity number in the redirect {location}")
    if "html" not in response.get("Content-Type", ""):
        return problems
    html = response.content.decode("utf-8", errors="replace")
    if SCRIPT in html:
        problems.append("typed text rendered as a script")
    for tag in INLINE_SCRIPT.findall(html):
        if "application/json" not in tag and "src=" not in tag:
            problems.append(f"inline script {tag!r}: blocked by the production content security policy")
    if INLINE_HANDLER.search(html):
        problems.append("inline event handler: blocked by the production content security policy")
    for title in TITLE.findall(html):
        if find_identity_numbers(title) or world.child.id_number[-4:] in title or "health" in title:
            problems.append(f"sensitive data in the title {title!r}")
    return problems


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", PAGES, ids=str)
def test_it_keeps_numbers_out_of_titles_and_scripts_out_of_pages(
    endpoint, regions, own_world, county_official, village_director
):
    problems = []
    url = endpoint.url(pk=OWN_PK, region_code=regions.county.code)
    for user in (county_official, village_director):
        client = Client()
        client.force_login(user)
        response = client.get(url)
        problems += [f"{user.role} GET {url}: {p}" for p in _check_page(response, own_world)]
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_it_shows_typed_text_as_text_in_the_admin(own_world, admin_user):
    client = Client()
    client.force_login(admin_user)
    problems = []
    for endpoint in ADMIN:
        url = endpoint.url(pk=OWN_PK, region_code="")
        response = client.get(url)
        problems += [f"GET {url}: {p}" for p in _check_page(response, own_world)]
    assert not problems, "\n".join(problems)
