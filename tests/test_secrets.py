"""Secrets never leak: a live-mode sync with known credentials, a kiosk key and a manager
password, then every page fetched from gunicorn and every log line read. None of the secrets,
nor the JWTs Clopos issued, appear anywhere."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from orders_app.clopos.simulator import SimClient
from tests.fixtures.net import free_port

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID = "pass-secret-test-client"
CLIENT_SECRET = "S3cr3t-client-secret-7f1c2a9e4b"
WRONG_SECRET = "Wr0ng-secret-1d8e5f0a2c"
BRAND = "secret-test-brand"
INTEGRATOR = "secret-test-integrator"
MANAGER_PASSWORD = "Manager-pass-91b7c3d2e8"

pytestmark = [pytest.mark.slow, pytest.mark.real_clock]


@pytest.fixture
def live_env(tmp_path, simulator_factory):
    server = simulator_factory(
        seed=3,
        orders=30,
        days=2,
        extra_clients=(SimClient(CLIENT_ID, CLIENT_SECRET, BRAND, INTEGRATOR),),
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOPOS_", "DJANGO_"))}
    env.pop("PASS_TESTING", None)
    env.update(
        PASS_IGNORE_DOTENV="1",
        PASS_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'secrets.sqlite3'}",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="secrets-test-django-key-" + "y" * 40,
        CLOPOS_BASE_URL=server.base_url,
        CLOPOS_CLIENT_ID=CLIENT_ID,
        CLOPOS_CLIENT_SECRET=CLIENT_SECRET,
        CLOPOS_BRAND=BRAND,
        CLOPOS_INTEGRATOR_ID=INTEGRATOR,
        CLOPOS_TIMEOUT="2",
        CLOPOS_MAX_RETRIES="0",
        LOG_LEVEL="DEBUG",
        MANAGER_PASSWORD=MANAGER_PASSWORD,
    )
    return server, env


def manage(env, *args, check=True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


def test_no_secret_in_any_page_log_line_or_error(live_env, tmp_path):
    server, env = live_env
    logs: list[str] = []
    for args in (["migrate", "--noinput"], ["collectstatic", "--noinput", "-v", "0"]):
        manage(env, *args)
    manager = manage(env, "ensure_manager")
    logs.append(manager.stdout + manager.stderr)

    # A sync that fails on a wrong secret: its message and its log lines.
    failed = manage(env | {"CLOPOS_CLIENT_SECRET": WRONG_SECRET}, "sync_orders", check=False)
    assert failed.returncode != 0
    logs.append(failed.stdout + failed.stderr)
    # A sync that works.
    synced = manage(env, "sync_orders")
    logs.append(synced.stdout + synced.stderr)
    assert "created=30" in synced.stdout + synced.stderr

    created = manage(env, "wall_key", "create", "--name", "Kitchen")
    kiosk_url = created.stdout.strip().splitlines()[-1]
    kiosk_key = re.search(r"key=([^&\s]+)", kiosk_url).group(1)
    listed = manage(env, "wall_key", "list")
    logs.append(listed.stdout + listed.stderr)

    tokens = {e.headers.get("x-token") for e in server.simulator.request_log} - {None, ""}
    assert tokens, "the sync should have used a token"

    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log_file:
        web = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "dashboard.wsgi",
                "--config", str(ROOT / "deploy" / "gunicorn.conf.py"),
                "--bind", f"127.0.0.1:{port}", "--workers", "1",
            ],
            env=env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    bodies: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

        # A kiosk screen opens the wall with its key, then polls.
        kiosk = requests.Session()
        wall = kiosk.get(f"{base}/wall/?key={kiosk_key}", timeout=10)
        assert wall.status_code == 200
        assert "key=" not in wall.url, "the key should leave the address bar"
        bodies += [wall.text, kiosk.get(f"{base}/wall/poll/", timeout=10).text]

        # A manager logs in through the form and opens every page.
        browser = requests.Session()
        login = browser.get(f"{base}/accounts/login/", timeout=10)
        csrf = browser.cookies["csrftoken"]
        done = browser.post(
            f"{base}/accounts/login/",
            data={"username": "manager", "password": MANAGER_PASSWORD, "csrfmiddlewaretoken": csrf},
            headers={"Referer": f"{base}/accounts/login/"},
            timeout=10,
        )
        assert done.status_code == 200 and "/accounts/login/" not in done.url
        bodies += [login.text, done.text]
        order_ids = re.findall(r'href="/orders/(\d+)/"', done.text)[:5]
        assert order_ids
        paths = [
            "/",
            "/?q=a",
            "/orders/rows/",
            "/orders/export.csv",
            "/wall/",
            "/wall/poll/",
            "/healthz",
            "/admin/",
            "/admin/orders_app/order/",
            f"/admin/orders_app/order/{order_ids[0]}/change/",
            "/admin/orders_app/syncstate/",
            "/admin/orders_app/syncstate/1/change/",
            "/admin/orders_app/wallkey/",
            "/admin/orders_app/skippedorder/",
            "/admin/orders_app/synclease/",
            *[f"/orders/{i}/" for i in order_ids],
            *[f"/orders/{i}/panel/" for i in order_ids],
        ]
        for path in paths:
            response = browser.get(base + path, timeout=20)
            assert response.status_code in {200, 204}, (path, response.status_code)
            bodies.append(response.text)
    finally:
        web.terminate()
        web.wait(timeout=20)
    logs.append(log_path.read_text())

    everything = "\n".join(bodies + logs)
    # The requests really happened and were logged (so the scan reads something).
    assert 'path="/wall/"' in everything
    for name, secret in [
        ("client secret", CLIENT_SECRET),
        ("wrong client secret", WRONG_SECRET),
        ("kiosk key", kiosk_key),
        ("manager password", MANAGER_PASSWORD),
        *[("Clopos token", token) for token in tokens],
    ]:
        assert secret not in everything, f"the {name} leaked"
