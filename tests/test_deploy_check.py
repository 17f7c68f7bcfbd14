"""`manage.py check --deploy` is clean with the production settings from docs/deploy.md, and
is not clean without them (so the first test means something).
"""

from __future__ import annotations

import os
import secrets
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
