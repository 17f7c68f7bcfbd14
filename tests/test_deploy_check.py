"""`manage.py check --deploy` is clean with the production settings from docs/deploy.md, and
is not clean without them (so the first test means something).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def deploy_check(tmp_path: Path, **overrides: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CLOPOS_", "DATABASE_URL", "PASS_"))
    }
    env.update(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_HTTPS": "1",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "pass.example.com",
            "PASS_IGNORE_DOTENV": "1",
            "PASS_VAR_DIR": str(tmp_path),
        }
    )
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_passes_with_the_production_settings(tmp_path):
    result = deploy_check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "warning"),
    [
        ({"DJANGO_HTTPS": "0"}, "security.W004"),  # no HSTS
        ({"DJANGO_HTTPS": "0"}, "security.W008"),  # no SSL redirect
        ({"DJANGO_HTTPS": "0"}, "security.W012"),  # session cookie not secure
        ({"DJANGO_DEBUG": "1"}, "security.W018"),  # DEBUG on
        ({"DJANGO_SECRET_KEY": "short"}, "security.W009"),  # weak secret key
    ],
    ids=["no-https-hsts", "no-https-redirect", "no-https-cookie", "debug-on", "weak-key"],
)
def test_deploy_check_fails_without_them(tmp_path, overrides, warning):
    result = deploy_check(tmp_path, **overrides)
    assert result.returncode != 0
    assert warning in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = deploy_check(tmp_path, DJANGO_SECRET_KEY="")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_the_example_environment_file_passes_the_deploy_check(tmp_path):
    """deploy/env.example, with its placeholders filled the way the docs say, is clean."""
    values = {}
    for line in (ROOT / "deploy" / "env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    for required in ("DJANGO_DEBUG", "DJANGO_HTTPS", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"):
        assert required in values, f"env.example does not set {required}"
    assert values["DJANGO_DEBUG"] == "0"
    assert values["DJANGO_HTTPS"] == "1"
    # The placeholders an operator replaces; the database is swapped for a local SQLite file.
    values["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    values.pop("DATABASE_URL", None)
    values.pop("PASS_VAR_DIR", None)
    for key in [k for k in values if k.startswith("CLOPOS_")]:
        values.pop(key)
    result = deploy_check(tmp_path, **values)
    assert result.returncode == 0, result.stdout + result.stderr


# --- The files docs/deploy.md installs ---------------------------------------------------------

DEPLOY = ROOT / "deploy"


def unit_settings(name: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in (DEPLOY / name).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


@pytest.mark.parametrize("unit", ["pass-web.service", "pass-sync.service"])
def test_the_units_restart_always_as_a_dedicated_user_and_are_hardened(unit):
    values = unit_settings(unit)
    assert values["Restart"] == ["always"]
    assert values["User"] == ["pass"]
    assert values["EnvironmentFile"] == ["/etc/pass/pass.env"]
    for option in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices"):
        assert values[option] == ["yes"], option
    assert values["ProtectSystem"] == ["strict"]
    assert values["StateDirectory"] == ["pass"]  # the only writable place: /var/lib/pass
    assert values["CapabilityBoundingSet"] == [""]


def test_the_sync_unit_runs_the_loop_and_waits_for_the_lease():
    (command,) = unit_settings("pass-sync.service")["ExecStart"]
    assert command.endswith("manage.py sync_orders --loop --wait")


def test_the_web_unit_runs_gunicorn_with_the_project_config():
    (command,) = unit_settings("pass-web.service")["ExecStart"]
    assert "gunicorn --config deploy/gunicorn.conf.py dashboard.wsgi" in command


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_accepts_the_units(tmp_path):
    """systemd-analyze verify, with the install paths pointed at this checkout."""
    for unit in ("pass-web.service", "pass-sync.service"):
        text = (DEPLOY / unit).read_text()
        text = text.replace("/opt/pass/.venv/bin/", f"{ROOT}/.venv/bin/")
        text = text.replace("WorkingDirectory=/opt/pass", f"WorkingDirectory={ROOT}")
        text = text.replace("/etc/pass/pass.env", str(DEPLOY / "env.example"))
        (tmp_path / unit).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(p) for p in tmp_path.glob("*.service"))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr  # unknown keys only warn


def test_the_nginx_site_redirects_to_tls_and_passes_the_proxy_headers():
    conf = (DEPLOY / "nginx-pass.conf").read_text()
    assert "return 301 https://$host$request_uri;" in conf
    assert "listen 443 ssl http2;" in conf
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in conf
    # Overwritten, never appended, so a client cannot choose what Pass believes.
    assert "proxy_set_header X-Forwarded-Proto https;" in conf
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    assert "proxy_set_header Host $host;" in conf
    assert "gzip on;" in conf
    assert "client_max_body_size 1m;" in conf
    assert 'add_header Cache-Control "public, max-age=31536000, immutable" always;' in conf


def test_the_nginx_access_log_leaves_out_query_strings():
    """A kiosk key travels as /wall/?key=...: the log format must use $uri, not $request."""
    conf = (DEPLOY / "nginx-pass.conf").read_text()
    log_format = conf.split("log_format pass_noquery", 1)[1].split(";", 1)[0]
    assert "$uri" in log_format
    assert "$request " not in log_format and "$request_uri" not in log_format
    assert "$args" not in log_format and "$query_string" not in log_format
    for line in conf.splitlines():
        if line.strip().startswith("access_log") and "off" not in line:
            assert line.strip().endswith("pass_noquery;"), line


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx not installed")
def test_nginx_accepts_the_site(tmp_path):
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=pass.example.com", "-keyout", str(tmp_path / "privkey.pem"),
         "-out", str(tmp_path / "fullchain.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    site = (DEPLOY / "nginx-pass.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/pass.example.com", str(tmp_path))
    site = site.replace("/var/log/nginx", str(tmp_path))
    (tmp_path / "site.conf").write_text(site)
    temp_paths = " ".join(
        f"{kind}_temp_path {tmp_path}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ access_log {tmp_path}/access.log; {temp_paths} include {tmp_path}/site.conf; }}\n"
    )
    result = subprocess.run(
        ["nginx", "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


# --- gunicorn's access log ---------------------------------------------------------------------


def _gunicorn_logger(tmp_path, monkeypatch):
    """The logger deploy/gunicorn.conf.py configures, writing its access log to a file."""
    from gunicorn.config import Config

    monkeypatch.setenv("GUNICORN_ACCESS_LOG", str(tmp_path / "access.log"))
    namespace: dict = {}
    exec(compile((DEPLOY / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)  # noqa: S102
    config = Config()
    for name in ("accesslog", "access_log_format", "logger_class"):
        config.set(name, namespace[name])
    return config.logger_class(config), tmp_path / "access.log"


def _answer(logger, path, status, query="token=5-0-fresh"):
    from datetime import timedelta
    from types import SimpleNamespace

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"{path}?{query}",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    resp = SimpleNamespace(
        status=f"{status} X", status_code=status, sent=0, headers=[("Content-Length", "0")]
    )
    logger.access(resp, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=3))


def test_unchanged_wall_polls_stay_out_of_the_access_log_and_everything_else_is_in(
    tmp_path, monkeypatch
):
    logger, log = _gunicorn_logger(tmp_path, monkeypatch)
    _answer(logger, "/wall/poll/", 204)
    _answer(logger, "/wall/poll/", 200)
    _answer(logger, "/wall/poll/", 403)
    _answer(logger, "/orders/rows/", 204)
    _answer(logger, "/healthz", 200, query="")
    for handler in logger.access_log.handlers:
        handler.flush()

    lines = log.read_text().splitlines()
    assert [
        (line.split('path="')[1].split('"')[0], line.split("status=")[1][:3]) for line in lines
    ] == [
        ("/wall/poll/", "200"),
        ("/wall/poll/", "403"),
        ("/orders/rows/", "204"),
        ("/healthz", "200"),
    ]
    assert not any("token=" in line for line in lines)  # paths only, never the query string


@pytest.mark.parametrize(
    ("env", "threads"),
    [
        ({}, 64),  # held polls, the default: a thread per waiting screen
        ({"SCREEN_UPDATES": "longpoll"}, 64),
        ({"SCREEN_UPDATES": "poll"}, 4),  # answered at once: fewer threads serve faster
        ({"SCREEN_UPDATES": " POLL "}, 4),
        ({"SCREEN_UPDATES": "poll", "GUNICORN_THREADS": "16"}, 16),  # the operator's choice wins
        ({"GUNICORN_THREADS": "8"}, 8),
    ],
)
def test_gunicorns_threads_follow_how_screens_learn_of_a_change(monkeypatch, env, threads):
    for name in ("SCREEN_UPDATES", "GUNICORN_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    namespace: dict = {}
    exec(compile((DEPLOY / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)  # noqa: S102
    assert namespace["threads"] == threads
