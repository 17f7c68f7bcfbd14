from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def pass_settings(request: HttpRequest) -> dict:
    """Display settings every template may need."""
    return {
        "PASS_CURRENCY": settings.CURRENCY,
        "PASS_DEMO_CONFIGURED": settings.CLOPOS_DEMO,
        "PASS_STATUS_LABELS": settings.STATUS_LABELS,
    }
