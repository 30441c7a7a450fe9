"""The thin Celery tasks (eager here; the real worker is in tests/integration) and the beat entry."""

import datetime

import time_machine
from django_celery_beat.models import PeriodicTask

from benefits.payouts.models import Payout, PayoutRun
from benefits.payouts.services import BEAT_TASK_NAME, register_periodic_tasks
from benefits.payouts.tasks import payout_run_compute_task, payout_runs_start_month_task
from tests.benefits.helpers import enrolled_child, std


def test_beat_firing_twice_on_the_first_makes_one_run_per_county(regions, django_capture_on_commit_callbacks):
    std(regions.city, "orphan_scattered", 1400)
    enrolled_child(regions.village, regions.county)
    enrolled_child(regions.other_village, regions.other_county)
    with time_machine.travel(datetime.datetime(2025, 6, 1, 1, 0), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert payout_runs_start_month_task(month=None) == 2  # the current month
        with django_capture_on_commit_callbacks(execute=True):
            payout_runs_start_month_task(month=None)
    assert sorted(PayoutRun.objects.values_list("region__code", "month", "status")) == [
        ("370402", datetime.date(2025, 6, 1), "draft"),
        ("370403", datetime.date(2025, 6, 1), "draft"),
    ]
    assert Payout.objects.count() == 2


def test_a_redelivered_compute_task_adds_nothing(regions):
    std(regions.city, "orphan_scattered", 1400)
    enrolled_child(regions.village, regions.county)
    run = PayoutRun.objects.create(region=regions.county, month=datetime.date(2025, 5, 1))
    payout_run_compute_task(run_id=run.id)
    payout_run_compute_task(run_id=run.id)
    assert Payout.objects.count() == 1


def test_the_beat_entry_is_registered_once(db):
    register_periodic_tasks()
    register_periodic_tasks()
    task = PeriodicTask.objects.get(name=BEAT_TASK_NAME)
    assert task.task == "benefits.tasks.payout_runs_start_month_task"
    assert (task.crontab.day_of_month, task.crontab.hour, task.crontab.minute) == ("1", "1", "0")
