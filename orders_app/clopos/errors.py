"""One error family for everything that can go wrong talking to Clopos.

Every error says whether trying again may help (``retryable``), carries the HTTP status and the
API's machine-readable ``error`` identifier when there was one, and reads as a sentence that
tells the person running Pass what to fix. Messages never contain secrets or tokens: the client
redacts them from any text the server echoes back before it builds an error.
"""

from __future__ import annotations


class CloposError(Exception):
    """Base class. ``str()`` is the user-facing message."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retryable: bool | None = None,
        server_message: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        # What Clopos itself said (already redacted), for logs and the admin.
        self.server_message = server_message
        self.status = status
        self.code = code
        if retryable is not None:
            self.retryable = retryable
        # Set by the client when it gave up after retrying.
        self.attempts: int = 1

    def __str__(self) -> str:
        if self.attempts > 1:
            return f"{self.message} (gave up after {self.attempts} attempts)"
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, message={self.message!r})"


class CloposConfigError(CloposError):
    """Nothing to authenticate with, or settings that cannot work."""


class CloposAuthError(CloposError):
    """Clopos rejected the credentials or the token."""


class CloposTestModeError(CloposAuthError):
    """A test integrator used against a production brand (Clopos answers 200 with success:false)."""


class CloposRateLimited(CloposError):
    """HTTP 429. ``reset_seconds`` is how long Clopos asked us to wait (RateLimit-Reset)."""

    retryable = True

    def __init__(self, message: str, *, reset_seconds: float, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.reset_seconds = reset_seconds


class CloposUnavailable(CloposError):
    """Timeouts, connection errors, 5xx, HTML gateway pages, truncated or non-JSON bodies."""

    retryable = True


class CloposNotFound(CloposError):
    """HTTP 404: the resource is not in the brand and venue the token targets."""


class CloposBadResponse(CloposError):
    """A body we cannot use: JSON that is not an object, ``data`` of the wrong type, a redirect."""


class CloposRequestRejected(CloposError):
    """Any other 4xx, or 200 with success:false: Clopos refused the request as sent."""
