"""`python manage.py clopos_simulator` serves a live demo restaurant and stops cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.conf import settings

from tests.fixtures.net import free_port

ROOT = Path(__file__).resolve().parent.parent


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-u", "manage.py", "clopos_simulator", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PASS_IGNORE_DOTENV": "1"},
    )


@pytest.fixture
def running() -> Iterator[tuple[subprocess.Popen, int, str]]:
    port = free_port()
    process = start("--port", str(port), "--orders", "30", "--seed", "3", "--new-every", "1")
    line = process.stdout.readline()
    yield process, port, line
    if process.poll() is None:
        process.kill()
        process.wait(timeout=5)


def test_the_command_prints_one_startup_line_with_url_and_credentials(running):
    _process, port, line = running

    assert line.startswith(f"Clopos simulator at http://127.0.0.1:{port}/open-api/v2:")
    assert "30 orders over 7 days, seed 3" in line
    assert "settings.CLOPOS_DEMO_CREDENTIALS" in line


def test_the_command_serves_the_demo_credentials_and_adds_live_orders(running):
    _process, port, _line = running
    base = f"http://127.0.0.1:{port}/open-api/v2"
    token = requests.post(f"{base}/auth", json=settings.CLOPOS_DEMO_CREDENTIALS, timeout=5).json()[
        "token"
    ]

    first = requests.get(f"{base}/orders", headers={"x-token": token}, timeout=5).json()
    time.sleep(2.2)
    later = requests.get(f"{base}/orders", headers={"x-token": token}, timeout=5).json()

    assert first["total"] >= 30
    assert later["total"] >= first["total"] + 2


def test_sigterm_stops_the_command_cleanly(running):
    process, _port, _line = running

    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=10) == 0


def test_an_unknown_fault_kind_fails_with_a_clear_message():
    process = start("--port", str(free_port()), "--faults", "500,teapot", "--fault-rate", "0.1")

    _out, err = process.communicate(timeout=60)

    assert process.returncode != 0
    assert "teapot" in err


def test_a_port_in_use_fails_with_a_clear_message():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        process = start("--port", str(busy.getsockname()[1]), "--orders", "5")

        _out, err = process.communicate(timeout=60)

    assert process.returncode != 0
    assert "cannot listen" in err


def test_faults_without_a_rate_or_schedule_are_refused():
    process = start("--port", str(free_port()), "--faults", "500")

    _out, err = process.communicate(timeout=60)

    assert process.returncode != 0
    assert "--fault-rate" in err


def test_command_options_reach_the_simulator():
    port = free_port()
    process = start(
        "--port", str(port), "--orders", "5", "--token-ttl", "50", "--rate-limit", "3",
        "--faults", "504", "--fault-every", "2",
    )  # fmt: skip
    try:
        process.stdout.readline()
        base = f"http://127.0.0.1:{port}/open-api/v2"
        auth = requests.post(f"{base}/auth", json=settings.CLOPOS_DEMO_CREDENTIALS, timeout=5)
        headers = {"x-token": auth.json()["token"]}

        codes = [
            requests.get(f"{base}/venues", headers=headers, timeout=5).status_code for _ in range(4)
        ]

        assert auth.json()["expires_in"] == 50
        assert codes == [200, 504, 200, 429]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_two_processes_with_the_same_seed_and_start_serve_the_same_orders():
    def orders_from_a_new_process() -> list[dict]:
        port = free_port()
        process = start(
            "--port", str(port), "--orders", "60", "--seed", "11",
            "--now", "2026-02-02T14:00:00Z", "--frozen",
        )  # fmt: skip
        try:
            process.stdout.readline()
            base = f"http://127.0.0.1:{port}/open-api/v2"
            auth = requests.post(f"{base}/auth", json=settings.CLOPOS_DEMO_CREDENTIALS, timeout=5)
            response = requests.get(
                f"{base}/orders",
                params={"limit": 100},
                headers={"x-token": auth.json()["token"]},
                timeout=5,
            )
            return response.json()["data"]
        finally:
            process.terminate()
            process.wait(timeout=10)

    first, second = orders_from_a_new_process(), orders_from_a_new_process()

    assert len(first) == 60
    assert first == second
