"""gunicorn settings for `scripts/serve`: JSON or text logs as LOG_FORMAT says, several
workers only with shared rate-limit counts, and the per-process Prometheus files cleaned when a
worker exits (multiprocess mode)."""

import os

from app.ops.logs import gunicorn_logconfig

logconfig_dict = gunicorn_logconfig(os.environ.get("LOG_FORMAT", "text"))


def on_starting(server):  # type: ignore[no-untyped-def]
    from config import Config, rate_limit_storage_problem

    problem = rate_limit_storage_problem(
        server.cfg.workers,
        storage_uri=Config.RATELIMIT_STORAGE_URI,
        enabled=Config.RATELIMIT_ENABLED,
    )
    if problem:
        raise RuntimeError(f"refusing to start: {problem}")  # gunicorn prints it, exits 1


def child_exit(_server, worker):  # type: ignore[no-untyped-def]
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
