"""Embedded default for a laptop or a demo: SQLite, eager Celery, static files served by the app."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=False)
