"""HTTP client for the Clopos Open API v2 (see docs/clopos.md).

One ``requests.Session``, a timeout on every call, typed errors (``errors.py``), retries with
exponential backoff and jitter, the documented ``RateLimit-*`` headers honoured, and a local
request budget so Pass stays well under the 300 requests/minute Clopos allows a brand
(docs/clopos.md §3). What it is configured with is one ``ClientSettings`` (``config.py``); query
strings are built by ``query.py``, answers are read by ``decoding.py`` and list pages walked by
``paging.py``.

Authentication (docs/clopos.md §2). Either a ready ``x-token`` (``CLOPOS_TOKEN``) or the four
client fields, which ``POST /auth`` exchanges for a JWT. The JWT is reused until shortly before
``expires_at`` and is sent as ``x-token`` (never ``Authorization: Bearer``, whatever
``token_type`` says). On a 401 from any other route the client signs in again once and repeats
the call.

Time limits. ``timeout`` bounds connecting and every socket read; the whole response must also
arrive within twice ``timeout``, so a server trickling bytes cannot hold a pass forever.
``requests_made`` counts every attempt sent (sign-in and retries included).
"""

from __future__ import annotations

import logging
import random
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import requests

from orders_app.clopos.config import MAX_LIMIT, SETTING_NAMES, ClientSettings
from orders_app.clopos.decoding import (
    RATE_LIMIT_MAX_WAIT,
    decode_response,
    epoch_seconds,
    header_number,
    read_body,
    token_rejected_error,
)
from orders_app.clopos.errors import (
    CloposAuthError,
    CloposBadResponse,
    CloposError,
    CloposRateLimited,
    CloposTestModeError,
    CloposUnavailable,
)
from orders_app.clopos.kitchen import KitchenEndpoints, list_query
from orders_app.clopos.paging import OrdersPage, page_from_body, walk_pages
from orders_app.clopos.query import encode_query, orders_query
from orders_app.clopos.redaction import redact

logger = logging.getLogger("orders_app.clopos")

RECEIPT_RELATION = "receipt:id,service_notification_id,status"
TOKEN_REFRESH_MARGIN = 60.0  # seconds before expires_at at which a new JWT is fetched
DEFAULT_TOKEN_LIFETIME = 3600.0  # "typically 3600" when the auth answer names no expiry
BUDGET_WINDOW = 60.0  # seconds: requests_per_minute is a sliding window over this

OnRequest = Callable[[str, str, "int | None", float], None]


