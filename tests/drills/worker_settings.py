"""Settings of the Celery workers the drills start and kill (the test settings, not eager).

Production keeps Redis's one-hour visibility timeout: a task whose worker died holding it comes
back after an hour (acks_late). A drill cannot wait an hour, so its workers use a few seconds,
and sweep for such messages every second; nothing else differs from a production worker.
Every task goes to the drills' queue (DRILL_QUEUE), the ones a worker sends included.
"""

import os

from config.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = os.environ["DRILL_QUEUE"]
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("DRILL_VISIBILITY_TIMEOUT", "15")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "INFO"}}
