"""The Clopos client against the bundled simulator over real HTTP on loopback.

Every fault kind the simulator can inject is met here. Timeouts are short; the client's sleeps
are recorded instead of slept, so backoff and 429 waits cost no wall time.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings

from orders_app.clopos.client import CloposClient
from orders_app.clopos.config import SETTING_NAMES, ClientSettings
from orders_app.clopos.errors import (
    CloposAuthError,
    CloposNotFound,
    CloposRateLimited,
    CloposRequestRejected,
    CloposTestModeError,
    CloposUnavailable,
)
from orders_app.clopos.simulator import (
    SimClient,
    SimulatorServer,
)

NOW = datetime(2026, 2, 2, 14, 0, tzinfo=UTC)
TEST_INTEGRATOR = SimClient(
    client_id="test-client",
    client_secret="test-client-secret-123",
    brand="production-brand",
    integrator_id="test-integrator",
    integrator_is_test=True,
)


class Sleeps(list):
    """An injected ``sleep`` that records the wait and returns at once."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def start_simulator(simulator_factory) -> Callable[..., SimulatorServer]:
    """The shared ``simulator_factory`` with this file's defaults: a fixed clock, a 2 s "slow"
    fault (the client timeout here is well under it) and a 3 s RateLimit-Reset on a 429."""

    def start(**config: object) -> SimulatorServer:
        options: dict[str, object] = {
            "seed": 7,
            "orders": 60,
            "now": NOW,
            "slow_seconds": 2.0,
            "fault_429_reset": 3,
        }
        options.update(config)
        return simulator_factory(**options)

    return start


@pytest.fixture
def server(start_simulator) -> SimulatorServer:
    return start_simulator()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def client_for(server: SimulatorServer, sleeps: Sleeps, **overrides: object) -> CloposClient:
    configuration: dict[str, object] = {
        "base_url": server.base_url,
        **settings.CLOPOS_DEMO_CREDENTIALS,
        "timeout": 0.5,
        "requests_per_minute": 300,
    }
    collaborators: dict[str, object] = {"sleep": sleeps}
    for name, value in overrides.items():
        (configuration if name in SETTING_NAMES else collaborators)[name] = value
    return CloposClient(ClientSettings(**configuration), **collaborators)  # type: ignore[arg-type]


def orders_requests(server: SimulatorServer) -> list:
    return server.simulator.requests_to("/orders")


def auth_requests(server: SimulatorServer) -> list:
    return server.simulator.requests_to("/auth")


# --- The happy path ----------------------------------------------------------------------------


def test_the_client_signs_in_once_and_walks_every_page(start_simulator, sleeps) -> None:
    server = start_simulator(orders=450)
    client = client_for(server, sleeps)
    pages = list(client.iter_order_pages(limit=200))
    ids = [row["id"] for page in pages for row in page.rows]
    assert len(ids) == len(set(ids)) == 450
    assert [len(page.rows) for page in pages] == [200, 200, 50]
    assert len(auth_requests(server)) == 1
    assert len(orders_requests(server)) == 3
    assert client.requests_made == 4


def test_from_settings_talks_to_the_configured_clopos(simulator_settings, simulator) -> None:
    client = CloposClient.from_settings(sleep=Sleeps())
    assert client.orders_page(limit=200).total == 40
    assert len(simulator.simulator.requests_to("/auth")) == 1


def test_the_jwt_goes_in_x_token_and_is_reused(server, sleeps) -> None:
    client = client_for(server, sleeps)
    for _ in range(3):
        client.orders_page(limit=5)
    assert len(auth_requests(server)) == 1
    tokens = {entry.headers.get("x-token") for entry in orders_requests(server)}
    assert len(tokens) == 1
    assert tokens.pop().count(".") == 2  # a bare JWT


