"""The Clopos simulator: a fake Clopos Open API v2 brand on loopback, over real HTTP.

It follows the documented contract in ``docs/clopos.md`` ([D] exactly, [S] accepted, [I]
liberal; the checklist is §9) under ``/open-api/v2`` and plays a Baku restaurant with two venues whose
orders move PENDING → RECEIVED (1–4 min) → DELIVERED (20–50 min), some IGNORE.

Command line (thin shell in ``orders_app/management/commands/clopos_simulator.py``)::

    python manage.py clopos_simulator [--port 8765] [--host 127.0.0.1] [--seed 1]
        [--orders 300] [--days 7] [--new-every 0] [--rate-limit 300] [--token-ttl 3600]
        [--faults 500,504,slow,429,html,truncated,success_false,token_expired]
        [--fault-rate 0.0] [--fault-every 0] [--slow-seconds 12] [--now 2026-02-02T14:00:00Z]
        [--frozen] [--hostile]

It accepts ``settings.CLOPOS_DEMO_CREDENTIALS`` and prints one startup line with its URL.
Same ``--seed`` and ``--now`` → the same restaurant, orders and statuses.

Python API (tests)::

    sim = Simulator(SimulatorConfig(seed=1, orders=40, days=3, frozen=True))
    server = serve_in_thread(sim, port=0)
    server.base_url                       # "http://127.0.0.1:PORT/open-api/v2"
    sim.add_order(**overrides) -> dict    # created now; status=..., customer=None, comment=...
    sim.set_status(order_id, "RECEIVED")  # explicit override, freezes automatic progress
    sim.update_order(order_id, **changes) # updated_at moves; payload={...} merges
    sim.clock.advance(seconds); sim.clock.set(datetime)   # statuses follow the clock
    sim.inject("500", count=2)            # the next 2 authenticated requests fail that way
    sim.faults.configure(kinds=("504",), rate=0.1, every=0)
    sim.expire_tokens()                   # tokens issued so far → 401 "Token expired"
    sim.request_log                       # [LogEntry(method, path, query, status, headers, fault)]
    sim.reset_log()
    sim.order(order_id), sim.order_ids(), sim.requests_to("/orders"), sim.summary()
    server.stop()

More credentials (e.g. a test-mode integrator for the 200 ``success:false`` case)::

    SimulatorConfig(extra_clients=(SimClient("id", "secret", "brand", "integrator",
                                             integrator_is_test=True),))

pytest fixtures (``tests/fixtures/simulator.py``): ``simulator``, ``simulator_factory(**config)``,
``simulator_api`` (an authenticated session), ``simulator_settings``.

Data time (created_at, statuses, ``unix``) follows ``sim.clock``; token expiry and rate limits
follow real time, so advancing the clock never expires a token by surprise.

HTTP controls, for browser tests and drills driving a simulator in another process (no auth)::

    GET    /_sim/state                      now, version, counts by status, pending faults
    POST   /_sim/orders                     JSON overrides → 201 {"data": order}
    GET    /_sim/orders/<id>
    POST   /_sim/orders/<id>                JSON changes (update_order)
    POST   /_sim/orders/<id>/status         {"status": "RECEIVED"}
    POST   /_sim/faults                     {"kind": "500", "count": 2} and/or
                                            {"kinds": [...], "rate": 0.1, "every": 5}
    DELETE /_sim/faults                     clear queued and scheduled faults
    POST   /_sim/clock                      {"advance": 120} or {"set": "2026-02-02T14:00:00Z"}
    POST   /_sim/tokens/expire
    POST   /_sim/rate-limit                 {"limit": 5}
    GET    /_sim/requests, DELETE /_sim/requests   the request log

Routes: POST /auth; GET /orders; GET /orders/{id}; PUT /orders/{id} (``{"status": "IGNORE"}``
only, else 400 ``validation_failed``); GET /venues; GET /sale-types. POST /orders, receipts,
products and the 600-failures-per-IP tier are not simulated.

Contract choices where the docs are silent ([I]): ``date[0]``/``date[1]`` are read in
Asia/Baku local time; ``limit`` accepts 1–1000; without ``x-venue`` every venue's orders are
listed (``restrict_to_token_venue=True`` limits them to the token's venue); ``with[]=customer``
adds a top-level ``customer`` and ``with[]=receipt`` a ``receipt`` ``{id,
service_notification_id, status 1|2}`` or null; faults apply to authenticated routes only.

Modules, one job each:

- ``restaurant``: the demo restaurant as data (venues, sale types, channels, menu, people);
- ``factory``: customers and orders drawn from it with a seeded random source;
- ``config``: ``SimulatorConfig`` and the credentials (``SimClient``) it accepts;
- ``clock``: simulator time and the way Clopos prints it;
- ``order``: one order as served, kept encoded; ``store``: the orders over time (seeding,
  live orders, status against the clock, sorted and filtered lists, the order controls);
- ``tokens`` (issuing and expiring x-tokens, over ``jwt``: HS256 with the standard library),
  ``ratelimit`` (sliding windows), ``faults`` (which request fails, and how);
- ``brand``: the ``Simulator`` that holds those parts and offers the test controls;
- ``api``: the contract, transport-free; ``params`` (list parameters), ``query`` (bracket
  parsing), ``responses`` (the answer and the error envelope), ``controls`` (``/_sim/``);
- ``server``: the HTTP server around ``api``, in a thread or in the foreground.
"""

from __future__ import annotations

from orders_app.clopos.simulator.brand import Simulator
from orders_app.clopos.simulator.clock import Clock
from orders_app.clopos.simulator.config import SimClient, SimulatorConfig
from orders_app.clopos.simulator.factory import MODIFIER_SHAPES, Features, modifier_shape
from orders_app.clopos.simulator.faults import FAULT_KINDS
from orders_app.clopos.simulator.server import SimulatorServer, serve_forever, serve_in_thread

__all__ = [
    "FAULT_KINDS",
    "MODIFIER_SHAPES",
    "Clock",
    "Features",
    "SimClient",
    "Simulator",
    "SimulatorConfig",
    "SimulatorServer",
    "modifier_shape",
    "serve_forever",
    "serve_in_thread",
]