class CloposClient(KitchenEndpoints):
    """Talks to one Clopos brand. Not thread-safe: give each thread its own client.

    ``CloposClient(settings, session=..., clock=..., now=..., sleep=..., on_request=..., rng=...)``:
    the configuration is one ``ClientSettings``; the keyword arguments are collaborators
    (tests pass fakes). ``CloposClient.from_settings()`` builds one from Django settings.
    """

    def __init__(
        self,
        settings: ClientSettings,
        /,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        on_request: OnRequest | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.base_url = settings.base_url
        self.venue_id = settings.venue_id
        self.timeout = settings.timeout
        self.max_retries = settings.max_retries
        self.requests_per_minute = settings.requests_per_minute
        self.write_requests_per_minute = settings.write_requests_per_minute
        self._writing = 0  # inside ``writes_first()``: the write allowance is open
        self.page_size = settings.page_size
        self.backoff_base = settings.backoff_base
        self.backoff_cap = settings.backoff_cap
        self.max_pages = settings.max_pages
        self._static_token = settings.token
        self._client_fields = settings.client_fields
        self._can_sign_in = settings.can_sign_in
        self._owns_session = session is None
        self._session = session or requests.Session()
        self._clock = clock
        self._now = now
        self._sleep = sleep
        self._on_request = on_request
        self._rng = rng or random.Random()  # jitter only, never a secret

        self.requests_made = 0
        self._token: str | None = self._static_token
        self._token_refresh_at: float | None = None  # epoch seconds (``now`` clock)
        self._sent_at: deque[float] = deque()  # send times (``clock``) within the budget window
        self._read_at: deque[float] = deque()  # the same, of requests outside writes_first()
        self._rl_limit: float | None = None
        self._rl_remaining: float | None = None
        self._rl_reset_at: float | None = None  # ``clock`` time the server's window resets

    @classmethod
    def from_settings(cls, **overrides: Any) -> CloposClient:
        """A client configured from ``settings.CLOPOS_*`` (``ClientSettings.from_django``);
        keyword arguments win: configuration names override settings, the rest are
        collaborators (``sleep=``, ``session=``, ...)."""
        configuration = {k: v for k, v in overrides.items() if k in SETTING_NAMES}
        collaborators = {k: v for k, v in overrides.items() if k not in SETTING_NAMES}
        return cls(ClientSettings.from_django(**configuration), **collaborators)

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
        return self._query_page(
            "/orders",
            page=page,
            limit=limit,
            status=status,
            date_from=date_from,
            date_to=date_to,
            sort=sort,
            direction=direction,
            with_=with_,
            filters=filters,
        )

    def _query_page(self, path: str, *, page: int, limit: int | None, **query: Any) -> OrdersPage:
        """One page of a list that takes the orders' query (page, limit, status, date[],
        sort[], with[], filters): ``GET /orders`` and ``GET /receipts``."""
        limit = self._limit(limit)
        today = datetime.fromtimestamp(self._now(), tz=UTC).date()
        body = self._request(
            "GET", path, query=orders_query(page=page, limit=limit, today=today, **query)
        )
        return page_from_body(body, page=page, limit=limit)

    def iter_order_pages(self, **kwargs: Any) -> Iterator[OrdersPage]:
        """Pages 1, 2, … of ``GET /orders`` (same arguments as ``orders_page`` without ``page``).

        The walk stops as ``paging.walk_pages`` says: on an empty page, a short page when the
        server gives no ``total``, once ``total`` distinct orders have come, when a page repeats
        the previous one (a server ignoring ``page``), or at ``max_pages``.
        """
        if "page" in kwargs:
            raise TypeError("iter_order_pages walks the pages itself; do not pass page=")
        kwargs["limit"] = self._limit(kwargs.get("limit"))
        yield from walk_pages(
            lambda number: self.orders_page(page=number, **kwargs), max_pages=self.max_pages
        )

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

    def _list_all(
        self, path: str, *, with_: Sequence[str] = (), limit: int = MAX_LIMIT
    ) -> list[dict]:
        def fetch(number: int) -> OrdersPage:
            return page_from_body(
                self._request("GET", path, query=list_query(number, with_, limit)),
                page=number,
                limit=limit,
            )

        items: list[dict] = []
        for result in walk_pages(fetch, max_pages=self.max_pages):
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
        expires_at = epoch_seconds(body.get("expires_at"))
        if expires_at is None:
            expires_in = header_number(body, "expires_in") if "expires_in" in body else None
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
                raise token_rejected_error(exc, retried=signed_in_again) from None
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

    # --- One HTTP exchange ---------------------------------------------------------------------

    @contextmanager
    def writes_first(self) -> Iterator[None]:
        """The outbox's delivery of a kitchen's taps: its requests have their own
        ``write_requests_per_minute`` beside the reads' ``requests_per_minute`` (the sync's reads
        never wait for them, nor they for the reads), both in the same sliding window, together
        never past the two budgets' sum."""
        self._writing += 1
        try:
            yield
        finally:
            self._writing -= 1

    def _wait_for_slot(self) -> None:
        """Stay under our budget and slow down before the server's RateLimit-Remaining hits 0."""
        writing = self._writing > 0
        total = self.requests_per_minute + self.write_requests_per_minute
        while True:
            now = self._clock()
            for sent in (self._sent_at, self._read_at):
                while sent and sent[0] <= now - BUDGET_WINDOW:
                    sent.popleft()
            if len(self._sent_at) >= total:
                binding = self._sent_at
            elif not writing and len(self._read_at) >= self.requests_per_minute:
                binding = self._read_at
            else:
                break
            wait = binding[0] + BUDGET_WINDOW - now
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
        if not self._writing:
            self._read_at.append(started)
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
                raw = read_body(
                    response,
                    started=started,
                    seconds=2 * self.timeout,
                    clock=self._clock,
                    method=method,
                    path=path,
                )
            finally:
                response.close()
            return decode_response(
                status, response.headers, raw, method=method, path=path, clean=self._redact
            )
        finally:
            self._report(method, path, status, self._clock() - started)

    def rate_headroom(self) -> float | None:
        """What is left of the server's rate window, 0..1 (``RateLimit-Remaining`` over
        ``RateLimit-Limit``), or None when Clopos has not said or the window has reset."""
        if self._rl_remaining is None or not self._rl_limit or self._rl_reset_at is None:
            return None
        if self._rl_reset_at <= self._clock():
            return None
        return max(0.0, min(1.0, self._rl_remaining / self._rl_limit))

    def _read_rate_limit_headers(self, headers: Mapping[str, str]) -> None:
        remaining = header_number(headers, "RateLimit-Remaining")
        if remaining is None:
            return
        self._rl_remaining = remaining
        self._rl_limit = header_number(headers, "RateLimit-Limit")
        reset = header_number(headers, "RateLimit-Reset")
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

    # --- Server text in messages ---------------------------------------------------------------

    def _redact(self, text: object, limit: int = 300) -> str:
        """Server text fit for a message: secrets removed, one line, bounded."""
        cleaned = " ".join(str(text).split())
        secrets = [self._client_fields["client_secret"], self._client_fields["client_id"]]
        cleaned = redact(cleaned, secrets=[*secrets, self._static_token, self._token])
        return cleaned[:limit] + ("…" if len(cleaned) > limit else "")