def test_bracket_parameters_reach_the_simulator_intact_and_filter(server, sleeps) -> None:
    client = client_for(server, sleeps)
    page = client.orders_page(
        limit=200,
        with_=["customer", "receipt"],
        date_from=date(2026, 1, 30),
        date_to=date(2026, 2, 2),
        sort="created_at",
        direction=1,
        filters=[("status", ["RECEIVED", "DELIVERED"])],
    )
    assert orders_requests(server)[-1].query == {
        "page": "1",
        "limit": "200",
        "with[0]": "customer",
        "with[1]": "receipt",
        "date[0]": "2026-01-30",
        "date[1]": "2026-02-02",
        "sort[0]": "created_at",
        "sort[1]": "1",
        "filters[0][0]": "status",
        "filters[0][1][0]": "RECEIVED",
        "filters[0][1][1]": "DELIVERED",
    }
    assert page.rows, "the seeded restaurant has received and delivered orders"
    assert {row["status"] for row in page.rows} <= {"RECEIVED", "DELIVERED"}
    created = [row["created_at"] for row in page.rows]
    assert created == sorted(created)
    assert all("receipt" in row for row in page.rows)
    assert page.total == len(page.rows)


def test_the_status_parameter_filters_orders(server, sleeps) -> None:
    page = client_for(server, sleeps).orders_page(status="DELIVERED", limit=200)
    assert page.rows
    assert {row["status"] for row in page.rows} == {"DELIVERED"}


def test_a_configured_venue_is_sent_as_x_venue_and_honoured(server, sleeps) -> None:
    page = client_for(server, sleeps, venue_id=2).orders_page(limit=200)
    assert page.rows
    assert {row["venue_id"] for row in page.rows} == {2}
    assert orders_requests(server)[-1].headers["x-venue"] == "2"


def test_get_order_with_receipt_and_a_missing_order(server, sleeps) -> None:
    client = client_for(server, sleeps)
    order_id = client.orders_page(status="DELIVERED", limit=1).rows[0]["id"]
    order = client.get_order(order_id, with_receipt=True)
    assert order["id"] == order_id
    assert set(order["receipt"]) >= {"id", "status"}
    with pytest.raises(CloposNotFound):
        client.get_order(99_999_999)


def test_venues_and_sale_types_come_back_with_names(server, sleeps) -> None:
    client = client_for(server, sleeps)
    assert {venue["id"] for venue in client.venues()} == {1, 2}
    assert all(venue["name"] for venue in client.venues())
    assert "Yerinde" in {sale_type["name"] for sale_type in client.sale_types()}


def test_on_request_sees_exactly_the_requests_the_simulator_served(server, sleeps) -> None:
    seen: list[tuple] = []
    client = client_for(server, sleeps, on_request=lambda *args: seen.append(args))
    list(client.iter_order_pages(limit=25))
    assert [(method, path, status) for method, path, status, _ in seen] == [
        (entry.method, entry.path, entry.status) for entry in server.simulator.request_log
    ]


# --- Faults that are retried -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["500", "504", "html", "truncated"])
def test_a_passing_fault_is_retried_and_the_page_arrives(server, sleeps, kind) -> None:
    server.simulator.inject(kind, 2)
    page = client_for(server, sleeps).orders_page(limit=10)
    assert len(page.rows) == 10
    assert [entry.fault for entry in orders_requests(server)] == [kind, kind, None]
    assert len(sleeps) == 2
    assert sleeps[1] > sleeps[0] / 2  # backoff grows (with jitter)


@pytest.mark.parametrize(
    ("kind", "status", "words"),
    [
        ("500", 500, "HTTP 500"),
        ("504", 504, "HTTP 504"),
        ("html", 502, "HTML page"),
        ("truncated", 200, "truncated"),
    ],
)
def test_a_fault_that_outlasts_the_retries_raises_the_typed_error(
    server, sleeps, kind, status, words
) -> None:
    server.simulator.inject(kind, 3)
    with pytest.raises(CloposUnavailable, match=words) as caught:
        client_for(server, sleeps, max_retries=2).orders_page(limit=10)
    assert caught.value.status == status
    assert caught.value.retryable is True
    assert caught.value.attempts == 3
    assert len(orders_requests(server)) == 3


