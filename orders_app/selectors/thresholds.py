"""The wall's age thresholds (WALL_AGE_THRESHOLDS): when a card turns amber and red, and when
the insights count an acceptance as late."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Thresholds:
    amber_minutes: float
    red_minutes: float


def age_thresholds(entries: list[str] | None = None) -> dict[str, Thresholds]:
    """WALL_AGE_THRESHOLDS ("PENDING=2:5") parsed; malformed entries are skipped."""
    entries = settings.WALL_AGE_THRESHOLDS if entries is None else entries
    result: dict[str, Thresholds] = {}
    for entry in entries:
        status, _, spec = str(entry).partition("=")
        amber, _, red = spec.partition(":")
        try:
            amber_m, red_m = float(amber), float(red)
        except ValueError:
            continue
        if amber_m <= 0 or red_m < amber_m:
            continue
        result[status.strip().upper()] = Thresholds(amber_m, red_m)
    return result


__all__ = ["Thresholds", "age_thresholds"]
