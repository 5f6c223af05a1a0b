"""Developer machine: `make run`. Debug on, everything else as base.py (SQLite, eager Celery)."""

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = env.bool("DEBUG", default=True)
