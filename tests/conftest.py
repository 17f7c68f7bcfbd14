"""Shared test setup. Fixtures live in tests/fixtures/, one module per owner."""

import os

import pytest
import time_machine

from tests.fixtures.simulator import SIMULATOR_NOW

os.environ.setdefault("PASS_TESTING", "1")
os.environ.setdefault("PASS_IGNORE_DOTENV", "1")

pytest_plugins = [
    "tests.fixtures.simulator",
    "tests.fixtures.orders",
    "tests.fixtures.browser",
]


@pytest.fixture(autouse=True)
def _throttle_counts_in_tmp(settings, tmp_path):
    """Failed logins in tests leave no counts in var/."""
    settings.LOGIN_THROTTLE_DIR = tmp_path / "login-throttle"


@pytest.fixture(autouse=True)
def _fixed_clock(request):
    """Every test runs at ``SIMULATOR_NOW`` (time then moves on as usual), so no test depends
    on the hour or the day it runs at: Django's clock, the simulator's and the sync's agree.

    Tests that start processes of their own (which read the machine's clock) and browser tests
    (the page's clock is the browser's) say so with ``@pytest.mark.real_clock``, or by living
    in tests/browser/. Only the wall clock is moved: monotonic time, and so timeouts, sleeps
    and rate-limit windows, stay real."""
    if request.node.get_closest_marker("real_clock") or request.node.get_closest_marker("browser"):
        yield None
        return
    with time_machine.travel(SIMULATOR_NOW, tick=True) as traveller:
        yield traveller
