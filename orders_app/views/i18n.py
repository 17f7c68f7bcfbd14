"""The JavaScript catalogue: Django's JavaScriptCatalog for one language, served as a static-style
script (same origin, so the Content-Security-Policy stays ``script-src 'self'``)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.http import require_GET
from django.views.i18n import JavaScriptCatalog

from orders_app.i18n import catalogue_version

_catalogue = JavaScriptCatalog.as_view(packages=["orders_app"])
# A URL with the current version never changes; any other answer is kept only briefly.
_IMMUTABLE = "public, max-age=31536000, immutable"
_SHORT = "public, max-age=300"


@require_GET
def javascript_catalog(request: HttpRequest, lang: str) -> HttpResponse:
    if lang not in dict(settings.LANGUAGES):
        raise Http404("No such language")
    with translation.override(lang):
        response = _catalogue(request)
    response["Cache-Control"] = (
        _IMMUTABLE if request.GET.get("v") == catalogue_version() else _SHORT
    )
    response["Content-Language"] = lang
    return response
