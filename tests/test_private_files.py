"""What Pass keeps in var/ (database, secret key, generated password) is private to its user,
and passwords follow Django's full validator set."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from orders_app.devstack import make_private


@pytest.fixture(autouse=True)
def _umask_restored():
    """make_private sets the process's umask: give the next tests theirs back."""
    before = os.umask(0o022)
    os.umask(before)
    yield
    os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_make_private_closes_var_and_the_database_to_other_users(tmp_path):
    var = tmp_path / "var"
    (var / "login-throttle").mkdir(parents=True, mode=0o755)
    (var / "secret_key").write_text("x")
    (var / "secret_key").chmod(0o644)
    (var / "login-throttle" / "ab").write_text("1")
    database = tmp_path / "elsewhere" / "pass.sqlite3"
    database.parent.mkdir()
    database.write_text("")
    database.chmod(0o644)
    database.with_name("pass.sqlite3-wal").write_text("")
    var.chmod(0o755)

    make_private(var, database)

    assert mode(var) == 0o700
    assert mode(var / "login-throttle") == 0o700
    assert mode(var / "secret_key") == 0o600
    assert mode(var / "login-throttle" / "ab") == 0o600
    assert mode(database) == 0o600
    assert mode(database.with_name("pass.sqlite3-wal")) == 0o600


def test_files_made_after_make_private_are_private_too(tmp_path):
    make_private(tmp_path / "var")

    made = tmp_path / "var" / "later.sqlite3"
    made.write_text("")

    assert mode(made) == 0o600


@pytest.mark.django_db
def test_a_password_like_the_username_is_refused(django_user_model):
    user = django_user_model(username="manager")

    with pytest.raises(ValidationError):
        validate_password("manager1", user)
    with pytest.raises(ValidationError):
        validate_password("4815162342", user)
    validate_password("tandir-lavash-2026", user)
