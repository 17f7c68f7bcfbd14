from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from orders_app.i18n import catalogue_version
from orders_app.selectors.sync import sync_health


def pass_settings(request: HttpRequest) -> dict:
    """Display settings every template may need, and the sync health the page header shows.

    ``sync`` is lazy: read from the database only if a template shows it and the view did not
    hand it over (every view that renders the header does; template tags never query)."""
    return {
        "PASS_CURRENCY": settings.CURRENCY,
        "PASS_DEMO_CONFIGURED": settings.CLOPOS_DEMO,
        "PASS_I18N_VERSION": catalogue_version(),
        "sync": SimpleLazyObject(sync_health),
    }
