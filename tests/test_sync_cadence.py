"""sync_orders --loop's cadence (services/sync/cadence.py): the orders every SYNC_INTERVAL,
the kitchen every SYNC_RECEIPTS_SECONDS, both slower when Clopos's rate headroom falls."""

from __future__ import annotations

import pytest
import responses

from orders_app.clopos.client import CloposClient
from orders_app.clopos.config import ClientSettings
from orders_app.services.sync.cadence import Cadence, slowdown


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.mark.parametrize(
    ("headroom", "factor"),
    [(None, 1.0), (1.0, 1.0), (0.5, 1.0), (0.49, 2.0), (0.25, 2.0), (0.2, 4.0), (0.0, 4.0)],
)
def test_passes_go_further_apart_as_the_rate_headroom_falls(headroom, factor):
    assert slowdown(headroom) == factor


def test_the_first_pass_does_the_kitchen_then_every_kitchen_interval():
    clock = Clock()
    cadence = Cadence(interval=2, kitchen_every=10, clock=clock)
    assert cadence.kitchen_due()
    cadence.ran(kitchen=True, started=clock.t)
    ran = []
    for _ in range(15):  # 30 s of orders passes, 2 s apart
        clock.t += 2
        due = cadence.kitchen_due()
        cadence.ran(kitchen=due, started=clock.t)
        ran.append(due)
    assert ran.count(True) == 3  # at 10, 20 and 30 s
    assert ran.index(True) == 4


def test_the_delay_counts_the_passs_own_time_and_the_headroom():
    clock = Clock()
    cadence = Cadence(interval=2, kitchen_every=10, clock=clock)
    started = clock.t
    clock.t += 0.5
    assert cadence.delay(started=started) == pytest.approx(1.5)
    assert cadence.delay(started=started, headroom=0.3) == pytest.approx(3.5)
    clock.t += 10
    assert cadence.delay(started=started) == 0.0


def test_with_little_headroom_the_kitchen_waits_and_the_orders_go_on():
    clock = Clock()
    cadence = Cadence(interval=2, kitchen_every=10, clock=clock)
    cadence.ran(kitchen=True, started=clock.t)
    clock.t += 60
    assert not cadence.kitchen_due(headroom=0.1)
    assert cadence.kitchen_due(headroom=0.4)  # 60 s > 2 x 10 s
    clock.t = 100 + 15
    assert not cadence.kitchen_due(headroom=0.4)
    assert cadence.kitchen_due(headroom=0.9)


@responses.activate
def test_the_client_reports_its_rate_headroom_from_the_servers_headers():
    clock = Clock()
    client = CloposClient(
        ClientSettings(base_url="https://clopos.test/open-api/v2", token="static-token"),
        clock=clock,
        sleep=lambda s: None,
    )
    assert client.rate_headroom() is None  # Clopos has not said yet
    responses.get(
        "https://clopos.test/open-api/v2/venues",
        json={"success": True, "data": []},
        headers={"RateLimit-Limit": "300", "RateLimit-Remaining": "60", "RateLimit-Reset": "30"},
    )
    client.venues()
    assert client.rate_headroom() == pytest.approx(59 / 300, abs=0.01)
    clock.t += 31  # the window reset
    assert client.rate_headroom() is None
