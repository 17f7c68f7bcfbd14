"""The simulator's receipt, kitchen and stop-list controls under ``/_sim/`` (no auth, JSON in
and out), for browser tests and drills driving a simulator in another process. Each calls the
``Simulator`` method of the same job; ``controls.py`` turns a KeyError into 404 and a
ValueError into 400::

    GET    /_sim/receipts/<id>              the receipt, every with[] relation
    GET    /_sim/orders/<id>/receipt        the receipt an order opened (null if none)
    POST   /_sim/receipts/<id>/status       {"order_status": "READY"}  (set_receipt_status)
    POST   /_sim/receipts/<id>/close        {"payment_methods": [...], "closed_at": "..."}, both
                                            optional (close_receipt)
    POST   /_sim/tables                     {"venue_id": 1, "hall_id": 1, "table_id": 104,
                                            "guests": 3, "products": [208, [401, 2]]}, all
                                            optional → 201 (open_table)
    POST   /_sim/kitchen                    {"pos_writes_order_status": false}
    GET    /_sim/stop-list                  the stop list now
    POST   /_sim/stop-list                  {"product_id": 208, "limit": 0, "count_down": false}
                                            (stop_product; "limit": null = release_product)
    DELETE /_sim/stop-list/<product_id>     release_product
"""

from __future__ import annotations

import re
from typing import Any

from orders_app.clopos.simulator.brand import Simulator
from orders_app.clopos.simulator.responses import Response, json_response

_RECEIPT = re.compile(r"^/_sim/receipts/(\d+)(/status|/close)?$")
_ORDER_RECEIPT = re.compile(r"^/_sim/orders/(\d+)/receipt$")
_STOPPED = re.compile(r"^/_sim/stop-list/(\d+)$")


def _ok(data: Any, status: int = 200) -> Response:
    return json_response(status, {"success": True, "data": data})


def kitchen_control(
    sim: Simulator, method: str, path: str, data: dict[str, Any]
) -> Response | None:
    """Answer one receipt, kitchen or stop-list control, or None if ``path`` is none of them."""
    match = _RECEIPT.match(path)
    if match:
        receipt_id, action = int(match.group(1)), match.group(2)
        if method == "GET" and action is None:
            return _ok(sim.receipt(receipt_id))
        if method == "POST" and action == "/status":
            return _ok(sim.set_receipt_status(receipt_id, str(data.get("order_status", ""))))
        if method == "POST" and action == "/close":
            methods = data.get("payment_methods")
            if methods is not None and not isinstance(methods, list):
                raise ValueError("payment_methods must be a list of {id, name, amount}")
            return _ok(sim.close_receipt(receipt_id, methods, data.get("closed_at")))
        return None
    match = _ORDER_RECEIPT.match(path)
    if match and method == "GET":
        sim.order(int(match.group(1)))  # KeyError → 404 for an unknown order
        return _ok(sim.receipt_for_order(int(match.group(1))))
    if path == "/_sim/tables" and method == "POST":
        return _ok(sim.open_table(**data), 201)
    if path == "/_sim/kitchen" and method == "POST":
        if not isinstance(data.get("pos_writes_order_status"), bool):
            raise ValueError("pos_writes_order_status must be true or false")
        sim.set_pos_writes_order_status(data["pos_writes_order_status"])
        return _ok(sim.summary()["receipts"])
    if path == "/_sim/stop-list" and method == "GET":
        return _ok(sim.stop_list_entries())
    if path == "/_sim/stop-list" and method == "POST":
        product_id = data.get("product_id")
        if not isinstance(product_id, int):
            raise ValueError("product_id must be a product id")
        if "limit" in data and data["limit"] is None:
            sim.release_product(product_id)
        else:
            sim.stop_product(product_id, data.get("limit", 0), bool(data.get("count_down", False)))
        return _ok(sim.stop_list_entries())
    match = _STOPPED.match(path)
    if match and method == "DELETE":
        sim.release_product(int(match.group(1)))
        return _ok(sim.stop_list_entries())
    return None
