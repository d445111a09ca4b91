"""Rate limits count across web processes: gunicorn refuses several workers with per-process
`memory://` storage, and processes sharing Redis count together (real gunicorn, real Redis)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests

from config import rate_limit_storage_problem

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379"
CODE_URL = "/api/field/auth/code"


@pytest.mark.parametrize(
    ("workers", "storage", "enabled", "refused"),
    [
        (2, "memory://", True, True),
        (4, "", True, True),  # unset: Flask-Limiter's memory storage
        (1, "memory://", True, False),
        (2, REDIS_URL, True, False),
        (2, "memory://", False, False),
    ],
)
def test_several_workers_need_a_shared_storage(workers, storage, enabled, refused):
    problem = rate_limit_storage_problem(workers, storage_uri=storage, enabled=enabled)
    assert (problem is not None) == refused
    if refused:
        assert "RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379" in problem
        assert f"{workers} web workers" in problem


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environ(database_url: str, tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RATELIMIT_", "PROMETHEUS_", "WEB_"))
    }
    env.update(
        DATABASE_URL=database_url,
        INSTANCE_DIR=str(tmp_path / "instance"),
        SECRET_KEY="rate-limit-test",
        LOG_FORMAT="text",
        **settings,
    )
    return env


def _gunicorn(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, so _stop can end its workers too
    )


def _stop(process: subprocess.Popen[str]) -> None:
    """Stop a server gracefully; one that has not stopped in 15 s is killed with its workers
    (under libfaketime a worker can hang in a timed wait as it exits: README "Tests")."""
    process.terminate()
    try:
        process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=15)


def _wait_until_serving(process: subprocess.Popen[str], base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited: {process.communicate()[1][-2000:]}")
        try:
            requests.get(f"{base}/healthz", timeout=5)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start")


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[tuple[list[str], str]]:
    """Two gunicorn servers (separate processes, separate apps) sharing one Redis, with a key
    prefix of their own; the limit on asking for sign-in codes is 3 per hour per address."""
    prefix = f"fwt-test-{uuid.uuid4().hex}"
    env = _environ(
        database_url,
        tmp_path,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=prefix,
        FIELD_CODE_RATE_LIMIT="3 per hour",
    )
    processes, bases = [], []
    try:
        for _ in range(2):
            port = _free_port()
            processes.append(_gunicorn(env, port, workers=2))
            bases.append(f"http://127.0.0.1:{port}")
        for process, base in zip(processes, bases, strict=True):
            _wait_until_serving(process, base)
        yield bases, prefix
    finally:
        for process in processes:
            _stop(process)
        store = redis.Redis.from_url(REDIS_URL)
        keys = list(store.scan_iter(f"*{prefix}*"))
        if keys:
            store.delete(*keys)


def test_processes_sharing_redis_count_together(servers):
    bases, prefix = servers
    a, b = bases
    # An empty body is refused (422) after the limit counted it: no SMS, no database needed.
    answers = [
        requests.post(f"{base}{CODE_URL}", json={}, timeout=30).status_code
        for base in (a, b, a, b, a)
    ]
    assert answers == [422, 422, 422, 429, 429]
    limited = requests.post(f"{b}{CODE_URL}", json={}, timeout=30)
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    assert any(redis.Redis.from_url(REDIS_URL).scan_iter(f"*{prefix}*"))


def test_gunicorn_refuses_several_workers_with_memory_storage(database_url, tmp_path):
    env = _environ(database_url, tmp_path, RATELIMIT_STORAGE_URI="memory://")
    process = _gunicorn(env, _free_port(), workers=3)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "refusing to start: 3 web workers with RATELIMIT_STORAGE_URI=memory://" in err
    assert "redis://127.0.0.1:6379" in err


def test_gunicorn_serves_one_worker_with_memory_storage(database_url, tmp_path):
    """What `make run` does by default: one worker, nothing new needed."""
    env = _environ(database_url, tmp_path)
    port = _free_port()
    process = _gunicorn(env, port, workers=1)
    try:
        _wait_until_serving(process, f"http://127.0.0.1:{port}")
    finally:
        _stop(process)
