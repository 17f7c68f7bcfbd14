"""What every live page's response shares: the typed htmx request, and "never cache this"."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date
from django_htmx.middleware import HtmxDetails

# The Cache-Control that django.views.decorators.cache.never_cache writes.
NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def no_store(response: HttpResponse, *, now: float | None = None) -> HttpResponse:
    """Live data: never cached, by the browser or anything in between (``now``: the clock, in
    epoch seconds, the response is stamped with).

    The headers ``never_cache`` writes, set directly: it parses and re-joins Cache-Control,
    a noticeable share of the wall's unchanged poll."""
    response["Expires"] = http_date(now)
    response["Cache-Control"] = NO_STORE
    return response


def no_store_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``no_store`` on every response of ``view``, refusals (405) and redirects included; a
    response the view already stamped keeps its headers."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        return response if response.has_header("Cache-Control") else no_store(response)

    return wrapper
