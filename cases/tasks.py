"""Celery tasks of the cases app (found by autodiscovery), defined in the sub-packages."""

from cases.checks.tasks import checks_flag_overdue_task
from cases.dashboard.tasks import dashboard_snapshots_refresh_task
from cases.protection.tasks import casework_flag_overdue_task
from cases.roster.tasks import roster_uploads_delete_expired_task

__all__ = ["casework_flag_overdue_task", "checks_flag_overdue_task", "dashboard_snapshots_refresh_task", "roster_uploads_delete_expired_task"]
