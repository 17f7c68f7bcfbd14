"""What the Clopos client is configured with: one frozen ``ClientSettings``, checked once.

``ClientSettings.from_django()`` reads ``settings.CLOPOS_*``; tests and tools build one
directly. Either way the values are checked here, when the object is made, and nowhere else in
the client (see docs/clopos.md §1 for the base URL and §2 for the credentials).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from orders_app.clopos.errors import CloposConfigError
from orders_app.clopos.paging import DEFAULT_MAX_PAGES

DEFAULT_BASE_URL = "https://integrations.clopos.com/open-api/v2"
CLOPOS_DOCUMENTED_LIMIT = 300  # requests a minute per brand (docs/clopos.md)
MAX_LIMIT = 200  # the documented "typical" maximum; orders publish none, so we never ask more

_CLIENT_FIELDS = ("client_id", "client_secret", "brand", "integrator_id")


@dataclass(frozen=True)
class ClientSettings:
    """Where Clopos is, how to sign in, and how hard to push it.

    Either ``token`` (a ready ``x-token``) or all four client fields, which ``POST /auth``
    exchanges for a JWT. Values are normalised on the way in: the base URL loses a trailing
    slash, an empty venue becomes None, the page size is kept within 1..``MAX_LIMIT``.
    """

    base_url: str
    token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    brand: str | None = None
    integrator_id: str | None = None
    venue_id: str | int | None = None
    timeout: float = 10.0
    max_retries: int = 5
    requests_per_minute: int = 60
    # More a minute while the outbox delivers a tap (reads wait meanwhile): a kitchen's writes
    # come first. Reads and writes together stay under Clopos's documented 300.
    write_requests_per_minute: int = 120
    page_size: int = 100
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    max_pages: int = DEFAULT_MAX_PAGES

    def __post_init__(self) -> None:
        base_url = self.base_url
        if not base_url or not base_url.startswith(("http://", "https://")):
            raise CloposConfigError(
                f"CLOPOS_BASE_URL must be an http(s) URL, like {DEFAULT_BASE_URL}"
            )
        values = self.client_fields
        if not self.token and not all(values.values()):
            missing = [f"CLOPOS_{name.upper()}" for name, value in values.items() if not value]
            if len(missing) == 4:
                raise CloposConfigError(
                    "No Clopos credentials: set CLOPOS_TOKEN, or CLOPOS_CLIENT_ID, "
                    "CLOPOS_CLIENT_SECRET, CLOPOS_BRAND and CLOPOS_INTEGRATOR_ID"
                )
            raise CloposConfigError(
                f"Clopos credentials are incomplete: set {', '.join(missing)} too "
                "(or set CLOPOS_TOKEN instead)"
            )
        if self.timeout <= 0:
            raise CloposConfigError("CLOPOS_TIMEOUT must be a positive number of seconds")
        if self.requests_per_minute < 1:
            raise CloposConfigError("CLOPOS_REQUESTS_PER_MINUTE must be at least 1")
        if self.write_requests_per_minute < 0:
            raise CloposConfigError("CLOPOS_WRITE_REQUESTS_PER_MINUTE must be 0 or more")
        normalised = {
            "base_url": base_url.rstrip("/"),
            "token": self.token or None,
            "venue_id": str(self.venue_id) if self.venue_id not in (None, "") else None,
            "timeout": float(self.timeout),
            "max_retries": max(0, int(self.max_retries)),
            "requests_per_minute": int(self.requests_per_minute),
            # Reads and writes together stay at or under Clopos's documented limit.
            "write_requests_per_minute": max(
                0,
                min(
                    int(self.write_requests_per_minute),
                    CLOPOS_DOCUMENTED_LIMIT - int(self.requests_per_minute),
                ),
            ),
            "page_size": max(1, min(MAX_LIMIT, int(self.page_size))),
        }
        for name, value in normalised.items():
            object.__setattr__(self, name, value)

    @property
    def client_fields(self) -> dict[str, str]:
        """The four fields ``POST /auth`` takes, empty strings where unset."""
        return {name: getattr(self, name) or "" for name in _CLIENT_FIELDS}

    @property
    def can_sign_in(self) -> bool:
        return all(self.client_fields.values())

    @classmethod
    def from_django(cls, **overrides: Any) -> ClientSettings:
        """From ``settings.CLOPOS_*`` (unset or empty ones take the defaults); keywords win."""
        from django.conf import settings

        def setting(name: str, default: Any = None) -> Any:
            value = getattr(settings, name, default)
            return default if value in (None, "") else value

        values: dict[str, Any] = {
            "base_url": setting("CLOPOS_BASE_URL", DEFAULT_BASE_URL),
            "token": setting("CLOPOS_TOKEN"),
            "client_id": setting("CLOPOS_CLIENT_ID"),
            "client_secret": setting("CLOPOS_CLIENT_SECRET"),
            "brand": setting("CLOPOS_BRAND"),
            "integrator_id": setting("CLOPOS_INTEGRATOR_ID"),
            "venue_id": setting("CLOPOS_VENUE_ID"),
            "timeout": setting("CLOPOS_TIMEOUT", 10.0),
            "max_retries": setting("CLOPOS_MAX_RETRIES", 5),
            "requests_per_minute": setting("CLOPOS_REQUESTS_PER_MINUTE", 60),
            "write_requests_per_minute": setting("CLOPOS_WRITE_REQUESTS_PER_MINUTE", 120),
            "page_size": setting("CLOPOS_PAGE_SIZE", 100),
        }
        values.update(overrides)
        return cls(**values)


SETTING_NAMES = frozenset(f.name for f in fields(ClientSettings))
