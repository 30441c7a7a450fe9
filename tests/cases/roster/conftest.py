import pytest


@pytest.fixture
def english_pages(client, settings):
    """Pages in English (the language cookie): messages are checked in their source form."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
