"""The POS side of the contract, transport-free: receipts, products, stations and the stop list
(docs/clopos.md §5, §6). ``api.py`` sends these routes here after its x-token, rate-limit and
fault gate, so they carry the same RateLimit-* headers and suffer the same faults as /orders.

- ``GET /receipts``: ``page``, ``limit`` (default 50, at most 1000 as on /orders [I: no maximum
  is published]), ``date[0]``/``date[1]`` (inclusive local dates on ``created_at``, as on
  /orders), ``sort[0]`` ∈ created_at|updated_at|closed_at|total (default created_at),
  ``sort[1]`` ∈ 1|-1|asc|desc (default -1), ``filters[N][0]``/``filters[N][1][M]`` on status,
  sale_type_id, terminal_id (and id, venue_id, order_status, customer_id, source, table_id,
  hall_id, service_notification_id [I]), ``with[]`` (the five documented relations, see
  ``receipt.py``). ``x-venue`` narrows to one venue. Envelope as /orders, with ``sorts``.
- ``GET /receipts/{id}``: ``with[]``; 404 ``not_found`` "Receipt not found".
- ``PATCH /receipts/{id}``: a JSON object of ``order_status``, ``order_number`` (≤ 20
  characters), ``fiscal_id``, ``lock``; anything else or a bad value is 400
  ``validation_failed`` (PUT /orders' error shape). Closed receipts too. Answers
  ``{"success": true, "data": <receipt>}`` with the ``with[]`` of its own query string.
- ``POST /receipts/{id}/close`` [D]: ``{payment_methods?, closed_at?}`` (``closed_at`` local
  ``YYYY-MM-DD HH:MM:SS``) → ``{"success":true,"message":"Receipt closed","data":{id,
  closed_at, payment_methods}}``; 400 ``validation_failed`` for a ``closed_at`` before
  ``created_at``, or a receipt already closed [I].
- ``GET /stations``: ``status`` (0|1), ``can_print`` (0|1, on ``printable``), ``page``,
  ``limit`` (1–200); ``GET /stations/{id}``: 404 ``resource_not_found``.
- ``GET /products``: ``page``, ``limit`` (1–100 [S]), structural ``filters`` (type,
  category_id, station_id, id, parent_id, unit_id, status, hidden, sold_by_weight, giftable,
  discountable), ``with[]`` (``catalog.PRODUCT_RELATIONS``), ``selects=id,name,…``;
  ``GET /products/{id}``: ``with[]``, ``selects``; 404 ``not_found`` "Product not found".
- ``GET /products/stop-list``: optional ``filters[0][0]=id&filters[0][1][N]=<id>``; any other
  filter is 400 ``invalid_parameter`` "Invalid filter parameters" [D].
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from orders_app.clopos.simulator.catalog import (
    ITEMS,
    PRODUCT_FILTER_FIELDS,
    PRODUCT_RELATIONS,
    STATION_BY_ID,
    product_json,
)
from orders_app.clopos.simulator.params import (
    BadParameter,
    date_param,
    filters_param,
    flag_param,
    nested_relations,
    paging,
    selects_param,
    sort_direction,
    sort_field,
)
from orders_app.clopos.simulator.query import parse_brackets
from orders_app.clopos.simulator.receipt import RECEIPT_RELATIONS, local_time
from orders_app.clopos.simulator.receipt_patch import InvalidPatch
from orders_app.clopos.simulator.receipts import FILTER_FIELDS, SORT_FIELDS, ReceiptQuery
from orders_app.clopos.simulator.responses import Response, error, json_response
from orders_app.clopos.simulator.store import _key_value

if TYPE_CHECKING:
    from orders_app.clopos.simulator.api import ApiRequest
    from orders_app.clopos.simulator.brand import Simulator

Tail = Callable[[float], bytes]  # the envelope's time/timestamp/unix (Api.envelope_tail)

PRODUCT_LIMIT, STATION_LIMIT = 100, 200
PRODUCT_FIELDS = tuple(product_json(next(iter(ITEMS.values()))))
_SORTS = json.dumps(list(SORT_FIELDS)).encode()
_RECEIPT = re.compile(r"^/receipts/([^/]+)(/close)?$")
_STATION = re.compile(r"^/stations/([^/]+)$")
_PRODUCT = re.compile(r"^/products/([^/]+)$")


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _one(data: Any, started: float, tail: Tail) -> Response:
    return Response(200, b'{"success":true,"data":' + _dumps(data) + tail(started) + b"}")


def _page(rows: list[Any], total: int, started: float, tail: Tail, sorts: bytes = b"") -> Response:
    body = b'{"success":true,"data":' + _dumps(rows) + b',"total":' + str(total).encode()
    body += tail(started) + (b',"sorts":' + sorts if sorts else b"") + b"}"
    return Response(200, body)


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body or b"{}")
    except ValueError:
        return None


def pos_route(
    sim: Simulator, request: ApiRequest, venue_id: int | None, tail: Tail
) -> Response | None:
    """The answer for a POS route, or None when the route is not one of them."""
    method, route, started = request.method, request.route, request.started
    if route == "/receipts":
        if method != "GET":
            return error(405, "method_not_allowed", "Only GET /receipts is simulated")
        return list_receipts(sim, parse_brackets(request.query), venue_id, started, tail)
    match = _RECEIPT.match(route)
    if match:
        raw_id, close = match.groups()
        receipt = sim.find_receipt(int(raw_id), venue_id) if raw_id.isdigit() else None
        if receipt is None:
            return error(404, "not_found", "Receipt not found")
        if close:
            if method != "POST":
                return error(405, "method_not_allowed", "Use POST /receipts/{id}/close")
            return close_receipt(sim, receipt.id, request.body)
        relations = nested_relations(parse_brackets(request.query).get("with"), RECEIPT_RELATIONS)
        if method == "PATCH":
            try:
                with sim.lock:
                    patched = sim.receipts.patch(receipt.id, _json_body(request.body))
                    return _one(sim.receipt_json(patched, relations), started, tail)
            except InvalidPatch as exc:
                return error(400, "validation_failed", str(exc))
        if method != "GET":
            return error(405, "method_not_allowed", "Use GET or PATCH /receipts/{id}")
        with sim.lock:
            return _one(sim.receipt_json(receipt, relations), started, tail)
    if route in ("/stations", "/products", "/products/stop-list") and method != "GET":
        return error(405, "method_not_allowed", f"Only GET {route} is simulated")
    if route == "/stations":
        return list_stations(sim, parse_brackets(request.query), started, tail)
    match = _STATION.match(route)
    if match and method == "GET":
        station = STATION_BY_ID.get(int(match.group(1))) if match.group(1).isdigit() else None
        if station is None:
            return error(404, "resource_not_found", "Station not found")
        return _one(dict(station), started, tail)
    if route == "/products/stop-list":
        return stop_list(sim, parse_brackets(request.query), started, tail)
    if route == "/products":
        return list_products(parse_brackets(request.query), started, tail)
    match = _PRODUCT.match(route)
    if match and method == "GET":
        item = ITEMS.get(int(match.group(1))) if match.group(1).isdigit() else None
        if item is None:
            return error(404, "not_found", "Product not found")
        params = parse_brackets(request.query)
        return _one(_product(item, params), started, tail)
    return None


def list_receipts(
    sim: Simulator, params: dict[str, Any], venue_id: int | None, started: float, tail: Tail
) -> Response:
    page, limit = paging(params)
    query = ReceiptQuery(
        venue_id=venue_id,
        date_from=date_param(params, "0"),
        date_to=date_param(params, "1"),
        filters=filters_param(params.get("filters"), FILTER_FIELDS),
        sort=sort_field(params, SORT_FIELDS),
        direction=sort_direction(params),
    )
    relations = nested_relations(params.get("with"), RECEIPT_RELATIONS)
    with sim.lock:  # one snapshot for the count and the page
        rows = sim.query_receipts(query)
        window = [sim.receipt_json(r, relations) for r in rows[(page - 1) * limit : page * limit]]
        return _page(window, len(rows), started, tail, _SORTS)


def close_receipt(sim: Simulator, receipt_id: int, body: bytes) -> Response:
    data = _json_body(body)
    if not isinstance(data, dict):
        return error(400, "validation_failed", "Body must be a JSON object")
    methods = data.get("payment_methods")
    if methods is not None and (
        not isinstance(methods, list) or not all(isinstance(m, dict) for m in methods)
    ):
        return error(
            400, "validation_failed", "payment_methods must be a list of {id, name, amount}"
        )
    closed_at = data.get("closed_at")
    if closed_at is not None and not isinstance(closed_at, str):
        return error(400, "validation_failed", "closed_at must be YYYY-MM-DD HH:MM:SS")
    try:
        with sim.lock:
            receipt = sim.receipts.close(receipt_id, methods, closed_at)
            answer = {
                "id": receipt.id,
                "closed_at": local_time(receipt.close_at or 0, sim.receipts.tz),
                "payment_methods": receipt.payment_methods(),
            }
    except ValueError as exc:
        return error(400, "validation_failed", str(exc))
    return json_response(200, {"success": True, "message": "Receipt closed", "data": answer})


def list_stations(sim: Simulator, params: dict[str, Any], started: float, tail: Tail) -> Response:
    page, limit = paging(params, STATION_LIMIT)
    status = flag_param(params.get("status"), "status")
    can_print = flag_param(params.get("can_print"), "can_print")
    rows = [
        s
        for s in sim.stations()
        if (status is None or s["status"] == int(status))
        and (can_print is None or s["printable"] == can_print)
    ]
    return _page(rows[(page - 1) * limit : page * limit], len(rows), started, tail)


def _product(item: Any, params: dict[str, Any]) -> dict[str, Any]:
    relations = nested_relations(params.get("with"), PRODUCT_RELATIONS)
    selects = selects_param(params.get("selects"), PRODUCT_FIELDS)
    data = product_json(item, relations)
    if selects is None:
        return data
    return {k: v for k, v in data.items() if k in selects or k in relations}


def list_products(params: dict[str, Any], started: float, tail: Tail) -> Response:
    page, limit = paging(params, PRODUCT_LIMIT)
    filters = filters_param(params.get("filters"), PRODUCT_FILTER_FIELDS)
    rows = []
    for product_id in sorted(ITEMS):
        plain = product_json(ITEMS[product_id])
        if all(_key_value(plain[name]) in values for name, values in filters):
            rows.append(ITEMS[product_id])
    window = [_product(item, params) for item in rows[(page - 1) * limit : page * limit]]
    return _page(window, len(rows), started, tail)


def stop_list(sim: Simulator, params: dict[str, Any], started: float, tail: Tail) -> Response:
    ids: frozenset[int] | None = None
    for _name, values in filters_param(params.get("filters"), ("id",)):
        if not all(v.isdigit() for v in values):
            raise BadParameter("Invalid filter parameters")
        wanted = frozenset(int(v) for v in values)
        ids = wanted if ids is None else ids & wanted
    return _one(sim.stop_list_entries(ids), started, tail)