def test_a_response_slower_than_the_timeout_is_abandoned_and_retried(server, sleeps) -> None:
    server.simulator.inject("slow", 1)
    started = time.monotonic()
    page = client_for(server, sleeps, timeout=0.3).orders_page(limit=10)
    elapsed = time.monotonic() - started
    assert len(page.rows) == 10
    assert elapsed < 1.5  # the simulator would have taken 2 s
    assert len(sleeps) == 1


def test_a_server_that_stays_slow_ends_in_unavailable_naming_the_timeout(server, sleeps) -> None:
    server.simulator.inject("slow", 2)
    with pytest.raises(CloposUnavailable, match=r"within 0\.3 s.*CLOPOS_TIMEOUT"):
        client_for(server, sleeps, timeout=0.3, max_retries=1).orders_page(limit=10)


def test_an_injected_429_waits_ratelimit_reset_then_succeeds(server, sleeps) -> None:
    server.simulator.inject("429", 1)
    page = client_for(server, sleeps).orders_page(limit=10)
    assert len(page.rows) == 10
    assert sleeps == [3.0]


def test_the_client_slows_down_before_the_simulators_limit_runs_out(start_simulator, sleeps):
    server = start_simulator(rate_limit=6)
    client = client_for(server, sleeps)
    for _ in range(5):
        client.orders_page(limit=5)
    assert sleeps, "the client should have paused as RateLimit-Remaining fell"
    assert all(entry.status != 429 for entry in server.simulator.request_log)


def test_past_the_simulators_limit_the_client_raises_rate_limited(start_simulator, sleeps):
    server = start_simulator(rate_limit=2)
    client = client_for(server, sleeps, max_retries=1)
    with pytest.raises(CloposRateLimited) as caught:
        for _ in range(4):
            client.orders_page(limit=5)
    assert 1 <= caught.value.reset_seconds <= 60
    assert "CLOPOS_REQUESTS_PER_MINUTE" in str(caught.value)


def test_a_storm_of_random_faults_still_delivers_every_order_once(start_simulator, sleeps):
    server = start_simulator(
        orders=300, faults=("500", "504", "html", "truncated", "429"), fault_rate=0.3
    )
    client = client_for(server, sleeps)
    ids = [row["id"] for page in client.iter_order_pages(limit=20) for row in page.rows]
    assert len(ids) == len(set(ids)) == 300
    assert any(entry.fault for entry in server.simulator.request_log)


# --- Faults that are not retried ---------------------------------------------------------------


def test_success_false_with_http_200_is_an_error_and_is_not_retried(server, sleeps) -> None:
    server.simulator.inject("success_false", 1)
    with pytest.raises(CloposRequestRejected, match="Upstream Clopos API returned an error") as e:
        client_for(server, sleeps).orders_page(limit=10)
    assert e.value.status == 200
    assert len(orders_requests(server)) == 1


# --- Tokens ------------------------------------------------------------------------------------


def test_an_expired_token_is_replaced_once_and_the_call_repeated(server, sleeps) -> None:
    server.simulator.inject("token_expired", 1)
    page = client_for(server, sleeps).orders_page(limit=10)
    assert len(page.rows) == 10
    assert len(auth_requests(server)) == 2
    assert [entry.status for entry in orders_requests(server)] == [401, 200]


def test_tokens_expired_by_the_server_are_replaced(server, sleeps) -> None:
    client = client_for(server, sleeps)
    client.orders_page(limit=5)
    server.simulator.expire_tokens()
    client.orders_page(limit=5)
    assert len(auth_requests(server)) == 2
    tokens = [entry.headers["x-token"] for entry in orders_requests(server) if entry.status == 200]
    assert tokens[0] != tokens[1]


