"""gunicorn settings for `scripts/serve`: JSON or text logs as LOG_FORMAT says, and the
per-process Prometheus files cleaned when a worker exits (multiprocess mode)."""

import os

from app.ops.logs import gunicorn_logconfig

logconfig_dict = gunicorn_logconfig(os.environ.get("LOG_FORMAT", "text"))


def child_exit(_server, worker):  # type: ignore[no-untyped-def]
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
