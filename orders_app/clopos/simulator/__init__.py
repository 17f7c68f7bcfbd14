"""The Clopos simulator: a fake Clopos Open API v2 brand on loopback, over real HTTP.

It follows the documented contract in ``docs/clopos.md`` ([D] exactly, [S] accepted, [I]
liberal; the checklist is §9) under ``/open-api/v2`` and plays a Baku restaurant with two venues whose
orders move PENDING → RECEIVED (1–4 min) → DELIVERED (20–50 min), some IGNORE. Every accepted
order opens a receipt whose ``order_status`` moves NEW → IN_PROGRESS → READY → PICKED_UP or
COMPLETED before it closes; dine-in tables open receipts of their own; the menu, its four
stations and a stop list that changes through the day are served too (§5, §6).

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

Receipts, the kitchen and the stop list (``receipts.py``, ``kitchen.py``, ``stoplist.py``)::

    sim.receipt_for_order(order_id) -> dict | None   # every with[] relation
    sim.receipt(receipt_id, relations=RECEIPT_RELATIONS), sim.receipt_ids()
    sim.set_receipt_status(receipt_id, "READY")      # explicit; the kitchen's own steps stop
    sim.close_receipt(receipt_id, payment_methods=None, closed_at=None)
    sim.patch_receipt(receipt_id, order_number="A-1", lock=True)   # PATCH's rules
    sim.open_table(venue_id=1, hall_id=None, table_id=None, guests=None, products=None)
    sim.set_pos_writes_order_status(False)           # from now on order_status stays put
    sim.stop_product(product_id, limit=0, count_down=False); sim.release_product(product_id)
    sim.stop_list_entries(ids=None), sim.products(), sim.stations()

    SimulatorConfig(pos_writes_order_status=True, tables_per_hour=1.0,
                    receipt_timezone="Asia/Baku", auto_stop_list=True)

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
    /_sim/receipts/<id>[/status|/close], /_sim/orders/<id>/receipt, /_sim/tables,
    /_sim/kitchen, /_sim/stop-list[/<product_id>]   receipts, tables, the kitchen and the
                                                    stop list (``kitchen_controls.py``)

Routes: POST /auth; GET /orders; GET /orders/{id}; PUT /orders/{id} (``{"status": "IGNORE"}``
only, else 400 ``validation_failed``); GET /venues; GET /sale-types; GET /receipts; GET and
PATCH /receipts/{id}; POST /receipts/{id}/close; GET /stations, /stations/{id}; GET /products,
/products/{id}, /products/stop-list (their parameters: ``pos_api.py``). POST /orders,
/receipts/{id}/stock-operations, the other reference lists and the 600-failures-per-IP tier are
not simulated.

Contract choices where the docs are silent ([I]): ``date[0]``/``date[1]`` are read in
Asia/Baku local time; ``limit`` accepts 1–1000; without ``x-venue`` every venue's orders are
listed (``restrict_to_token_venue=True`` limits them to the token's venue); ``with[]=customer``
adds a top-level ``customer`` and ``with[]=receipt`` a ``receipt`` ``{id,
service_notification_id, status 1|2}`` or null, following the order's receipt; faults apply
to authenticated routes only. Receipt times are ``YYYY-MM-DD HH:MM:SS`` in Asia/Baku local
time; an order's DELIVERED moment closes its receipt and an IGNORE after acceptance cancels it;
a receipt with no such end closes on its own while its order stays RECEIVED. The timings and
shapes behind these are in ``kitchen.py``, ``receipt.py`` and ``receipt_factory.py``.

Modules, one job each:

- ``restaurant``: the demo restaurant as data (venues, sale types, channels, menu, people);
- ``factory``: customers and orders drawn from it with a seeded random source;
- ``config``: ``SimulatorConfig`` and the credentials (``SimClient``) it accepts;
- ``clock``: simulator time and the way Clopos prints it;
- ``order``: one order as served, kept encoded; ``store``: the orders over time (seeding,
  live orders, status against the clock, sorted and filtered lists, the order controls);
- ``tokens`` (issuing and expiring x-tokens, over ``jwt``: HS256 with the standard library),
  ``ratelimit`` (sliding windows), ``faults`` (which request fails, and how);
- ``catalog``: the menu as products, with stations, categories and cooking times;
- ``kitchen``: a receipt's ``order_status`` steps and close over time; ``receipt``: one receipt
  as served; ``receipt_factory``: receipts drawn from accepted orders and dine-in tables;
  ``receipts``: the receipts over time (lists, PATCH, controls); ``receipt_patch``: what PATCH
  may change; ``stoplist``: the stop list through the day;
- ``brand``: the ``Simulator`` that holds those parts and offers the test controls;
- ``api``: the contract, transport-free; ``pos_api`` (receipts, products, stations, stop list),
  ``params`` (list parameters), ``query`` (bracket parsing), ``responses`` (the answer and the
  error envelope), ``controls`` and ``kitchen_controls`` (``/_sim/``);
- ``server``: the HTTP server around ``api``, in a thread or in the foreground.
"""

from __future__ import annotations

from orders_app.clopos.simulator.brand import Simulator
from orders_app.clopos.simulator.clock import Clock
from orders_app.clopos.simulator.config import SimClient, SimulatorConfig
from orders_app.clopos.simulator.factory import MODIFIER_SHAPES, Features, modifier_shape
from orders_app.clopos.simulator.faults import FAULT_KINDS
from orders_app.clopos.simulator.kitchen import ORDER_STATUSES
from orders_app.clopos.simulator.receipt import RECEIPT_RELATIONS
from orders_app.clopos.simulator.receipt_patch import InvalidPatch
from orders_app.clopos.simulator.server import SimulatorServer, serve_forever, serve_in_thread

__all__ = [
    "FAULT_KINDS",
    "MODIFIER_SHAPES",
    "ORDER_STATUSES",
    "RECEIPT_RELATIONS",
    "Clock",
    "Features",
    "InvalidPatch",
    "SimClient",
    "Simulator",
    "SimulatorConfig",
    "SimulatorServer",
    "modifier_shape",
    "serve_forever",
    "serve_in_thread",
]