def test_a_token_rejected_again_after_signing_in_is_given_up(server, sleeps) -> None:
    server.simulator.inject("token_expired", 2)
    with pytest.raises(CloposAuthError, match="freshly issued token"):
        client_for(server, sleeps).orders_page(limit=10)
    assert len(auth_requests(server)) == 2
    assert len(orders_requests(server)) == 2


def test_a_ready_token_works_until_it_expires_then_asks_for_a_fresh_one(server, sleeps) -> None:
    token, _ = server.simulator.issue_token(SimClient.demo())
    client = CloposClient(
        ClientSettings(base_url=server.base_url, token=token, timeout=0.5), sleep=sleeps
    )
    assert len(client.orders_page(limit=5).rows) == 5
    server.simulator.expire_tokens()
    with pytest.raises(CloposAuthError, match="set a fresh CLOPOS_TOKEN"):
        client.orders_page(limit=5)
    assert auth_requests(server) == []


# --- Sign-in failures --------------------------------------------------------------------------


def test_a_wrong_secret_is_rejected_without_the_secret_in_the_message(server, sleeps) -> None:
    client = client_for(server, sleeps, client_secret="wrong-secret-value")
    with pytest.raises(CloposAuthError) as caught:
        client.orders_page()
    assert str(caught.value).startswith("Clopos rejected the credentials: check CLOPOS_CLIENT_ID")
    assert "wrong-secret-value" not in str(caught.value)
    assert orders_requests(server) == []


def test_an_unknown_integrator_points_at_clopos_integrator_id(server, sleeps) -> None:
    with pytest.raises(CloposAuthError, match="check CLOPOS_INTEGRATOR_ID"):
        client_for(server, sleeps, integrator_id="nobody").orders_page()


def test_a_test_integrator_on_a_production_brand_gets_the_test_mode_error(start_simulator, sleeps):
    server = start_simulator(extra_clients=(TEST_INTEGRATOR,))
    client = client_for(
        server,
        sleeps,
        client_id=TEST_INTEGRATOR.client_id,
        client_secret=TEST_INTEGRATOR.client_secret,
        brand=TEST_INTEGRATOR.brand,
        integrator_id=TEST_INTEGRATOR.integrator_id,
    )
    with pytest.raises(CloposTestModeError, match="test mode but the brand is production"):
        client.orders_page()
    assert len(auth_requests(server)) == 1


# --- The network -------------------------------------------------------------------------------


def test_nothing_listening_is_unavailable_and_names_the_base_url(sleeps) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = CloposClient(
        ClientSettings(
            base_url=f"http://127.0.0.1:{port}/open-api/v2", token="t", timeout=0.5, max_retries=2
        ),
        sleep=sleeps,
    )
    with pytest.raises(CloposUnavailable, match="CLOPOS_BASE_URL") as caught:
        client.orders_page()
    assert caught.value.attempts == 3
    assert client.requests_made == 3


class _TricklingHandler(BaseHTTPRequestHandler):
    """Answers at once, then sends the body a few bytes at a time, never quite finishing."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            for _ in range(100):
                self.wfile.write(b"        ")
                self.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass

    def log_message(self, *args: object) -> None:
        pass


def test_a_body_trickling_in_is_cut_off_at_twice_the_timeout(sleeps) -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _TricklingHandler)
    httpd.daemon_threads = True
    threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    try:
        client = CloposClient(
            ClientSettings(
                base_url=f"http://127.0.0.1:{httpd.server_address[1]}",
                token="t",
                timeout=0.2,
                max_retries=0,
            ),
            sleep=sleeps,
        )
        started = time.monotonic()
        with pytest.raises(CloposUnavailable, match=r"took longer than 0\.4 s"):
            client.orders_page()
        assert time.monotonic() - started < 2.5  # the server would trickle for 5 s
    finally:
        httpd.shutdown()
        httpd.server_close()
