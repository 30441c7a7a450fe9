"""A write that ends in a 500 changes nothing (issue 19, item 1): the service's work and the
answer built from it commit together, so a failure after the service (building the answer,
a bug in a serializer) rolls the write back instead of leaving it saved behind an error."""

import pytest
from rest_framework.test import APIClient

from cases.children.api import ChildViewSet
from cases.children.models import Child

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing_answer(monkeypatch):
    """A fault injected after the service has done its work: reading the record back fails."""

    def _broken_reload(self, child_id):
        raise RuntimeError("injected fault while building the answer")

    monkeypatch.setattr(ChildViewSet, "_reload", _broken_reload)


def test_it_saves_nothing_when_the_answer_to_a_write_fails(village_director, regions, failing_answer):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(village_director)
    before = Child.objects.count()
    response = client.post(
        "/api/children/",
        {"name": "王回滚", "sex": "F", "birth_date": "2016-05-01", "region": regions.village.code},
        format="json",
    )
    assert response.status_code == 500
    assert Child.objects.count() == before
    assert not Child.objects.filter(name="王回滚").exists()


def test_it_keeps_a_write_whose_answer_succeeds(village_director, regions):
    client = APIClient()
    client.force_authenticate(village_director)
    response = client.post(
        "/api/children/",
        {"name": "王保存", "sex": "F", "birth_date": "2016-05-01", "region": regions.village.code},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Child.objects.filter(name="王保存").exists()
