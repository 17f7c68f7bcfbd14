"""The order store re-evaluates only the orders with a step still ahead of the clock (its fast
path); a clock that goes back makes it evaluate every order (the plain path). Both must leave
every order in the same state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orders_app.clopos.simulator import Simulator, SimulatorConfig
from orders_app.clopos.simulator.store import OrderQuery

NOW = datetime(2026, 2, 2, 10, 30, tzinfo=UTC)


def served(sim: Simulator) -> list[bytes]:
    query = OrderQuery(sort="updated_at")
    with sim.lock:
        return [sim.order_json(o, ("customer", "receipt")) for o in sim.query_orders(query)]


def test_stepping_the_clock_leaves_the_orders_as_a_full_evaluation_does():
    config = {"seed": 5, "orders": 150, "days": 1, "now": NOW, "frozen": True, "new_every": 240}
    stepped, jumped = Simulator(SimulatorConfig(**config)), Simulator(SimulatorConfig(**config))
    stepped.set_status(stepped.order_ids()[0], "IGNORE")
    jumped.set_status(jumped.order_ids()[0], "IGNORE")

    for _ in range(40):
        stepped.clock.advance(97)
        served(stepped)  # every step evaluated and served, as a polling client sees it
    end = stepped.clock.now()
    jumped.clock.set(end + timedelta(hours=3))
    served(jumped)
    jumped.clock.set(end)  # back in time: every order is evaluated again

    assert stepped.summary()["by_status"] == jumped.summary()["by_status"]
    assert served(stepped) == served(jumped)
