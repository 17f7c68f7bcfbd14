"""HTTP client for the Clopos Open API v2 (see ../shared/clopos/API.md).

One ``requests.Session``, a timeout on every call, typed errors (``errors.py``), retries with
exponential backoff and jitter, the documented ``RateLimit-*`` headers honoured, and a local
request budget so Pass stays well under the 300 requests/minute Clopos allows a brand.

Authentication. Either a ready ``x-token`` (``CLOPOS_TOKEN``) or the four client fields, which
``POST /auth`` exchanges for a JWT. The JWT is reused until shortly before ``expires_at`` and
is sent as ``x-token`` (never ``Authorization: Bearer``, whatever ``token_type`` says). On a 401
from any other route the client signs in again once and repeats the call.

Responses. ``success`` is checked before the status code: Clopos answers some failures (the
test-integrator-on-production-brand case) with HTTP 200 and ``success: false``.

Time limits. ``timeout`` bounds connecting and every socket read; the whole response must also
arrive within twice ``timeout``, so a server trickling bytes cannot hold a pass forever.
``requests_made`` counts every attempt sent (sign-in and retries included).

Query strings. Built here, not by requests, so the PHP/Laravel bracket keys come out in a fixed
order: ``with[0]``, ``date[0]``/``date[1]``, ``sort[0]``/``sort[1]``, ``filters[N][0]``,
``filters[N][1]`` and ``filters[N][1][M]`` for list values. Brackets are percent-encoded
(``with%5B0%5D=receipt``), exactly as PHP's own ``http_build_query`` writes them, so any PHP or
Laravel server (and the bundled simulator, which decodes with ``urllib.parse``) reads them the
same way as the literal brackets in the docs' ``curl --globoff`` examples; no proxy on the way
can mangle a bare ``[``.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import orjson
import requests
import urllib3

from orders_app.clopos.errors import (
    CloposAuthError,
    CloposBadResponse,
    CloposConfigError,
    CloposError,
    CloposNotFound,
    CloposRateLimited,
    CloposRequestRejected,
    CloposTestModeError,
    CloposUnavailable,
)
from orders_app.clopos.paging import DEFAULT_MAX_PAGES, OrdersPage, page_from_body, walk_pages

logger = logging.getLogger("orders_app.clopos")

DEFAULT_BASE_URL = "https://integrations.clopos.com/open-api/v2"
MAX_LIMIT = 200  # the documented "typical" maximum; orders publish none, so we never ask more
RECEIPT_RELATION = "receipt:id,service_notification_id,status"
TOKEN_REFRESH_MARGIN = 60.0  # seconds before expires_at at which a new JWT is fetched
DEFAULT_TOKEN_LIFETIME = 3600.0  # "typically 3600" when the auth answer names no expiry
RATE_LIMIT_FALLBACK_WAIT = 5.0  # a 429 without RateLimit-Reset
RATE_LIMIT_MAX_WAIT = 120.0  # never trust a hostile header to park us for hours
BUDGET_WINDOW = 60.0  # seconds: requests_per_minute is a sliding window over this
MAX_BODY_BYTES = 64 * 1024 * 1024

OnRequest = Callable[[str, str, "int | None", float], None]

_TEST_MODE_MESSAGE = (
    "Clopos says the integrator is in test mode but the brand is production: use a test brand "
    "with this CLOPOS_INTEGRATOR_ID, or ask Clopos (dev@clopos.com) to move the integrator to "
    "production"
)
_CREDENTIALS_REJECTED = (
    "Clopos rejected the credentials: check CLOPOS_CLIENT_ID / CLOPOS_CLIENT_SECRET / "
    "CLOPOS_BRAND (and that the Open API add-on is enabled in the Clopos back office)"
)


def _loads(raw: bytes) -> Any:
    """JSON from a response body: orjson (a 200-order page in ~2 ms against ~5 ms), and the
    standard library for what orjson refuses but Clopos may still send (NaN and Infinity,
    integers beyond 64 bits, broken UTF-8 or lone surrogates): the payload parser then cleans
    those, as it always has. The standard library's error is the one raised.

    orjson turns integers beyond 64 bits into floats without a word, so a body with a run of 19
    or more digits goes to the standard library too (ids and phone numbers are far shorter)."""
    if _LONG_DIGITS.search(raw):
        return json.loads(raw)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


_LONG_DIGITS = re.compile(rb"\d{19}")


# --- Query strings: PHP bracket encoding -------------------------------------------------------


def _scalar(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def php_pairs(key: str, value: object) -> list[tuple[str, str]]:
    """Flatten ``value`` under ``key`` the way PHP reads ``key[0][1]=...`` back into arrays.

    Lists and tuples get indices, mappings get their keys, scalars are written as text
    (booleans as 1/0, dates as YYYY-MM-DD, None as an empty string).
    """
    if isinstance(value, Mapping):
        pairs: list[tuple[str, str]] = []
        for sub_key, sub_value in value.items():
            pairs.extend(php_pairs(f"{key}[{sub_key}]", sub_value))
        return pairs
    if isinstance(value, list | tuple):
        pairs = []
        for index, item in enumerate(value):
            pairs.extend(php_pairs(f"{key}[{index}]", item))
        return pairs
    return [(key, _scalar(value))]


def encode_query(pairs: Sequence[tuple[str, str]]) -> str:
    """``k=v&k=v`` with everything but unreserved characters percent-encoded, order kept."""
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


def _as_date(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def orders_query(
    *,
    page: int = 1,
    limit: int = 100,
    status: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    sort: str | None = "updated_at",
    direction: int = -1,
    with_: Sequence[str] = (),
    filters: Sequence[tuple[str, object]] = (),
    today: date | None = None,
) -> list[tuple[str, str]]:
    """The ordered (key, value) pairs of a ``GET /orders`` query.

    ``date[0]``/``date[1]`` always go together: a missing end is tomorrow (relative to
    ``today``), a missing start is 2000-01-01, so an open-ended range is still a valid pair.
    """
    if direction not in (1, -1):
        raise ValueError(f"direction must be 1 (ascending) or -1 (descending), not {direction!r}")
    if page < 1:
        raise ValueError(f"page is 1-based, not {page!r}")
    pairs: list[tuple[str, str]] = [("page", str(page)), ("limit", str(limit))]
    if status:
        pairs.append(("status", status))
    for index, relation in enumerate(with_):
        pairs.append((f"with[{index}]", relation))
    if date_from is not None or date_to is not None:
        start = _as_date(date_from) if date_from is not None else date(2000, 1, 1)
        if date_to is not None:
            end = _as_date(date_to)
        else:
            end = (today or date.today()) + timedelta(days=1)
        pairs.append(("date[0]", start.isoformat()))
        pairs.append(("date[1]", end.isoformat()))
    if sort:
        pairs.append(("sort[0]", sort))
        pairs.append(("sort[1]", str(direction)))
    for index, filter_ in enumerate(filters):
        pairs.extend(php_pairs(f"filters[{index}]", tuple(filter_)))
    return pairs


# --- Reading responses -------------------------------------------------------------------------


def _header_number(headers: Mapping[str, str], name: str) -> float | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        value = float(str(raw).strip())
    except ValueError:
        return None
    if value != value or value < 0:  # NaN or negative
        return None
    return value


def _epoch_seconds(value: object) -> float | None:
    """``expires_at`` as epoch seconds: a number (seconds or ms), a digit string or ISO 8601."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return None
            if parsed.tzinfo is None:
                return parsed.replace(tzinfo=UTC).timestamp()
            return parsed.timestamp()
    else:
        return None
    return number / 1000.0 if number > 1e12 else number


