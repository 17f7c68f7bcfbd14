"""Browser tests: Playwright's sync API runs an event loop beside Django's test code."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    # The hook sees every item of the session, not only this folder's: mark only ours.
    for item in items:
        if Path(item.path).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)
