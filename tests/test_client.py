"""The Clopos client against canned HTTP answers (``responses``); time is faked, sleeps instant."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses

from orders_app.clopos.client import CloposClient
from orders_app.clopos.config import SETTING_NAMES, ClientSettings
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
from orders_app.clopos.paging import OrdersPage

BASE = "https://clopos.test/open-api/v2"
AUTH = f"{BASE}/auth"
ORDERS = f"{BASE}/orders"
SECRET = "s3cr3t-client-secret-value"
JWT = "eyJhbGciOiJIUzI1NiJ9.jwt-one.signature"
JWT_2 = "eyJhbGciOiJIUzI1NiJ9.jwt-two.signature"
WALL_START = 1_767_000_000.0


class FakeTime:
    """A monotonic clock and a wall clock that only move when the client sleeps."""

    def __init__(self) -> None:
        self.elapsed = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return 1000.0 + self.elapsed

    def now(self) -> float:
        return WALL_START + self.elapsed

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += seconds

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def make_client(fake_time: FakeTime, **overrides: object) -> CloposClient:
    """Settings and collaborators in one set of keywords: names of ClientSettings fields go to
    the settings, the rest (clock, sleep, session, ...) to the client."""
    configuration: dict[str, object] = {
        "base_url": BASE,
        "client_id": "client-42",
        "client_secret": SECRET,
        "brand": "omega",
        "integrator_id": "integrator-7",
        "timeout": 2.0,
    }
    collaborators: dict[str, object] = {
        "clock": fake_time.clock,
        "now": fake_time.now,
        "sleep": fake_time.sleep,
        "rng": random.Random(1),
    }
    for name, value in overrides.items():
        (configuration if name in SETTING_NAMES else collaborators)[name] = value
    return CloposClient(ClientSettings(**configuration), **collaborators)  # type: ignore[arg-type]


def auth_ok(token: str = JWT, *, expires_in: int = 3600, expires_at: object = "auto") -> dict:
    body: dict[str, object] = {
        "success": True,
        "token": token,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "message": "Authentication successful",
    }
    if expires_at == "auto":
        body["expires_at"] = int(WALL_START) + expires_in
    elif expires_at is not None:
        body["expires_at"] = expires_at
    return body


def orders_body(ids: list[int], *, total: int | None = None, **extra: object) -> dict:
    body: dict[str, object] = {
        "success": True,
        "data": [{"id": i, "status": "PENDING"} for i in ids],
    }
    if total is not None:
        body["total"] = total
    body.update(extra)
    return body


def query_of(call: responses.Call) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(call.request.url).query, keep_blank_values=True))


def calls_to(rsps: responses.RequestsMock, url: str) -> list[responses.Call]:
    return [c for c in rsps.calls if c.request.url.split("?")[0] == url]


# --- Configuration -----------------------------------------------------------------------------


def test_a_client_with_no_credentials_is_a_config_error_naming_the_settings() -> None:
    with pytest.raises(CloposConfigError, match="CLOPOS_TOKEN") as caught:
        CloposClient(ClientSettings(base_url=BASE))
    assert "CLOPOS_CLIENT_SECRET" in str(caught.value)
    assert caught.value.retryable is False


def test_incomplete_client_credentials_name_what_is_missing() -> None:
    with pytest.raises(CloposConfigError, match="CLOPOS_INTEGRATOR_ID"):
        ClientSettings(base_url=BASE, client_id="a", client_secret="b", brand="c")


def test_from_settings_reads_clopos_settings_and_lets_keywords_win(settings) -> None:
    settings.CLOPOS_BASE_URL = BASE
    settings.CLOPOS_TOKEN = "ready-token"
    settings.CLOPOS_VENUE_ID = "2"
    settings.CLOPOS_PAGE_SIZE = 150
    client = CloposClient.from_settings(timeout=3.5)
    assert client.base_url == BASE
    assert client.venue_id == "2"
    assert client.page_size == 150
    assert client.timeout == 3.5


# --- Authentication ----------------------------------------------------------------------------


def test_sign_in_posts_exactly_the_four_client_fields_without_a_token_header(
    rsps, fake_time
) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(ORDERS, json=orders_body([1]))
    make_client(fake_time).orders_page()
    auth_call = calls_to(rsps, AUTH)[0]
    assert json.loads(auth_call.request.body) == {
        "client_id": "client-42",
        "client_secret": SECRET,
        "brand": "omega",
        "integrator_id": "integrator-7",
    }
    assert "x-token" not in auth_call.request.headers


def test_calls_carry_the_jwt_in_x_token_and_never_an_authorization_header(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(ORDERS, json=orders_body([1]))
    make_client(fake_time).orders_page()
    headers = calls_to(rsps, ORDERS)[0].request.headers
    assert headers["x-token"] == JWT
    assert "Authorization" not in headers
    assert "x-venue" not in headers


def test_a_configured_venue_is_sent_as_x_venue(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(ORDERS, json=orders_body([1]))
    make_client(fake_time, venue_id=2).orders_page()
    assert calls_to(rsps, ORDERS)[0].request.headers["x-venue"] == "2"


def test_the_jwt_is_reused_until_shortly_before_expires_at(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok(JWT, expires_in=3600))
    rsps.get(ORDERS, json=orders_body([1]))
    client = make_client(fake_time)
    client.orders_page()
    fake_time.advance(3500)
    client.orders_page()
    assert len(calls_to(rsps, AUTH)) == 1
    fake_time.advance(60)  # now 40 s before expiry: inside the refresh margin
    client.orders_page()
    assert len(calls_to(rsps, AUTH)) == 2


def test_expires_in_is_used_when_expires_at_is_missing(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok(expires_in=600, expires_at=None))
    rsps.get(ORDERS, json=orders_body([1]))
    client = make_client(fake_time)
    client.orders_page()
    fake_time.advance(500)
    client.orders_page()
    assert len(calls_to(rsps, AUTH)) == 1
    fake_time.advance(50)
    client.orders_page()
    assert len(calls_to(rsps, AUTH)) == 2


def test_an_iso_expires_at_is_understood(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok(expires_at="2025-12-29T09:50:00Z"))  # WALL_START + 3000 s
    rsps.get(ORDERS, json=orders_body([1]))
    client = make_client(fake_time)
    client.orders_page()
    fake_time.advance(2900)
    client.orders_page()
    assert len(calls_to(rsps, AUTH)) == 2


def test_a_ready_token_is_sent_as_is_without_signing_in(rsps, fake_time) -> None:
    rsps.get(ORDERS, json=orders_body([1]))
    client = CloposClient(
        ClientSettings(base_url=BASE, token="ready-x-token"), sleep=fake_time.sleep
    )
    client.orders_page()
    assert calls_to(rsps, AUTH) == []
    assert calls_to(rsps, ORDERS)[0].request.headers["x-token"] == "ready-x-token"


def test_token_expired_signs_in_again_once_and_repeats_the_call(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok(JWT))
    rsps.post(AUTH, json=auth_ok(JWT_2))
    rsps.get(
        ORDERS,
        status=401,
        json={"success": False, "error": "Token expired", "expires_at": "2026-01-01T00:00:00Z"},
    )
    rsps.get(ORDERS, json=orders_body([7]))
    page = make_client(fake_time).orders_page()
    assert [row["id"] for row in page.rows] == [7]
    orders_calls = calls_to(rsps, ORDERS)
    assert [c.request.headers["x-token"] for c in orders_calls] == [JWT, JWT_2]
    assert len(calls_to(rsps, AUTH)) == 2


def test_a_second_401_after_signing_in_again_gives_up_with_an_auth_error(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(ORDERS, status=401, json={"success": False, "error": "Invalid token"})
    with pytest.raises(CloposAuthError, match="CLOPOS_CLIENT_SECRET") as caught:
        make_client(fake_time).orders_page()
    assert caught.value.status == 401
    assert caught.value.retryable is False
    assert len(calls_to(rsps, AUTH)) == 2
    assert len(calls_to(rsps, ORDERS)) == 2


def test_a_rejected_ready_token_asks_for_a_fresh_token(rsps, fake_time) -> None:
    rsps.get(
        ORDERS,
        status=401,
        json={"success": False, "error": "unauthorized", "message": "Token expired"},
    )
    client = CloposClient(ClientSettings(base_url=BASE, token="old-token"), sleep=fake_time.sleep)
    with pytest.raises(CloposAuthError, match="set a fresh CLOPOS_TOKEN"):
        client.orders_page()
    assert len(calls_to(rsps, ORDERS)) == 1


def test_wrong_credentials_tell_the_user_which_settings_to_check(rsps, fake_time) -> None:
    rsps.post(AUTH, status=401, json={"success": False, "message": "Invalid credentials"})
    with pytest.raises(CloposAuthError) as caught:
        make_client(fake_time).orders_page()
    assert str(caught.value).startswith(
        "Clopos rejected the credentials: check CLOPOS_CLIENT_ID / CLOPOS_CLIENT_SECRET / "
        "CLOPOS_BRAND"
    )
    assert "Invalid credentials" in str(caught.value)
    assert calls_to(rsps, ORDERS) == []
    assert len(calls_to(rsps, AUTH)) == 1  # a rejection is not retried


def test_an_unknown_integrator_points_at_clopos_integrator_id(rsps, fake_time) -> None:
    rsps.post(AUTH, status=400, json={"success": False, "error": "Invalid integrator_id"})
    with pytest.raises(CloposAuthError, match="check CLOPOS_INTEGRATOR_ID"):
        make_client(fake_time).orders_page()


def test_missing_credential_fields_ask_for_all_four_settings(rsps, fake_time) -> None:
    sentence = "Missing client_id, client_secret, brand, or integrator_id"
    rsps.post(AUTH, status=400, json={"success": False, "error": sentence, "message": sentence})
    with pytest.raises(CloposAuthError, match="credentials are missing") as caught:
        make_client(fake_time).orders_page()
    assert "CLOPOS_CLIENT_SECRET" in str(caught.value)


def test_test_integrator_on_a_production_brand_gets_its_own_error_despite_http_200(
    rsps, fake_time
) -> None:
    rsps.post(
        AUTH,
        status=200,
        json={
            "success": False,
            "error": "Integrator is in test mode. But brand is not in test mode",
        },
    )
    with pytest.raises(CloposTestModeError) as caught:
        make_client(fake_time).orders_page()
    assert "the integrator is in test mode but the brand is production" in str(caught.value)
    assert caught.value.retryable is False
    assert caught.value.status == 200


def test_the_test_mode_sentence_on_a_data_route_is_not_answered_by_signing_in_again(
    rsps, fake_time
) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(
        ORDERS,
        status=401,
        json={
            "success": False,
            "error": "Integrator is in test mode. But brand is not in test mode",
        },
    )
    with pytest.raises(CloposTestModeError):
        make_client(fake_time).orders_page()
    assert len(calls_to(rsps, AUTH)) == 1


# --- success first, then the status ------------------------------------------------------------


def test_success_false_with_http_200_on_orders_is_an_error_and_not_retried(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(ORDERS, status=200, json={"success": False, "message": "Upstream said no"})
    with pytest.raises(CloposRequestRejected, match="Upstream said no") as caught:
        make_client(fake_time).orders_page()
    assert caught.value.status == 200
    assert len(calls_to(rsps, ORDERS)) == 1


def test_a_missing_order_raises_not_found(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(
        f"{ORDERS}/99",
        status=404,
        json={"success": False, "error": "not_found", "message": "Order not found"},
    )
    with pytest.raises(CloposNotFound) as caught:
        make_client(fake_time).get_order(99)
    assert caught.value.code == "not_found"
    assert caught.value.retryable is False


def test_an_invalid_parameter_is_rejected_without_retrying(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(
        ORDERS,
        status=400,
        json={
            "success": False,
            "error": "invalid_parameter",
            "message": "status must be one of PENDING, RECEIVED, IGNORE, DELIVERED",
        },
    )
    with pytest.raises(CloposRequestRejected, match="status must be one of") as caught:
        make_client(fake_time).orders_page(status="COOKING")
    assert caught.value.code == "invalid_parameter"
    assert len(calls_to(rsps, ORDERS)) == 1


def test_json_that_is_not_an_object_is_a_bad_response(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(ORDERS, json=[1, 2, 3])
    with pytest.raises(CloposBadResponse):
        make_client(fake_time).orders_page()


def test_a_list_page_whose_data_is_a_string_is_a_bad_response(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(ORDERS, json={"success": True, "data": "nope"})
    with pytest.raises(CloposBadResponse, match="not a list"):
        make_client(fake_time).orders_page()


def test_a_redirect_is_not_followed_with_the_token(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(ORDERS, status=302, headers={"Location": "https://elsewhere.test/steal"})
    with pytest.raises(CloposBadResponse, match="CLOPOS_BASE_URL"):
        make_client(fake_time).orders_page()
    assert all("elsewhere" not in c.request.url for c in rsps.calls)


# --- Retries -----------------------------------------------------------------------------------


def test_a_500_is_retried_with_backoff_and_then_succeeds(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(ORDERS, status=500, json={"success": False, "message": "Gateway error"})
    rsps.get(ORDERS, status=500, json={"success": False, "message": "Gateway error"})
    rsps.get(ORDERS, json=orders_body([1, 2]))
    page = make_client(fake_time).orders_page()
    assert len(page.rows) == 2
    assert len(fake_time.sleeps) == 2
    assert 0.25 <= fake_time.sleeps[0] <= 0.5
    assert 0.5 <= fake_time.sleeps[1] <= 1.0  # exponential: the second wait is longer


def test_when_retries_run_out_the_last_typed_error_is_raised(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(ORDERS, status=503, body="")
    rsps.get(ORDERS, status=503, body="")
    rsps.get(ORDERS, status=504, json={"success": False, "message": "Upstream timed out"})
    client = make_client(fake_time, max_retries=2)
    with pytest.raises(CloposUnavailable) as caught:
        client.orders_page()
    assert caught.value.status == 504
    assert caught.value.retryable is True
    assert caught.value.attempts == 3
    assert "gave up after 3 attempts" in str(caught.value)
    assert len(calls_to(rsps, ORDERS)) == 3


def test_the_default_is_five_retries(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(ORDERS, status=500, json={"success": False})
    with pytest.raises(CloposUnavailable):
        make_client(fake_time).orders_page()
    assert len(calls_to(rsps, ORDERS)) == 6


def test_an_html_gateway_page_is_unavailable_and_retried(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(
        ORDERS,
        status=502,
        body="<html><body><h1>502 Bad Gateway</h1></body></html>",
        content_type="text/html",
    )
    rsps.get(ORDERS, json=orders_body([1]))
    assert len(make_client(fake_time).orders_page().rows) == 1
    assert len(calls_to(rsps, ORDERS)) == 2


def test_an_html_page_with_http_200_is_still_unavailable(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(ORDERS, status=200, body="<!DOCTYPE html><title>Maintenance</title>")
    with pytest.raises(CloposUnavailable, match="HTML page"):
        make_client(fake_time, max_retries=0).orders_page()


def test_truncated_json_is_unavailable_and_retried(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(
        ORDERS, body='{"success": true, "data": [{"id": 1, "sta', content_type="application/json"
    )
    rsps.get(ORDERS, json=orders_body([1]))
    assert len(make_client(fake_time).orders_page().rows) == 1
    assert len(calls_to(rsps, ORDERS)) == 2


def test_a_timeout_is_unavailable_and_retried(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(ORDERS, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(CloposUnavailable, match="within 2 s") as caught:
        make_client(fake_time, max_retries=1).orders_page()
    assert caught.value.retryable is True
    assert len(calls_to(rsps, ORDERS)) == 2


def test_a_connection_error_is_unavailable_and_names_the_base_url_setting(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(ORDERS, body=requests.exceptions.ConnectionError("refused"))
    with pytest.raises(CloposUnavailable, match="CLOPOS_BASE_URL"):
        make_client(fake_time, max_retries=0).orders_page()


def test_the_sign_in_itself_is_retried_on_a_5xx(rsps, fake_time) -> None:
    rsps.post(AUTH, status=500, json={"success": False})
    rsps.post(AUTH, json=auth_ok())
    rsps.get(ORDERS, json=orders_body([1]))
    make_client(fake_time).orders_page()
    assert len(calls_to(rsps, AUTH)) == 2


# --- Rate limits and the request budget --------------------------------------------------------


def test_a_429_waits_ratelimit_reset_seconds_then_retries(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(
        ORDERS,
        status=429,
        json={
            "success": False,
            "error": "rate_limited",
            "message": "Too many requests. Retry later.",
        },
        headers={"RateLimit-Limit": "300", "RateLimit-Remaining": "0", "RateLimit-Reset": "7"},
    )
    rsps.get(ORDERS, json=orders_body([1]))
    make_client(fake_time).orders_page()
    assert fake_time.sleeps == [7.0]
    assert len(calls_to(rsps, ORDERS)) == 2


def test_a_429_without_reset_header_waits_a_few_seconds(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(ORDERS, status=429, body="Too Many Requests")
    rsps.get(ORDERS, json=orders_body([1]))
    make_client(fake_time).orders_page()
    assert len(fake_time.sleeps) == 1
    assert 1 <= fake_time.sleeps[0] <= 10


def test_rate_limited_after_all_retries_raises_with_reset_seconds(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(ORDERS, status=429, json={"success": False}, headers={"RateLimit-Reset": "3"})
    with pytest.raises(CloposRateLimited) as caught:
        make_client(fake_time, max_retries=1).orders_page()
    assert caught.value.reset_seconds == 3
    assert caught.value.retryable is True
    assert "CLOPOS_REQUESTS_PER_MINUTE" in str(caught.value)


def test_low_ratelimit_remaining_spreads_the_next_requests_over_the_reset(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(
        ORDERS,
        json=orders_body([1]),
        headers={"RateLimit-Limit": "300", "RateLimit-Remaining": "1", "RateLimit-Reset": "30"},
    )
    client = make_client(fake_time)
    client.orders_page()
    assert fake_time.sleeps == []
    client.orders_page()
    assert fake_time.sleeps == [15.0]  # one request left, 30 s to go: wait half of it


def test_ratelimit_remaining_zero_waits_for_the_reset(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(
        ORDERS,
        json=orders_body([1]),
        headers={"RateLimit-Limit": "300", "RateLimit-Remaining": "0", "RateLimit-Reset": "12"},
    )
    client = make_client(fake_time)
    client.orders_page()
    client.orders_page()
    assert fake_time.sleeps == [12.0]


def test_plenty_of_ratelimit_remaining_costs_no_wait(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(
        ORDERS,
        json=orders_body([1]),
        headers={"RateLimit-Limit": "300", "RateLimit-Remaining": "250", "RateLimit-Reset": "40"},
    )
    client = make_client(fake_time)
    for _ in range(5):
        client.orders_page()
    assert fake_time.sleeps == []


def test_the_request_budget_sleeps_until_the_oldest_request_leaves_the_window(
    rsps, fake_time
) -> None:
    rsps.get(ORDERS, json=orders_body([1]))
    client = make_client(fake_time, token="ready", requests_per_minute=3)
    for _ in range(3):
        client.orders_page()
        fake_time.advance(5)
    assert fake_time.sleeps == []
    client.orders_page()  # the first request was 15 s ago: 45 s until its slot frees
    assert fake_time.sleeps == [45.0]
    assert client.requests_made == 4


def test_the_kitchens_writes_have_their_own_budget_beside_the_reads(rsps, fake_time) -> None:
    rsps.get(ORDERS, json=orders_body([1]))
    client = make_client(
        fake_time, token="ready", requests_per_minute=2, write_requests_per_minute=2
    )
    client.orders_page()
    client.orders_page()  # the reads' budget is spent
    with client.writes_first():
        client.orders_page()
        client.orders_page()  # the writes' two go at once
    assert fake_time.sleeps == []
    with client.writes_first():
        client.orders_page()  # four in the window: the sum of both budgets, so a write waits
    assert fake_time.sleeps == [60.0]


def test_the_writes_never_hold_up_the_reads(rsps, fake_time) -> None:
    rsps.get(ORDERS, json=orders_body([1]))
    client = make_client(
        fake_time, token="ready", requests_per_minute=2, write_requests_per_minute=2
    )
    with client.writes_first():
        client.orders_page()
        client.orders_page()
    client.orders_page()
    client.orders_page()  # the reads' own two, though the writes went first
    assert fake_time.sleeps == []
    client.orders_page()  # a third read waits for the oldest read to leave the window
    assert fake_time.sleeps == [60.0]


def test_the_write_allowance_never_takes_the_budget_past_clopos_limit() -> None:
    from orders_app.clopos.config import ClientSettings

    config = ClientSettings(base_url="https://example.test", token="t", requests_per_minute=250)
    assert config.requests_per_minute + config.write_requests_per_minute == 300


def test_the_budget_counts_the_sign_in_request(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(ORDERS, json=orders_body([1]))
    client = make_client(fake_time, requests_per_minute=2)
    client.orders_page()
    client.orders_page()
    assert fake_time.sleeps == [60.0]


# --- Counting and reporting --------------------------------------------------------------------


def test_requests_made_counts_sign_in_and_every_attempt(rsps, fake_time) -> None:
    rsps.post(AUTH, json=auth_ok())
    rsps.get(ORDERS, status=500, json={"success": False})
    rsps.get(ORDERS, json=orders_body([1]))
    client = make_client(fake_time)
    client.orders_page()
    assert client.requests_made == 3


def test_on_request_is_told_method_path_status_and_elapsed(rsps, fake_time) -> None:
    seen: list[tuple[str, str, int | None, float]] = []
    rsps.post(AUTH, json=auth_ok())
    rsps.get(ORDERS, body=requests.exceptions.ConnectTimeout())
    rsps.get(ORDERS, json=orders_body([1]))
    make_client(fake_time, on_request=lambda *args: seen.append(args)).orders_page()
    assert [(m, p, s) for m, p, s, _ in seen] == [
        ("POST", "/auth", 200),
        ("GET", "/orders", None),
        ("GET", "/orders", 200),
    ]
    assert all(isinstance(elapsed, float) and elapsed >= 0 for *_, elapsed in seen)


def test_secrets_and_tokens_never_reach_messages_logs_or_repr(rsps, fake_time, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="orders_app.clopos")
    rsps.post(AUTH, json=auth_ok())
    rsps.get(
        ORDERS,
        status=401,
        json={"success": False, "message": f"token {JWT} for secret {SECRET} is invalid"},
    )
    client = make_client(fake_time)
    with pytest.raises(CloposAuthError) as caught:
        client.orders_page()
    for text in (str(caught.value), repr(caught.value), caplog.text, repr(client)):
        assert SECRET not in text
        assert JWT not in text
    assert "***" in str(caught.value)


def test_every_error_belongs_to_one_family_and_says_if_retrying_helps() -> None:
    for error_type, retryable in [
        (CloposConfigError, False),
        (CloposAuthError, False),
        (CloposTestModeError, False),
        (CloposUnavailable, True),
        (CloposNotFound, False),
        (CloposBadResponse, False),
        (CloposRequestRejected, False),
    ]:
        error = error_type("message")
        assert isinstance(error, CloposError)
        assert error.retryable is retryable
    assert CloposRateLimited("m", reset_seconds=3).retryable is True


# --- Pages -------------------------------------------------------------------------------------


def test_limit_defaults_to_the_page_size_and_never_exceeds_200(rsps, fake_time) -> None:
    rsps.get(ORDERS, json=orders_body([]))
    client = make_client(fake_time, token="t", page_size=80)
    assert client.orders_page().limit == 80
    assert client.orders_page(limit=500).limit == 200
    limits = [query_of(c)["limit"] for c in calls_to(rsps, ORDERS)]
    assert limits == ["80", "200"]


def test_orders_page_sends_every_query_parameter_in_bracket_form(rsps, fake_time) -> None:
    from datetime import date

    rsps.get(ORDERS, json=orders_body([]))
    make_client(fake_time, token="t").orders_page(
        page=2,
        status="PENDING",
        date_from=date(2026, 2, 1),
        date_to=date(2026, 2, 3),
        with_=["customer"],
        filters=[("venue_id", [1, 2])],
    )
    assert query_of(calls_to(rsps, ORDERS)[0]) == {
        "page": "2",
        "limit": "100",
        "status": "PENDING",
        "with[0]": "customer",
        "date[0]": "2026-02-01",
        "date[1]": "2026-02-03",
        "sort[0]": "updated_at",
        "sort[1]": "-1",
        "filters[0][0]": "venue_id",
        "filters[0][1][0]": "1",
        "filters[0][1][1]": "2",
    }


def test_a_page_keeps_total_and_the_envelope_fields(rsps, fake_time) -> None:
    rsps.get(ORDERS, json=orders_body([1, 2], total=196, time=138, sorts=["id"], extra="kept"))
    page = make_client(fake_time, token="t").orders_page()
    assert page == OrdersPage(
        rows=[{"id": 1, "status": "PENDING"}, {"id": 2, "status": "PENDING"}],
        total=196,
        page=1,
        limit=100,
        raw_meta={"success": True, "total": 196, "time": 138, "sorts": ["id"], "extra": "kept"},
    )


def test_an_empty_page_may_leave_out_data_and_total(rsps, fake_time) -> None:
    rsps.get(ORDERS, json={"success": True})
    page = make_client(fake_time, token="t").orders_page()
    assert page.rows == []
    assert page.total is None


def test_items_that_are_not_objects_are_set_aside_not_dropped(rsps, fake_time) -> None:
    rsps.get(ORDERS, json={"success": True, "data": [{"id": 1}, "garbage", None]})
    page = make_client(fake_time, token="t").orders_page()
    assert page.rows == [{"id": 1}]
    assert page.invalid_rows == ["garbage", None]


def test_iter_order_pages_walks_until_total_rows_have_arrived(rsps, fake_time) -> None:
    rsps.get(ORDERS, json=orders_body([1, 2], total=5))
    rsps.get(ORDERS, json=orders_body([3, 4], total=5))
    rsps.get(ORDERS, json=orders_body([5], total=5))
    pages = list(make_client(fake_time, token="t").iter_order_pages(limit=2))
    assert [[r["id"] for r in p.rows] for p in pages] == [[1, 2], [3, 4], [5]]
    assert [query_of(c)["page"] for c in calls_to(rsps, ORDERS)] == ["1", "2", "3"]


def test_iter_order_pages_stops_at_total_without_asking_for_an_empty_page(rsps, fake_time) -> None:
    rsps.get(ORDERS, json=orders_body([1, 2], total=4))
    rsps.get(ORDERS, json=orders_body([3, 4], total=4))
    list(make_client(fake_time, token="t").iter_order_pages(limit=2))
    assert len(calls_to(rsps, ORDERS)) == 2


def test_without_total_a_short_page_ends_the_walk(rsps, fake_time) -> None:
    rsps.get(ORDERS, json=orders_body([1, 2]))
    rsps.get(ORDERS, json=orders_body([3]))
    pages = list(make_client(fake_time, token="t").iter_order_pages(limit=2))
    assert len(pages) == 2


def test_a_short_page_does_not_end_the_walk_while_total_says_more(rsps, fake_time) -> None:
    # A server that caps limit below what we asked still gets walked to the end.
    rsps.get(ORDERS, json=orders_body([1, 2], total=5))
    rsps.get(ORDERS, json=orders_body([3, 4], total=5))
    rsps.get(ORDERS, json=orders_body([5], total=5))
    pages = list(make_client(fake_time, token="t").iter_order_pages(limit=100))
    assert sum(len(p.rows) for p in pages) == 5


def test_an_empty_page_ends_the_walk_even_if_total_promised_more(rsps, fake_time) -> None:
    rsps.get(ORDERS, json=orders_body([1, 2], total=10))
    rsps.get(ORDERS, json=orders_body([], total=10))
    pages = list(make_client(fake_time, token="t").iter_order_pages(limit=2))
    assert len(pages) == 2


def test_a_server_that_ignores_page_cannot_loop_the_walk(rsps, fake_time) -> None:
    rsps.get(ORDERS, json=orders_body([1, 2], total=50))
    pages = list(make_client(fake_time, token="t").iter_order_pages(limit=2))
    assert len(pages) == 1
    assert len(calls_to(rsps, ORDERS)) == 2


def test_the_page_cap_stops_a_walk_that_never_ends(rsps, fake_time) -> None:
    counter = iter(range(1, 10_000))

    def full_page(request):
        n = next(counter)
        return 200, {}, json.dumps(orders_body([2 * n, 2 * n + 1]))

    rsps.add_callback(responses.GET, ORDERS, callback=full_page)
    pages = list(make_client(fake_time, token="t", max_pages=4).iter_order_pages(limit=2))
    assert len(pages) == 4


def test_iter_order_pages_passes_filters_to_every_page(rsps, fake_time) -> None:
    rsps.get(ORDERS, json=orders_body([1, 2], total=3))
    rsps.get(ORDERS, json=orders_body([3], total=3))
    list(make_client(fake_time, token="t").iter_order_pages(limit=2, status="RECEIVED"))
    assert [query_of(c)["status"] for c in calls_to(rsps, ORDERS)] == ["RECEIVED", "RECEIVED"]


# --- Single order and reference data ----------------------------------------------------------


def test_get_order_with_receipt_asks_for_the_documented_relation(rsps, fake_time) -> None:
    rsps.get(
        f"{ORDERS}/5",
        json={"success": True, "data": {"id": 5, "receipt": {"id": 9, "status": 1}}},
    )
    order = make_client(fake_time, token="t").get_order(5, with_receipt=True)
    assert order["receipt"] == {"id": 9, "status": 1}
    call = calls_to(rsps, f"{ORDERS}/5")[0]
    assert query_of(call) == {"with[0]": "receipt:id,service_notification_id,status"}


def test_get_order_without_an_object_is_a_bad_response(rsps, fake_time) -> None:
    rsps.get(f"{ORDERS}/5", json={"success": True, "data": None})
    with pytest.raises(CloposBadResponse):
        make_client(fake_time, token="t").get_order(5)


def test_venues_and_sale_types_return_every_item(rsps, fake_time) -> None:
    rsps.get(f"{BASE}/venues", json={"success": True, "data": [{"id": 1, "name": "Nizami"}]})
    rsps.get(
        f"{BASE}/sale-types",
        json={
            "success": True,
            "data": [{"id": 1, "name": "Yerinde"}, {"id": 2, "name": "Catdirilma"}],
            "total": 2,
        },
    )
    client = make_client(fake_time, token="t")
    assert client.venues() == [{"id": 1, "name": "Nizami"}]
    assert [s["name"] for s in client.sale_types()] == ["Yerinde", "Catdirilma"]


def test_client_settings_are_normalised_once_on_the_way_in() -> None:
    settings = ClientSettings(base_url=BASE + "/", token="ready-token", venue_id=2, page_size=999)
    client = CloposClient(settings)
    assert client.settings is settings
    assert (settings.base_url, settings.venue_id, settings.page_size) == (BASE, "2", 200)
