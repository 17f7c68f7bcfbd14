"""The simulator serves each order by splicing its once-encoded payload between freshly encoded
top-level fields (``SimOrder.to_json``). That is a fast path: pinned here to give exactly the
bytes a plain ``json.dumps`` of the same order gives, as statuses move and edits land."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from orders_app.clopos.simulator import Simulator, SimulatorConfig
from orders_app.clopos.simulator.clock import iso
from orders_app.clopos.simulator.order import SimOrder

NOW = datetime(2026, 2, 2, 10, 30, tzinfo=UTC)
RELATIONS = ((), ("customer",), ("receipt",), ("customer", "receipt"))


def plain_json(order: SimOrder, relations: tuple[str, ...]) -> bytes:
    """The order encoded the slow, obvious way: every field decoded, set and dumped at once."""
    data: dict[str, Any] = order.fields()
    data["status"] = order.status
    data["integration_status"] = order.integration_status()
    data["created_at"] = iso(order.created)
    data["updated_at"] = iso(order.updated)
    payload = data.get("payload")
    if "customer" in relations:
        data["customer"] = payload.get("customer") if isinstance(payload, dict) else None
    if "receipt" in relations:
        data["receipt"] = order.receipt()
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def assert_every_order_encodes_plainly(sim: Simulator) -> None:
    for order_id in sim.order_ids():
        order = sim.find(order_id)
        assert order is not None
        for relations in RELATIONS:
            assert sim.order_json(order, relations) == plain_json(order, relations)


@pytest.fixture
def sim() -> Simulator:
    return Simulator(SimulatorConfig(seed=3, orders=80, days=2, now=NOW, frozen=True, hostile=True))


def test_seeded_orders_encode_as_plain_json_does(sim):
    assert_every_order_encodes_plainly(sim)


def test_orders_still_encode_plainly_after_the_clock_moves_them_on(sim):
    for seconds in (90, 600, 3600, 6 * 3600):
        sim.clock.advance(seconds)
        assert_every_order_encodes_plainly(sim)


def test_controls_and_edits_keep_the_encoding_plain(sim):
    first, second, third = sim.order_ids()[:3]
    sim.set_status(first, "DELIVERED")
    sim.update_order(second, comment="Qapıda gözləyin", payload={"extra": [1, "два"]})
    sim.update_order(third, payload=None, integration_status="ACCEPTED")
    sim.add_order(status="RECEIVED", customer=None)
    sim.add_order(progress=False, products=[])

    assert_every_order_encodes_plainly(sim)
