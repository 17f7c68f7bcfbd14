"""The faketime run's offset: always the next occurrence of the hour, never negative."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path

spec = importlib.util.spec_from_file_location(
    "faketime_at", Path(__file__).resolve().parent.parent / ".ci" / "faketime_at.py"
)
faketime_at = importlib.util.module_from_spec(spec)
spec.loader.exec_module(faketime_at)


def test_offset_reaches_forward_to_later_today():
    now = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)  # 22:00 in Baku

    assert faketime_at.offset_to("22:40", "Asia/Baku", now=now) == 40 * 60


def test_offset_reaches_to_tomorrow_once_the_hour_has_passed():
    now = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)  # 22:00 in Baku

    assert faketime_at.offset_to("03:30", "Asia/Baku", now=now) == (5 * 60 + 30) * 60


def test_offset_is_zero_at_the_very_minute():
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 13:00 in Baku

    assert faketime_at.offset_to("13:00", "Asia/Baku", now=now) == 0
