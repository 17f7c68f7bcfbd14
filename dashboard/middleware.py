"""Project middleware."""

from __future__ import annotations

import http.client
from dataclasses import asdict

from csp import middleware as csp_middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase
from django.utils import translation
from django.utils.cache import patch_vary_headers

_DEBUG_EXEMPT = (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND)

# report_only -> (header text, excluded path prefixes), built from the settings once.
_policies: dict[bool, tuple[str, tuple[str, ...]]] = {}


@receiver(setting_changed)
def _forget_policies(*, setting: str, **kwargs: object) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _policies.clear()


class CSPMiddleware(csp_middleware.CSPMiddleware):
    """django-csp's middleware, with the header built once from the settings instead of on every
    response: django-csp rebuilds it each time, the costliest step of a wall poll's 204 (see
    bench/RESULTS.md, "Wall polling"). Whether a response may take the prebuilt header is asked
    through django-csp's own extension point, ``get_policy_parts``: a response whose parts are
    not all empty (a nonce used, or the per-view ``csp_update``/``csp_replace``/``csp_override``
    decorators) goes through django-csp's own path unchanged. The one private name read is the
    ``@csp_exempt`` marker, exactly as django-csp's ``process_response`` reads it; tests pin both
    paths equal to the stock middleware's headers.

    Kept rather than using django-csp's middleware as it is: django-csp offers no cache of its
    own, and the policy is fixed by the settings, so rebuilding it per response is wasted work."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        for report_only in (False, True):
            parts = self.get_policy_parts(
                request=request, response=response, report_only=report_only
            )
            if any(value is not None for value in asdict(parts).values()):
                return super().process_response(request, response)
        if response.status_code in _DEBUG_EXEMPT and settings.DEBUG:
            return response
        for report_only, header, exempt in (
            (False, HEADER, "_csp_exempt"),
            (True, HEADER_REPORT_ONLY, "_csp_exempt_ro"),
        ):
            policy, excluded = self._policy(request, response, report_only)
            if (
                policy
                and getattr(response, exempt, False) is False
                and header not in response
                and not request.path_info.startswith(excluded)
            ):
                response[header] = policy
        # As django-csp does: a nonce asked for after the header is written is an error.
        request.csp_nonce = csp_middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response

    def _policy(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool
    ) -> tuple[str, tuple[str, ...]]:
        cached = _policies.get(report_only)
        if cached is None:
            parts = self.get_policy_parts(
                request=request, response=response, report_only=report_only
            )
            name = (
                "CONTENT_SECURITY_POLICY_REPORT_ONLY" if report_only else "CONTENT_SECURITY_POLICY"
            )
            config = getattr(settings, name, None) or {}
            cached = (
                build_policy(**asdict(parts), report_only=report_only),
                tuple(config.get("EXCLUDE_URL_PREFIXES", None) or ()),
            )
            _policies[report_only] = cached
        return cached


# Screens on a wall are not personal: their language is in their URL (lang=az|ru|en), else
# LANGUAGE_CODE, never a browser's Accept-Language or a manager's cookie.
SCREEN_PATH_PREFIXES = ("/wall/", "/pickup/")
SCREEN_LANGUAGE_PARAMETER = "lang"


def screen_language(value: str) -> str | None:
    """A screen URL's lang= value as a language Pass speaks, or None."""
    code = value.strip().lower()
    return code if code in dict(settings.LANGUAGES) else None


class LanguageMiddleware:
    """The language of each response, activated before the view runs.

    Pages for one person (the board, an order, the login) follow the language menu's cookie,
    then the browser's Accept-Language, then LANGUAGE_CODE, as Django's LocaleMiddleware does;
    wall screens follow ``lang=`` in their URL, else LANGUAGE_CODE. Every response says its
    language in Content-Language."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        screen = request.path_info.startswith(SCREEN_PATH_PREFIXES)
        if screen:
            language = (
                screen_language(request.GET.get(SCREEN_LANGUAGE_PARAMETER, ""))
                or settings.LANGUAGE_CODE
            )
        else:
            language = translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if not screen:
            patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", language)
        return response


class ActiveRequestsMiddleware:
    """At most WEB_ACTIVE_REQUESTS requests of this process run at once (held polls give their
    slot up while they wait): see orders_app/services/change_watch.py, ``ActiveSlots``."""

    def __init__(self, get_response) -> None:
        from orders_app.services.change_watch import active_slots

        self.get_response = get_response
        self.slots = active_slots()

    def __call__(self, request):
        self.slots.acquire()
        try:
            return self.get_response(request)
        finally:
            self.slots.release()
