"""Configuration read from the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import public_base_url

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "http://127.0.0.1:5000"),
        ({"PORT": "5201"}, "http://127.0.0.1:5201"),
        ({"HOST": "192.168.1.20", "PORT": "8080"}, "http://192.168.1.20:8080"),
        ({"HOST": "0.0.0.0", "PORT": "5201"}, "http://127.0.0.1:5201"),
        ({"HOST": "::1"}, "http://[::1]:5000"),
        ({"PORT": "5201", "PUBLIC_BASE_URL": "https://fwt.example/"}, "https://fwt.example"),
        ({"PORT": "5201", "PUBLIC_BASE_URL": ""}, "http://127.0.0.1:5201"),
    ],
)
def test_public_base_url_follows_host_and_port_unless_set(environ, expected):
    assert public_base_url(environ) == expected


def test_config_reads_port_from_the_environment_of_make_run():
    env = {k: v for k, v in os.environ.items() if k not in {"HOST", "PUBLIC_BASE_URL"}}
    env["PORT"] = "5201"
    out = subprocess.run(
        [sys.executable, "-c", "from config import Config; print(Config.PUBLIC_BASE_URL)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "http://127.0.0.1:5201"
