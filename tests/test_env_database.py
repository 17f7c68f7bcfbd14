"""DATABASE_URL read into Django's DATABASES entry (dashboard/env.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.env import database_from_url


def test_postgresql_pools_its_connections_by_default(monkeypatch):
    monkeypatch.delenv("DB_POOL_SIZE", raising=False)
    entry = database_from_url("postgres://pass:s3cret@db.local:5433/pass", base_dir=Path("/"))
    assert entry["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 8, "timeout": 20}
    assert entry["CONN_MAX_AGE"] == 0  # Django's pool lends a connection per request
    assert entry["CONN_HEALTH_CHECKS"] is False
    assert (entry["HOST"], entry["PORT"], entry["NAME"]) == ("db.local", "5433", "pass")


def test_db_pool_size_zero_keeps_a_persistent_connection_per_thread(monkeypatch):
    monkeypatch.setenv("DB_POOL_SIZE", "0")
    monkeypatch.setenv("DB_CONN_MAX_AGE", "30")
    entry = database_from_url("postgresql://pass@localhost/pass", base_dir=Path("/"))
    assert "pool" not in entry["OPTIONS"]
    assert entry["CONN_MAX_AGE"] == 30
    assert entry["CONN_HEALTH_CHECKS"] is True


@pytest.mark.parametrize("value", ["-1", "many", "1000"])
def test_a_bad_pool_size_fails_at_start_with_its_name(monkeypatch, value):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("DB_POOL_SIZE", value)
    with pytest.raises(ImproperlyConfigured, match="DB_POOL_SIZE"):
        database_from_url("postgres://pass@localhost/pass", base_dir=Path("/"))


def test_sqlite_never_pools(monkeypatch):
    monkeypatch.setenv("DB_POOL_SIZE", "8")
    entry = database_from_url("sqlite:///var/pass.sqlite3", base_dir=Path("/srv"))
    assert "pool" not in entry["OPTIONS"]
    assert entry["NAME"] == "/srv/var/pass.sqlite3"
