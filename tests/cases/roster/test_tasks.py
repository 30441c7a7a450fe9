"""The beat job that deletes roster uploads nobody imported in time."""

import datetime

import pytest
from django.conf import settings as django_settings

from cases.roster.models import RosterUpload
from cases.roster.services import roster_upload_stage
from cases.roster.tasks import roster_uploads_delete_expired_task

pytestmark = pytest.mark.django_db


def test_it_deletes_the_expired_uploads_every_hour(county_official, time_machine):
    time_machine.move_to(datetime.datetime(2025, 3, 1, 9, 0, tzinfo=datetime.UTC), tick=False)
    roster_upload_stage(by=county_official, file_name="old.xlsx", data=b"old")
    time_machine.shift(datetime.timedelta(minutes=django_settings.ROSTER_UPLOAD_TTL_MINUTES))
    assert roster_uploads_delete_expired_task.delay().get() == 1
    assert not RosterUpload.objects.exists()
    entry = next(e for e in django_settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == roster_uploads_delete_expired_task.name)
    assert entry["schedule"].minute == {20}
