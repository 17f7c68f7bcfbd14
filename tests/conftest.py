"""Shared test setup. Fixtures live in tests/fixtures/, one module per owner."""

import os

os.environ.setdefault("PASS_TESTING", "1")
os.environ.setdefault("PASS_IGNORE_DOTENV", "1")

pytest_plugins = [
    "tests.fixtures.simulator",
    "tests.fixtures.orders",
    "tests.fixtures.browser",
]
