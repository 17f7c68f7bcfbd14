"""Fault injection in the Clopos simulator: each kind, by queue, by schedule and by rate."""

from __future__ import annotations

import time

import pytest
import requests
from django.conf import settings

from orders_app.clopos.simulator import FAULT_KINDS, SimulatorConfig
from tests.fixtures.simulator import authenticated_session


@pytest.fixture
def api(simulator):
    return authenticated_session(simulator)


def test_an_injected_500_is_a_json_gateway_error_then_service_resumes(simulator, api):
    simulator.simulator.inject("500")

    failed = api.get("/orders")
    after = api.get("/orders")

    assert failed.status_code == 500
    assert failed.json()["success"] is False
    assert after.status_code == 200
    assert after.json()["success"] is True


def test_an_injected_504_is_a_gateway_timeout(simulator, api):
    simulator.simulator.inject("504")

    response = api.get("/orders")

    assert response.status_code == 504
    assert response.json()["success"] is False


def test_an_injected_html_page_is_a_502_that_is_not_json(simulator, api):
    simulator.simulator.inject("html")

    response = api.get("/orders")

    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<html>" in response.text
    with pytest.raises(ValueError):
        response.json()


def test_injected_truncated_json_is_a_200_whose_body_does_not_parse(simulator, api):
    simulator.simulator.inject("truncated")

    response = api.get("/orders")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.text.startswith('{"success":true,"data":[')
    with pytest.raises(ValueError):
        response.json()


def test_injected_success_false_is_a_200_with_success_false(simulator, api):
    simulator.simulator.inject("success_false")

    response = api.get("/orders")

    assert response.status_code == 200
    assert response.json()["success"] is False
    assert response.json()["message"]


def test_an_injected_token_expiry_is_401_token_expired(simulator, api):
    simulator.simulator.inject("token_expired")

    response = api.get("/orders")

    assert response.status_code == 401
    assert response.json()["message"] == "Token expired"
    assert response.json()["expires_at"].endswith("Z")


def test_an_injected_429_says_when_to_come_back(simulator_factory):
    server = simulator_factory(fault_429_reset=3)
    api = authenticated_session(server)
    server.simulator.inject("429")

    response = api.get("/orders")

    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"
    assert response.headers["RateLimit-Remaining"] == "0"
    assert response.headers["RateLimit-Reset"] == "3"


def test_a_slow_answer_outlasts_the_client_timeout(simulator_factory):
    server = simulator_factory(slow_seconds=5)
    api = authenticated_session(server)
    server.simulator.inject("slow")

    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        api.get("/orders", timeout=0.5)

    assert time.monotonic() - started < 3
    assert api.get("/orders").status_code == 200


def test_a_slow_answer_is_the_real_answer_when_the_client_waits(simulator_factory):
    server = simulator_factory(slow_seconds=0.6)
    api = authenticated_session(server)
    server.simulator.inject("slow")

    started = time.monotonic()
    response = api.get("/orders", timeout=5)

    assert time.monotonic() - started >= 0.6
    assert response.json()["total"] == 40


def test_the_default_slow_answer_is_longer_than_the_clients_timeout():
    assert SimulatorConfig().slow_seconds > settings.CLOPOS_TIMEOUT


def test_stop_does_not_wait_for_a_slow_answer(simulator_factory):
    server = simulator_factory(slow_seconds=30)
    api = authenticated_session(server)
    server.simulator.inject("slow")
    with pytest.raises(requests.Timeout):
        api.get("/orders", timeout=0.3)

    started = time.monotonic()
    server.stop()

    assert time.monotonic() - started < 3


def test_inject_with_a_count_fails_that_many_requests_in_a_row(simulator, api):
    simulator.simulator.inject("500", count=3)

    codes = [api.get("/venues").status_code for _ in range(4)]

    assert codes == [500, 500, 500, 200]


def test_faults_never_hit_auth(simulator):
    simulator.simulator.inject("500", count=2)

    response = requests.post(
        f"{simulator.base_url}/auth", json=settings.CLOPOS_DEMO_CREDENTIALS, timeout=5
    )

    assert response.status_code == 200
    assert simulator.simulator.faults.pending() == 2


def test_fault_every_n_fails_every_nth_request_cycling_the_kinds(simulator_factory):
    server = simulator_factory(faults=("500", "504"), fault_every=3)
    api = authenticated_session(server)

    codes = [api.get("/venues").status_code for _ in range(9)]

    assert codes == [200, 200, 500, 200, 200, 504, 200, 200, 500]


def test_fault_rate_is_reproducible_for_a_seed(simulator_factory):
    def codes(seed: int) -> list[int]:
        server = simulator_factory(seed=seed, faults=("500", "html"), fault_rate=0.3)
        api = authenticated_session(server)
        return [api.get("/venues").status_code for _ in range(40)]

    first, again, other = codes(7), codes(7), codes(8)

    assert first == again
    assert first != other
    assert 4 <= sum(c != 200 for c in first) <= 20
    assert {c for c in first if c != 200} == {500, 502}


def test_faulted_responses_are_logged_with_their_kind(simulator, api):
    simulator.simulator.reset_log()
    simulator.simulator.inject("504")

    api.get("/orders")
    api.get("/orders")

    assert [(e.status, e.fault) for e in simulator.simulator.request_log] == [
        (504, "504"),
        (200, None),
    ]


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_every_fault_kind_can_be_injected_over_http(simulator_factory, kind):
    server = simulator_factory(slow_seconds=0.2)
    api = authenticated_session(server)
    server.simulator.reset_log()

    injected = requests.post(
        f"{server.root_url}/_sim/faults", json={"kind": kind, "count": 1}, timeout=5
    )
    api.get("/venues")
    api.get("/venues")

    assert injected.status_code == 200
    assert [e.fault for e in server.simulator.request_log] == [kind, None]


def test_an_unknown_fault_kind_is_refused():
    with pytest.raises(ValueError, match="unknown fault"):
        SimulatorConfig(faults=("teapot",))
