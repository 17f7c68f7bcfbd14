"""`make run`'s process stack, as real processes: simulator, sync loop and gunicorn come up,
the cache fills with demo orders, and SIGINT stops every child."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.fixtures.net import free_port

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.slow, pytest.mark.real_clock]


@pytest.fixture
def stack_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOPOS_", "DJANGO_"))}
    env.update(
        PASS_IGNORE_DOTENV="1",
        PASS_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'stack.sqlite3'}",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="stack-test-secret-key-" + "x" * 40,
        PASS_BIND=f"127.0.0.1:{free_port()}",
        CLOPOS_SIMULATOR_PORT=str(free_port()),
        SYNC_INTERVAL="1",
        MANAGER_PASSWORD="stack-test-password-123",
        DEMO_NEW_ORDER_SECONDS="2",
    )
    env.pop("PASS_TESTING", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    for args in (["migrate", "--noinput", "-v", "0"], ["collectstatic", "--noinput", "-v", "0"]):
        subprocess.run([*manage, *args], env=env, check=True, cwd=ROOT, timeout=120)
    return env


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except requests.RequestException as exc:
            last = exc
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def test_run_starts_demo_stack_and_ctrl_c_stops_every_process(stack_env):
    base = f"http://{stack_env['PASS_BIND']}"
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "rundashboard"],
        env=stack_env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        # As a shell's background job would: SIGINT ignored on arrival. Ctrl-C must still work.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    output: list[str] = []
    try:
        # The banner says where, who and DEMO.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            output.append(line)
            if "Ctrl-C stops everything" in line:
                break
        banner = "".join(output)
        assert f"Pass is running at  {base}/" in banner, banner
        assert "Data: DEMO" in banner
        assert "Login: manager" in banner

        # The sync loop fills the cache from the simulator: /healthz turns ok with orders.
        def healthy():
            body = requests.get(f"{base}/healthz", timeout=5).json()
            return body if body["status"] == "ok" and body["orders"] > 0 else None

        health = wait_for(healthy, 90, "a successful sync")
        first_count = health["orders"]

        # The database (sessions, password hashes) and var/ are the running user's alone.
        database = Path(stack_env["DATABASE_URL"].removeprefix("sqlite:///"))
        assert database.stat().st_mode & 0o077 == 0, oct(database.stat().st_mode)
        assert Path(stack_env["PASS_VAR_DIR"]).stat().st_mode & 0o077 == 0

        # New demo orders keep arriving.
        wait_for(
            lambda: requests.get(f"{base}/healthz", timeout=5).json()["orders"] > first_count,
            60,
            "a new demo order",
        )
        # Pages are served, static files included (whitenoise, DEBUG off).
        login = requests.get(f"{base}/accounts/login/", timeout=5)
        assert login.status_code == 200
    finally:
        # Ctrl-C in a terminal: SIGINT to the whole foreground process group.
        os.killpg(proc.pid, signal.SIGINT)
        try:
            rest, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        output.append(rest or "")
    assert proc.returncode == 0, "".join(output)[-3000:]
    assert "pass: stopped" in "".join(output)
    assert "restarting in" not in "".join(output), "Ctrl-C must stop children, not restart them"
    # Every child stopped on the Ctrl-C itself: none had to be killed after the grace period.
    assert "did not stop" not in "".join(output), "".join(output)[-3000:]
    # No child is left behind in the process group.
    time.sleep(0.5)
    leftover = subprocess.run(
        ["pgrep", "-g", str(proc.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    assert leftover == [], f"processes left running: {leftover}"