def _is_test_mode_text(*texts: object) -> bool:
    joined = " ".join(str(t) for t in texts if t).lower()
    return "test mode" in joined


# --- The client --------------------------------------------------------------------------------


class CloposClient:
    """Talks to one Clopos brand. Not thread-safe: give each thread its own client."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        brand: str | None = None,
        integrator_id: str | None = None,
        venue_id: str | int | None = None,
        timeout: float = 10.0,
        max_retries: int = 5,
        requests_per_minute: int = 60,
        page_size: int = 100,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        on_request: OnRequest | None = None,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        max_pages: int = DEFAULT_MAX_PAGES,
        rng: random.Random | None = None,
    ) -> None:
        if not base_url or not base_url.startswith(("http://", "https://")):
            raise CloposConfigError(
                f"CLOPOS_BASE_URL must be an http(s) URL, like {DEFAULT_BASE_URL}"
            )
        self.base_url = base_url.rstrip("/")
        self._static_token = token or None
        self._client_fields = {
            "client_id": client_id or "",
            "client_secret": client_secret or "",
            "brand": brand or "",
            "integrator_id": integrator_id or "",
        }
        self._can_sign_in = all(self._client_fields.values())
        if not self._static_token and not self._can_sign_in:
            missing = [
                f"CLOPOS_{name.upper()}" for name, value in self._client_fields.items() if not value
            ]
            if len(missing) == 4:
                raise CloposConfigError(
                    "No Clopos credentials: set CLOPOS_TOKEN, or CLOPOS_CLIENT_ID, "
                    "CLOPOS_CLIENT_SECRET, CLOPOS_BRAND and CLOPOS_INTEGRATOR_ID"
                )
            raise CloposConfigError(
                f"Clopos credentials are incomplete: set {', '.join(missing)} too "
                "(or set CLOPOS_TOKEN instead)"
            )
        self.venue_id = str(venue_id) if venue_id not in (None, "") else None
        if timeout <= 0:
            raise CloposConfigError("CLOPOS_TIMEOUT must be a positive number of seconds")
        self.timeout = float(timeout)
        self.max_retries = max(0, int(max_retries))
        if requests_per_minute < 1:
            raise CloposConfigError("CLOPOS_REQUESTS_PER_MINUTE must be at least 1")
        self.requests_per_minute = int(requests_per_minute)
        self.page_size = max(1, min(MAX_LIMIT, int(page_size)))
        self._owns_session = session is None
        self._session = session or requests.Session()
        self._clock = clock
        self._now = now
        self._sleep = sleep
        self._on_request = on_request
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_pages = max_pages
        self._rng = rng or random.Random()  # jitter only, never a secret

        self.requests_made = 0
        self._token: str | None = self._static_token
        self._token_refresh_at: float | None = None  # epoch seconds (``now`` clock)
        self._sent_at: deque[float] = deque()  # send times (``clock``) within the budget window
        self._rl_limit: float | None = None
        self._rl_remaining: float | None = None
        self._rl_reset_at: float | None = None  # ``clock`` time the server's window resets

    @classmethod
    def from_settings(cls, **overrides: Any) -> CloposClient:
        """A client configured from ``settings.CLOPOS_*``; keyword arguments win."""
        from django.conf import settings

        def setting(name: str, default: Any = None) -> Any:
            value = getattr(settings, name, default)
            return default if value in (None, "") else value

        kwargs: dict[str, Any] = {
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
            "page_size": setting("CLOPOS_PAGE_SIZE", 100),
        }
        kwargs.update(overrides)
        return cls(**kwargs)

    def __repr__(self) -> str:
        mode = "token" if self._static_token else "client credentials"
        venue = f", venue={self.venue_id}" if self.venue_id else ""
        return f"<CloposClient {self.base_url} auth={mode}{venue}>"

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> CloposClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- Public API ----------------------------------------------------------------------------

    def orders_page(
        self,
        *,
        page: int = 1,
        limit: int | None = None,
        status: str | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        sort: str = "updated_at",
        direction: int = -1,
        with_: Sequence[str] = (),
        filters: Sequence[tuple[str, object]] = (),
    ) -> OrdersPage:
        """One page of ``GET /orders``, newest ``updated_at`` first by default."""
        limit = self._limit(limit)
        today = datetime.fromtimestamp(self._now(), tz=UTC).date()
        query = orders_query(
            page=page,
            limit=limit,
            status=status,
            date_from=date_from,
            date_to=date_to,
            sort=sort,
            direction=direction,
            with_=with_,
            filters=filters,
            today=today,
        )
        body = self._request("GET", "/orders", query=query)
        return self._page(body, page=page, limit=limit)

    def iter_order_pages(self, **kwargs: Any) -> Iterator[OrdersPage]:
        """Pages 1, 2, … of ``GET /orders`` (same arguments as ``orders_page`` without ``page``).

        Stops once ``total`` rows have arrived, on an empty page, on a short page when the server
        gives no ``total``, when a page repeats the previous one (a server ignoring ``page``), or
        at ``max_pages``. A short page with a known ``total`` does not stop the walk: the server
        may cap ``limit`` below what we asked.
        """
        if "page" in kwargs:
            raise TypeError("iter_order_pages walks the pages itself; do not pass page=")
        kwargs["limit"] = self._limit(kwargs.get("limit"))
        yield from self._walk(lambda number: self.orders_page(page=number, **kwargs))

    def get_order(self, order_id: int, *, with_receipt: bool = False) -> dict:
        """``GET /orders/{id}``; with ``with_receipt`` the order carries ``receipt`` (or None)."""
        query = [("with[0]", RECEIPT_RELATION)] if with_receipt else []
        body = self._request("GET", f"/orders/{int(order_id)}", query=query)
        data = body.get("data")
        if isinstance(data, dict) and "data" in data and isinstance(data["data"], dict):
            data = data["data"]
        if not isinstance(data, dict):
            raise CloposBadResponse(
                f"Clopos answered GET /orders/{int(order_id)} without an order object "
                f"(data was {type(data).__name__})",
                status=200,
            )
        return data

    def venues(self) -> list[dict]:
        """Every venue of the brand: ``{id, name, …}``."""
        return self._list_all("/venues")

    def sale_types(self) -> list[dict]:
        """Every sale type: ``{id, name, system_type, channel, …}``."""
        return self._list_all("/sale-types")

    # --- Paging --------------------------------------------------------------------------------

    def _limit(self, limit: int | None) -> int:
        value = self.page_size if limit is None else int(limit)
        return max(1, min(MAX_LIMIT, value))

    def _page(self, body: dict, *, page: int, limit: int) -> OrdersPage:
        return page_from_body(body, page=page, limit=limit)

    def _walk(self, fetch: Callable[[int], OrdersPage]) -> Iterator[OrdersPage]:
        return walk_pages(fetch, max_pages=self.max_pages)

    def _list_all(self, path: str) -> list[dict]:
        def fetch(number: int) -> OrdersPage:
            query = [("page", str(number)), ("limit", str(MAX_LIMIT))]
            return self._page(self._request("GET", path, query=query), page=number, limit=MAX_LIMIT)

        items: list[dict] = []
        for result in self._walk(fetch):
            items.extend(result.rows)
        return items

    # --- Authentication ------------------------------------------------------------------------

    def _current_token(self) -> str:
        if self._token and (self._token_refresh_at is None or self._now() < self._token_refresh_at):
            return self._token
        if not self._can_sign_in:
            assert self._static_token is not None
            self._token = self._static_token
            return self._token
        return self._sign_in()

    def _sign_in(self) -> str:
        self._token = None
        body = self._request("POST", "/auth", json_body=dict(self._client_fields), auth=False)
        token = body.get("token")
        if not isinstance(token, str) or not token:
            data = body.get("data")
            token = data.get("token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise CloposBadResponse("Clopos accepted the sign-in but sent no token", status=200)
        issued = self._now()
        expires_at = _epoch_seconds(body.get("expires_at"))
        if expires_at is None:
            expires_in = _header_number(body, "expires_in") if "expires_in" in body else None
            expires_at = issued + (expires_in if expires_in is not None else DEFAULT_TOKEN_LIFETIME)
        lifetime = max(0.0, expires_at - issued)
        self._token = token
        self._token_refresh_at = expires_at - min(TOKEN_REFRESH_MARGIN, lifetime / 2)
        logger.info("clopos_auth ok expires_in=%.0f", lifetime)
        return token

    # --- One call, with retries ----------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, str]] = (),
        json_body: dict | None = None,
        auth: bool = True,
    ) -> dict:
        signed_in_again = False
        attempt = 0
        while True:
            headers = {"Accept": "application/json", "User-Agent": "Pass/0.1 (Clopos dashboard)"}
            if auth:
                token = self._current_token()
                headers["x-token"] = token
                if self.venue_id:
                    headers["x-venue"] = self.venue_id
            try:
                return self._send(method, path, query=query, json_body=json_body, headers=headers)
            except CloposTestModeError:
                raise
            except CloposAuthError as exc:
                if not auth or exc.status != 401:
                    raise
                if self._can_sign_in and not signed_in_again:
                    signed_in_again = True
                    logger.info("clopos_reauth path=%s reason=%s", path, exc.code or "401")
                    self._token = None
                    self._token_refresh_at = None
                    continue
                raise self._token_rejected(exc, retried=signed_in_again) from None
            except CloposError as exc:
                if not exc.retryable or attempt >= self.max_retries:
                    exc.attempts = attempt + 1
                    raise
                if isinstance(exc, CloposRateLimited):
                    wait = exc.reset_seconds
                else:
                    ceiling = min(self.backoff_cap, self.backoff_base * (2**attempt))
                    wait = ceiling / 2 + self._rng.uniform(0, ceiling / 2)
                attempt += 1
                logger.warning(
                    'clopos_retry method=%s path=%s attempt=%s/%s wait_s=%.2f error=%s status=%s reason="%s"',
                    method,
                    path,
                    attempt,
                    self.max_retries,
                    wait,
                    type(exc).__name__,
                    exc.status if exc.status is not None else "-",
                    exc.message.replace('"', "'"),
                )
                self._sleep(wait)
                if isinstance(exc, CloposRateLimited):
                    # We just waited out the server's window; don't wait for it again.
                    self._rl_remaining = None

    def _token_rejected(self, exc: CloposAuthError, *, retried: bool) -> CloposAuthError:
        said = f" (Clopos said: {exc.server_message})" if exc.server_message else ""
        if retried:
            message = (
                "Clopos rejected a freshly issued token"
                f"{said}: check CLOPOS_CLIENT_ID / CLOPOS_CLIENT_SECRET / CLOPOS_BRAND / "
                "CLOPOS_INTEGRATOR_ID and the API user's permissions in the Clopos back office"
            )
        else:
            message = (
                f"Clopos rejected CLOPOS_TOKEN{said}: set a fresh CLOPOS_TOKEN, or set "
                "CLOPOS_CLIENT_ID, CLOPOS_CLIENT_SECRET, CLOPOS_BRAND and CLOPOS_INTEGRATOR_ID "
                "so Pass can sign in by itself"
            )
        return CloposAuthError(
            message, status=exc.status, code=exc.code, server_message=exc.server_message
        )

    # --- One HTTP exchange ---------------------------------------------------------------------

    def _wait_for_slot(self) -> None:
        """Stay under our budget and slow down before the server's RateLimit-Remaining hits 0."""
        while True:
            now = self._clock()
            while self._sent_at and self._sent_at[0] <= now - BUDGET_WINDOW:
                self._sent_at.popleft()
            if len(self._sent_at) < self.requests_per_minute:
                break
            wait = self._sent_at[0] + BUDGET_WINDOW - now
            logger.info("clopos_budget_wait wait_s=%.2f", wait)
            self._sleep(max(wait, 0.01))
        if self._rl_remaining is None or self._rl_reset_at is None:
            return
        left = self._rl_reset_at - self._clock()
        if left <= 0:
            self._rl_remaining = None
            return
        low_water = max(2.0, (self._rl_limit or 50.0) / 10)
        if self._rl_remaining <= 0:
            logger.info("clopos_ratelimit_wait wait_s=%.2f remaining=0", left)
            self._sleep(min(left, RATE_LIMIT_MAX_WAIT))
            self._rl_remaining = None
        elif self._rl_remaining <= low_water:
            # Spread what is left of the server's window over the time until it resets.
            wait = left / (self._rl_remaining + 1)
            logger.info(
                "clopos_ratelimit_slowdown wait_s=%.2f remaining=%.0f", wait, self._rl_remaining
            )
            self._sleep(min(wait, RATE_LIMIT_MAX_WAIT))

    def _send(
        self,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, str]],
        json_body: dict | None,
        headers: dict[str, str],
    ) -> dict:
        self._wait_for_slot()
        url = self.base_url + path
        if query:
            url += "?" + encode_query(query)
        started = self._clock()
        self._sent_at.append(started)
        self.requests_made += 1
        if self._rl_remaining is not None and "x-token" in headers:
            # RateLimit-* describe the authenticated tier; /auth has its own per-IP limit.
            self._rl_remaining -= 1
        status: int | None = None
        try:
            try:
                response = self._session.request(
                    method,
                    url,
                    headers=headers,
                    json=json_body,
                    timeout=self.timeout,
                    stream=True,
                    allow_redirects=False,  # x-token must never follow a redirect elsewhere
                )
            except requests.Timeout:
                raise CloposUnavailable(
                    f"Clopos did not answer {method} {path} within {self.timeout:g} s "
                    "(raise CLOPOS_TIMEOUT if this keeps happening)"
                ) from None
            except requests.RequestException as exc:
                raise CloposUnavailable(
                    f"Could not reach Clopos at {self.base_url} ({type(exc).__name__}): "
                    "check the network and CLOPOS_BASE_URL"
                ) from None
            status = response.status_code
            self._read_rate_limit_headers(response.headers)
            try:
                raw = self._read_body(response, started=started, method=method, path=path)
            finally:
                response.close()
            return self._interpret(response, raw, method=method, path=path)
        finally:
            self._report(method, path, status, self._clock() - started)

    def _read_body(
        self, response: requests.Response, *, started: float, method: str, path: str
    ) -> bytes:
        """The whole body, one socket read at a time, within twice ``timeout`` of sending."""
        chunks: list[bytes] = []
        size = 0
        deadline = started + 2 * self.timeout
        raw = response.raw
        read1 = getattr(raw, "read1", None)
        try:
            if read1 is None:  # not a urllib3 2 response: requests' own iterator
                pieces: Iterator[bytes] = response.iter_content(chunk_size=65536)
            else:
                pieces = iter(lambda: read1(65536, decode_content=True), b"")
            for chunk in pieces:
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise CloposBadResponse(
                        f"Clopos sent more than {MAX_BODY_BYTES // 1_000_000} MB for {method} "
                        f"{path}: lower CLOPOS_PAGE_SIZE",
                        status=response.status_code,
                    )
                if self._clock() > deadline:
                    raise CloposUnavailable(
                        f"Clopos took longer than {2 * self.timeout:g} s to send {method} {path} "
                        "(raise CLOPOS_TIMEOUT if this keeps happening)",
                        status=response.status_code,
                    )
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            reason = "timed out" if "timeout" in type(exc).__name__.lower() else "broke"
            raise CloposUnavailable(
                f"The connection to Clopos {reason} while reading {method} {path} "
                f"({type(exc).__name__})",
                status=response.status_code,
            ) from None
        return b"".join(chunks)

    def _read_rate_limit_headers(self, headers: Mapping[str, str]) -> None:
        remaining = _header_number(headers, "RateLimit-Remaining")
        if remaining is None:
            return
        self._rl_remaining = remaining
        self._rl_limit = _header_number(headers, "RateLimit-Limit")
        reset = _header_number(headers, "RateLimit-Reset")
        self._rl_reset_at = self._clock() + min(
            reset if reset is not None else BUDGET_WINDOW, RATE_LIMIT_MAX_WAIT
        )

    def _report(self, method: str, path: str, status: int | None, elapsed: float) -> None:
        logger.debug(
            "clopos_request method=%s path=%s status=%s elapsed_ms=%.0f",
            method,
            path,
            status if status is not None else "-",
            elapsed * 1000,
        )
        if self._on_request is not None:
            try:
                self._on_request(method, path, status, elapsed)
            except Exception:
                logger.exception("clopos_on_request_failed path=%s", path)

    # --- Turning a response into data or a typed error -----------------------------------------

    def _redact(self, text: object, limit: int = 300) -> str:
        """Server text fit for a message: secrets removed, one line, bounded."""
        cleaned = " ".join(str(text).split())
        secrets = [self._client_fields["client_secret"], self._client_fields["client_id"]]
        secrets += [self._static_token or "", self._token or ""]
        for secret in secrets:
            if secret and len(secret) >= 4:
                cleaned = cleaned.replace(secret, "***")
        return cleaned[:limit] + ("…" if len(cleaned) > limit else "")

    def _interpret(
        self, response: requests.Response, raw: bytes, *, method: str, path: str
    ) -> dict:
        status = response.status_code
        where = f"{method} {path}"
        body: object = None
        parse_error = False
        if raw.strip():
            try:
                body = _loads(raw)
            except (ValueError, UnicodeDecodeError):
                parse_error = True

        if isinstance(body, dict):
            # ``success`` first: Clopos reports some failures as HTTP 200 with success:false.
            success = body.get("success")
            failed = success is False or (isinstance(success, str) and success.lower() == "false")
            if failed or status >= 400:
                raise self._error_from_body(body, response=response, method=method, path=path)
            if 300 <= status < 400:
                raise self._redirect_error(response, where)
            return body

        # Not a JSON object: decide on the status first, then on what the body looks like.
        if status == 429:
            raise self._rate_limited(response, code=None, said="")
        if status in (401, 403):
            raise self._auth_error({}, status=status, path=path)
        if status == 404:
            raise CloposNotFound(f"Clopos has no {path} (HTTP 404)", status=404)
        if 300 <= status < 400:
            raise self._redirect_error(response, where)
        content_type = response.headers.get("Content-Type", "").lower()
        if "html" in content_type or raw.lstrip()[:1] == b"<":
            raise CloposUnavailable(
                f"Clopos answered {where} with an HTML page (HTTP {status}) instead of JSON: "
                "a gateway or proxy in front of the API is failing",
                status=status,
            )
        if status >= 500:
            raise CloposUnavailable(f"Clopos failed on {where} (HTTP {status})", status=status)
        if parse_error:
            raise CloposUnavailable(
                f"Clopos sent a truncated or malformed JSON body for {where} (HTTP {status})",
                status=status,
            )
        if status >= 400:
            raise CloposRequestRejected(
                f"Clopos refused {where} (HTTP {status}) without saying why", status=status
            )
        if not raw.strip():
            raise CloposUnavailable(
                f"Clopos sent an empty body for {where} (HTTP {status})", status=status
            )
        raise CloposBadResponse(
            f"Clopos answered {where} with a JSON {type(body).__name__}, not an object",
            status=status,
        )

    def _redirect_error(self, response: requests.Response, where: str) -> CloposBadResponse:
        location = self._redact(response.headers.get("Location", ""), 120)
        target = f" to {location}" if location else ""
        return CloposBadResponse(
            f"Clopos answered {where} with a redirect (HTTP {response.status_code}{target}): "
            "check CLOPOS_BASE_URL",
            status=response.status_code,
        )

    def _error_from_body(
        self, body: dict, *, response: requests.Response, method: str, path: str
    ) -> CloposError:
        status = response.status_code
        code_raw = body.get("error")
        code = self._redact(code_raw, 80) if isinstance(code_raw, str) and code_raw else None
        message_raw = body.get("message") or body.get("details") or ""
        if not isinstance(message_raw, str):
            message_raw = json.dumps(message_raw, ensure_ascii=False, default=str)
        said_text = self._redact(message_raw) if message_raw else (code or "")
        said = f" (Clopos said: {said_text})" if said_text else ""
        where = f"{method} {path}"

        if _is_test_mode_text(code_raw, message_raw):
            return CloposTestModeError(
                _TEST_MODE_MESSAGE,
                status=status,
                code=code or "test_mode",
                server_message=said_text,
            )
        if status == 429:
            return self._rate_limited(response, code=code, said=said_text)
        if status >= 500:
            return CloposUnavailable(
                f"Clopos failed on {where} (HTTP {status}){said}",
                status=status,
                code=code,
                server_message=said_text,
            )
        if path == "/auth" or status in (401, 403):
            return self._auth_error(body, status=status, path=path, code=code, said=said_text)
        if status == 404:
            return CloposNotFound(
                f"Clopos has no {path} in this brand and venue{said}",
                status=404,
                code=code,
                server_message=said_text,
            )
        if status < 400:
            return CloposRequestRejected(
                f"Clopos reported a failure for {where} despite HTTP {status}{said}",
                status=status,
                code=code,
                server_message=said_text,
            )
        return CloposRequestRejected(
            f"Clopos refused {where} (HTTP {status}){said}",
            status=status,
            code=code,
            server_message=said_text,
        )

    def _auth_error(
        self,
        body: dict,
        *,
        status: int,
        path: str,
        code: str | None = None,
        said: str = "",
    ) -> CloposAuthError:
        text = f"{body.get('error') or ''} {body.get('message') or ''}".lower()
        tail = f" (Clopos said: {said})" if said else ""
        if path == "/auth":
            if "missing" in text:
                message = (
                    f"Clopos says credentials are missing{tail}: set CLOPOS_CLIENT_ID, "
                    "CLOPOS_CLIENT_SECRET, CLOPOS_BRAND and CLOPOS_INTEGRATOR_ID"
                )
            elif "integrator" in text:
                message = (
                    f"Clopos does not accept this integrator{tail}: check CLOPOS_INTEGRATOR_ID "
                    "(request one at https://forms.gle/Y9P1Wnv4QFAruxny8)"
                )
            elif "disabled" in text:
                message = (
                    f"Clopos says the API client is disabled{tail}: turn the Open API add-on "
                    "back on in the Clopos back office"
                )
            else:
                message = f"{_CREDENTIALS_REJECTED}{tail}"
        elif status == 403:
            message = (
                f"Clopos refused access to {path} (HTTP 403){tail}: the Clopos user bound to the "
                "API credentials may lack the permission or module"
            )
        else:
            message = f"Clopos rejected the access token on {path}{tail}"
        return CloposAuthError(message, status=status, code=code, server_message=said)

    def _rate_limited(
        self, response: requests.Response, *, code: str | None, said: str
    ) -> CloposRateLimited:
        reset = _header_number(response.headers, "RateLimit-Reset")
        if reset is None:
            reset = _header_number(response.headers, "Retry-After")
        if reset is None:
            reset = RATE_LIMIT_FALLBACK_WAIT
        reset = min(max(reset, 1.0), RATE_LIMIT_MAX_WAIT)
        tail = f" (Clopos said: {said})" if said else ""
        return CloposRateLimited(
            f"Clopos is rate limiting Pass{tail}: waiting {reset:g} s; lower "
            "CLOPOS_REQUESTS_PER_MINUTE if this keeps happening",
            reset_seconds=reset,
            status=429,
            code=code,
            server_message=said,
        )
