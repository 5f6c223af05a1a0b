"""gunicorn settings of the mixed_load benchmark's server (``--config python:…``).

The benchmark settings send Django's errors nowhere; this hook prints each 500's traceback to
stderr, which ``--capture-output`` writes to bench-mixed_load-gunicorn.log.
"""

import logging


def post_worker_init(worker) -> None:
    handler = logging.StreamHandler()
    handler.setLevel(logging.ERROR)
    logging.getLogger("django.request").addHandler(handler)
