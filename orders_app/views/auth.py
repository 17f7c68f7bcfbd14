"""The manager login: Django's LoginView with failed attempts throttled.

A throttled attempt gets the form back with "Too many failed attempts. Try again in N minutes."
as a form error, HTTP 429 and a Retry-After header, and the password is never checked.
See orders_app/services/throttle.py for where the counts live and why.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from orders_app.services.throttle import (
    LoginThrottle,
    ThrottleDecision,
    client_address,
    log_safe,
)

logger = logging.getLogger("orders_app.login")


class ThrottledAuthenticationForm(AuthenticationForm):
    """AuthenticationForm that refuses, before authenticating, when the throttle says so."""

    def __init__(self, *args: Any, throttle_message: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.throttle_message = throttle_message

    def clean(self) -> dict[str, Any]:
        if self.throttle_message:
            raise ValidationError(self.throttle_message, code="throttled")
        return super().clean()


class ThrottledLoginView(LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True
    # A LoginThrottle to use; None builds one from settings per request (tests pass their own).
    throttle: LoginThrottle | None = None

    def get_throttle(self) -> LoginThrottle:
        return self.throttle or LoginThrottle.from_settings()

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        throttle = self.get_throttle()
        username = request.POST.get("username", "")
        address = client_address(request)
        try:
            decision = throttle.check(username=username, address=address)
        except OSError:
            # The store is unwritable (disk full, read-only path): let people log in, loudly.
            logger.exception("login throttle store unavailable; attempt not throttled")
            decision = ThrottleDecision(blocked=False)
        self._decision = decision
        if decision.blocked:
            logger.warning(
                'login throttled username="%s" address=%s scope=%s retry_after=%s',
                log_safe(username),
                address or "-",
                decision.scope,
                decision.retry_after,
            )
            form = self.get_form()
            form.is_valid()  # runs field checks and our clean(); never authenticate()
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(decision.retry_after)
            return response

        form = self.get_form()
        if form.is_valid():
            self._safely(throttle.record_success, username=username, address=address)
            return self.form_valid(form)
        if form.has_error("__all__", "invalid_login") or form.has_error("__all__", "inactive"):
            self._safely(throttle.record_failure, username=username, address=address)
            logger.info('login failed username="%s" address=%s', log_safe(username), address or "-")
        return self.form_invalid(form)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        decision: ThrottleDecision | None = getattr(self, "_decision", None)
        if decision is not None and decision.blocked:
            kwargs["throttle_message"] = decision.message
        return kwargs

    @staticmethod
    def _safely(action: Any, **kwargs: str) -> None:
        try:
            action(**kwargs)
        except OSError:
            logger.exception("login throttle store unavailable; outcome not recorded")


login_view = ThrottledLoginView.as_view()
