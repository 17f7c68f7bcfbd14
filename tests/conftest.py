"""Shared test setup. Fixtures live in tests/fixtures/, one module per owner."""

import os

import pytest

os.environ.setdefault("PASS_TESTING", "1")
os.environ.setdefault("PASS_IGNORE_DOTENV", "1")

pytest_plugins = [
    "tests.fixtures.clock",
    "tests.fixtures.simulator",
    "tests.fixtures.orders",
    "tests.fixtures.browser",
]


@pytest.fixture(autouse=True)
def _throttle_counts_in_tmp(settings, tmp_path):
    """Failed logins in tests leave no counts in var/."""
    settings.LOGIN_THROTTLE_DIR = tmp_path / "login-throttle"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: cached pages, fragments and channel choices are
    keyed by the data version, which every test's database starts again from."""
    from django.core.cache import cache

    cache.clear()
    yield
    # A held poll's watcher thread reads the database: it ends with the test that started it
    # (else it would read the next test's database, or hold PostgreSQL's test database open).
    from orders_app.services.change_watch import _watch

    _watch.stop()
