"""The client's two writes (clopos/kitchen.py) against the bundled simulator over HTTP:
``PATCH /receipts/{id}`` with ``order_status`` and ``PUT /orders/{id}`` with IGNORE, through
the same sign-in, decoding and typed errors as every read."""

from __future__ import annotations

import pytest
from django.conf import settings

from orders_app.clopos.client import CloposClient
from orders_app.clopos.config import ClientSettings
from orders_app.clopos.errors import (
    CloposNotFound,
    CloposRequestRejected,
    CloposUnavailable,
)


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def clopos(simulator, sleeps) -> CloposClient:
    configuration = {
        "base_url": simulator.base_url,
        **settings.CLOPOS_DEMO_CREDENTIALS,
        "timeout": 2.0,
        "max_retries": 1,
        "requests_per_minute": 300,
    }
    return CloposClient(ClientSettings(**configuration), sleep=sleeps)


@pytest.fixture
def sim(simulator):
    return simulator.simulator


def test_set_receipt_order_status_patches_and_returns_the_receipt(sim, clopos):
    receipt_id = sim.open_table()["id"]
    sim.set_receipt_status(receipt_id, "NEW")
    receipt = clopos.set_receipt_order_status(receipt_id, "IN_PROGRESS")
    assert receipt["id"] == receipt_id and receipt["order_status"] == "IN_PROGRESS"
    assert sim.receipt(receipt_id, relations=())["order_status"] == "IN_PROGRESS"
    (patch,) = [e for e in sim.requests_to(f"/receipts/{receipt_id}") if e.method == "PATCH"]
    assert patch.status == 200 and patch.headers.get("x-token")
    assert clopos.get_receipt(receipt_id, with_=())["order_status"] == "IN_PROGRESS"


def test_a_closed_receipt_can_still_be_patched(sim, clopos):
    receipt_id = sim.open_table()["id"]
    sim.close_receipt(receipt_id)
    assert clopos.set_receipt_order_status(receipt_id, "COMPLETED")["order_status"] == "COMPLETED"


def test_a_refused_value_and_an_unknown_receipt_are_typed_errors(sim, clopos):
    receipt_id = sim.open_table()["id"]
    with pytest.raises(CloposRequestRejected, match="order_status must be one of") as refused:
        clopos.set_receipt_order_status(receipt_id, "LUNCH")
    assert refused.value.status == 400 and refused.value.code == "validation_failed"
    assert not refused.value.retryable
    with pytest.raises(CloposNotFound):
        clopos.set_receipt_order_status(10**9, "READY")


def test_a_200_with_success_false_is_an_error_not_a_receipt(sim, clopos):
    receipt_id = sim.open_table()["id"]
    sim.inject("success_false")
    with pytest.raises(CloposRequestRejected, match="despite HTTP 200"):
        clopos.set_receipt_order_status(receipt_id, "READY")


def test_a_write_is_retried_by_the_client_like_a_read(sim, clopos, sleeps):
    receipt_id = sim.open_table()["id"]
    sim.set_receipt_status(receipt_id, "NEW")
    sim.inject("500")
    assert clopos.set_receipt_order_status(receipt_id, "READY")["order_status"] == "READY"
    assert len(sleeps) == 1  # one backoff, then the write went through
    sim.inject("504", count=2)
    with pytest.raises(CloposUnavailable) as failing:
        clopos.set_receipt_order_status(receipt_id, "PICKED_UP")
    assert failing.value.retryable and failing.value.attempts == 2


def test_ignore_order_puts_ignore_and_returns_the_order(sim, clopos):
    order_id = sim.add_order(status="PENDING")["id"]
    answer = clopos.ignore_order(order_id)
    assert answer == {"id": order_id, "status": "IGNORE"}
    assert clopos.get_order(order_id)["status"] == "IGNORE"
    (put,) = [e for e in sim.requests_to(f"/orders/{order_id}") if e.method == "PUT"]
    assert put.status == 200
    with pytest.raises(CloposNotFound):
        clopos.ignore_order(10**9)
