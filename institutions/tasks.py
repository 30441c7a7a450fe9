"""Celery tasks of the institutions app (found by autodiscovery), defined in the sub-packages."""

from institutions.inspections.tasks import findings_flag_past_deadline_task

__all__ = ["findings_flag_past_deadline_task"]
