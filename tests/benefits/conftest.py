"""The benefits tests read the English source messages (the suite's default language is zh-hans)."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english_messages():
    with translation.override("en"):
        yield


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    return client
