"""The Clopos Open API v2 contract, transport-free: (method, path, headers, body) → Response.

``server.py`` puts this behind a real HTTP server. Every documented outcome is here:
POST /auth (400 missing field, 400 Invalid integrator_id, 200 success:false test-mode,
401 bad credentials, 200 JWT; docs/clopos.md §2), the x-token checks (401 bodies), RateLimit-*
headers and 429 (§3), GET /orders (page, limit, status, with[], date[], sort[], filters[][]),
GET /orders/{id} (with the receipt relation), PUT /orders/{id} (§4), /venues and /sale-types
(§6). Parameters are checked in ``params.py``, faults drawn in ``faults.py``; the control
routes under /_sim/ are ``controls.py`` and ``kitchen_controls.py``.

The POS routes pass the same gate (x-token, rate limit, RateLimit-* headers, faults) and are
answered by ``pos_api.py`` (§5, §6), which lists their parameters:

- ``GET /receipts``: page, limit (50; 1–1000), date[0..1] (local dates of created_at),
  sort[0] created_at|updated_at|closed_at|total, sort[1] 1|-1|asc|desc, filters[N][0..1]
  (status, sale_type_id, terminal_id, and more), with[] receipt_products,
  receipt_products.modificators, receipt_products.product.unit,
  receipt_products.product.station, receipt_products.modificators.modificator_group;
  the /orders envelope with ``sorts``;
- ``GET /receipts/{id}`` (with[]; 404 ``not_found``), ``PATCH /receipts/{id}`` (order_status,
  order_number, fiscal_id, lock; else 400 ``validation_failed``; closed receipts too),
  ``POST /receipts/{id}/close`` (payment_methods, closed_at);
- ``GET /stations`` (status, can_print, page, limit 1–200), ``GET /stations/{id}``;
- ``GET /products`` (page, limit 1–100, filters on type, category_id, station_id, ...,
  with[], selects), ``GET /products/{id}``;
- ``GET /products/stop-list`` (filters[0][0]=id&filters[0][1][N]=...).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from orders_app.clopos.simulator import jwt
from orders_app.clopos.simulator.brand import LogEntry, Simulator
from orders_app.clopos.simulator.config import SimClient
from orders_app.clopos.simulator.controls import control
from orders_app.clopos.simulator.faults import fault_response
from orders_app.clopos.simulator.params import (
    BadParameter,
    date_param,
    filters_param,
    paging,
    relations_param,
    sort_direction,
    sort_field,
    status_param,
)
from orders_app.clopos.simulator.pos_api import pos_route
from orders_app.clopos.simulator.query import flat, parse_brackets
from orders_app.clopos.simulator.responses import (
    Response,
    error,
    json_response,
    rate_limited,
    token_expired,
)
from orders_app.clopos.simulator.store import SORT_FIELDS, OrderQuery

PREFIX = "/open-api/v2"
SORTS_JSON = json.dumps(list(SORT_FIELDS)).encode()
AUTH_FIELDS = ("client_id", "client_secret", "brand", "integrator_id")
MISSING_AUTH = "Missing client_id, client_secret, brand, or integrator_id"
TEST_MODE = "Integrator is in test mode. But brand is not in test mode"
_ORDER_PATH = re.compile(r"^/orders/([^/]+)$")


@dataclass(frozen=True)
class ApiRequest:
    """One request under /open-api/v2, as the routes read it."""

    method: str
    route: str  # relative to /open-api/v2, e.g. "/orders"
    query: str  # the raw query string
    headers: dict[str, str]  # lower-case names
    body: bytes
    client: str  # the caller's address, the key of the POST /auth rate limit
    started: float  # time.perf_counter() on arrival, for the envelope's "time"


class Api:
    """The contract over one ``Simulator``: ``handle`` answers a request and logs it."""

    def __init__(self, simulator: Simulator):
        self.sim = simulator

    # --- entry point ---------------------------------------------------------------------------
    def handle(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes = b"",
        client: str = "127.0.0.1",
    ) -> Response:
        started = time.perf_counter()
        parts = urlsplit(target)
        path, query = parts.path, parts.query
        headers = {k.lower(): v for k, v in headers.items()}
        if path.startswith("/_sim/") or path == "/_sim":
            return control(self.sim, method, path, body)
        if not (path == PREFIX or path.startswith(PREFIX + "/")):
            return error(404, "not_found", "Route not found")
        route = path[len(PREFIX) :] or "/"
        if route != "/" and route.endswith("/"):
            route = route.rstrip("/")
        request = ApiRequest(method, route, query, headers, body, client, started)
        response = self.open_api(request)
        self.sim.log(
            LogEntry(
                method=method,
                path=route,
                query=flat(query),
                status=response.status,
                headers={k: v for k, v in headers.items() if k.startswith("x-")},
                fault=response.fault,
                at=time.time(),
            )
        )
        return response

    def open_api(self, request: ApiRequest) -> Response:
        """POST /auth, or the gate every other route passes: x-token, rate limit, then a fault
        (queued or drawn) in place of the real answer."""
        if request.route == "/auth":
            if request.method != "POST":
                return error(405, "method_not_allowed", "Use POST /auth")
            return self.auth(request.body, request.client)
        token = request.headers.get("x-token", "").strip()
        if not token:
            return error(401, "unauthorized", "Missing or invalid authentication headers")
        try:
            claims = self.sim.tokens.decode(token)
        except jwt.InvalidToken:
            return error(401, "Invalid token", "Invalid token")
        if self.sim.token_expired(claims):
            return token_expired(claims)
        decision = self.sim.limiter.hit(f"{claims.get('integrator_id')}:{claims.get('brand')}")
        if not decision.allowed:
            return rate_limited(decision.headers())
        fault = self.sim.faults.next()
        if fault is not None and fault != "slow":
            response = fault_response(
                fault,
                claims=claims,
                limit=decision.limit,
                reset_after=self.sim.config.fault_429_reset,
                real=lambda: self.route(replace(request, started=time.perf_counter()), claims),
            )
        else:
            response = self.route(request, claims)
            if fault == "slow":
                response.delay = self.sim.config.slow_seconds
        response.fault = fault
        if fault != "429":
            response.headers.update(decision.headers())
        return response

    # --- auth ----------------------------------------------------------------------------------
    def auth(self, body: bytes, client: str) -> Response:
        decision = self.sim.auth_limiter.hit(f"ip:{client}")
        if not decision.allowed:
            return rate_limited(decision.headers())
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return error(400, "invalid_request", "Request body must be a JSON object")
        values = {k: data.get(k) for k in AUTH_FIELDS}
        if any(not isinstance(v, str) or not v for v in values.values()):
            return error(400, MISSING_AUTH, MISSING_AUTH)
        clients = self.sim.all_clients()
        integrators = {c.integrator_id: c.integrator_is_test for c in clients}
        if values["integrator_id"] not in integrators:
            return error(400, "Invalid integrator_id", "Invalid integrator_id")
        brand_is_test = {c.brand: c.brand_is_test for c in clients}
        if integrators[values["integrator_id"]] and not brand_is_test.get(values["brand"], False):
            return error(200, TEST_MODE, TEST_MODE)
        match: SimClient | None = next(
            (
                c
                for c in clients
                if c.client_id == values["client_id"]
                and c.client_secret == values["client_secret"]
                and c.brand == values["brand"]
                and c.integrator_id == values["integrator_id"]
            ),
            None,
        )
        if match is None:
            return error(401, None, "Invalid credentials")
        token, expires_at = self.sim.issue_token(match)
        return json_response(
            200,
            {
                "success": True,
                "token": token,
                "token_type": "Bearer",
                "expires_in": self.sim.config.token_ttl,
                "expires_at": expires_at,
                "message": "Authentication successful",
            },
        )

    # --- authenticated routes ------------------------------------------------------------------
    def route(self, request: ApiRequest, claims: dict[str, Any]) -> Response:
        method, route, started = request.method, request.route, request.started
        query = request.query
        try:
            venue_id = self.venue_for(request.headers, claims)
            answer = pos_route(self.sim, request, venue_id, self.envelope_tail)
            if answer is not None:
                return answer
            if route == "/orders":
                if method != "GET":
                    return error(405, "method_not_allowed", "Only GET /orders is simulated")
                return self.list_orders(parse_brackets(query), venue_id, started)
            match = _ORDER_PATH.match(route)
            if match and method == "PUT":
                return self.ignore_order(match.group(1), request.body, venue_id)
            if match:
                if method != "GET":
                    return error(405, "method_not_allowed", "Use GET or PUT /orders/{id}")
                return self.get_order(match.group(1), parse_brackets(query), venue_id, started)
            if route in ("/venues", "/sale-types"):
                if method != "GET":
                    return error(405, "method_not_allowed", f"Only GET {route} is simulated")
                items = self.sim.venues() if route == "/venues" else self.sim.sale_types()
                return self.list_of(items, parse_brackets(query), started)
        except BadParameter as exc:
            return error(400, "invalid_parameter", str(exc))
        return error(404, "not_found", "Route not found")

    def venue_for(self, headers: dict[str, str], claims: dict[str, Any]) -> int | None:
        raw = headers.get("x-venue", "").strip()
        if raw:
            known = {v["id"] for v in self.sim.venues()}
            if not raw.isdigit() or int(raw) not in known:
                raise BadParameter("x-venue must be the id of one of this brand's venues")
            return int(raw)
        if self.sim.config.restrict_to_token_venue:
            return int(claims.get("venue_id") or 1)
        return None

    def envelope_tail(self, started: float) -> bytes:
        """The success envelope's ``time``, ``timestamp`` and ``unix`` (docs/clopos.md §1), on
        the simulator clock."""
        now = self.sim.clock.time()
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now))
        elapsed = int((time.perf_counter() - started) * 1000)
        return f',"time":{elapsed},"timestamp":"{stamp}","unix":{int(now)}'.encode()

    def list_orders(self, params: dict[str, Any], venue_id: int | None, started: float):
        page, limit = paging(params)
        order_query = OrderQuery(
            venue_id=venue_id,
            status=status_param(params.get("status")),
            date_from=date_param(params, "0"),
            date_to=date_param(params, "1"),
            filters=filters_param(params.get("filters")),
            sort=sort_field(params),
            direction=sort_direction(params),
        )
        relations = relations_param(params.get("with"))
        with self.sim.lock:  # one consistent snapshot for the count and the page
            rows = self.sim.query_orders(order_query)
            window = rows[(page - 1) * limit : page * limit]
            frags = [self.sim.order_json(o, relations) for o in window]
        body = b"".join(
            (
                b'{"success":true,"data":[',
                b",".join(frags),
                b'],"total":',
                str(len(rows)).encode(),
                self.envelope_tail(started),
                b',"sorts":',
                SORTS_JSON,
                b"}",
            )
        )
        return Response(200, body)

    def get_order(self, raw_id: str, params: dict[str, Any], venue_id: int | None, started):
        order = self.sim.find(int(raw_id), venue_id) if raw_id.isdigit() else None
        if order is None:
            return error(404, "not_found", "Order not found")
        relations = relations_param(params.get("with"))
        with self.sim.lock:
            frag = self.sim.order_json(order, relations)
        body = b'{"success":true,"data":' + frag + self.envelope_tail(started) + b"}"
        return Response(200, body)

    def ignore_order(self, raw_id: str, body: bytes, venue_id: int | None) -> Response:
        """PUT /orders/{id}: "only the IGNORE status transition is supported"."""
        order = self.sim.find(int(raw_id), venue_id) if raw_id.isdigit() else None
        if order is None:
            return error(404, "not_found", "Order not found")
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            data = None
        if not isinstance(data, dict) or data.get("status") != "IGNORE":
            return error(400, "validation_failed", "Status is not allowed")
        self.sim.set_status(order.id, "IGNORE")
        now = self.sim.clock.time()
        return json_response(
            200,
            {
                "success": True,
                "data": {"id": order.id, "status": "IGNORE"},
                "timestamp": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now)),
                "unix": int(now),
            },
        )

    def list_of(self, items: list[dict[str, Any]], params: dict[str, Any], started: float):
        page, limit = paging(params)
        window = items[(page - 1) * limit : page * limit]
        data = json.dumps(window, ensure_ascii=False, separators=(",", ":")).encode()
        body = (
            b'{"success":true,"data":'
            + data
            + b',"total":'
            + str(len(items)).encode()
            + self.envelope_tail(started)
            + b"}"
        )
        return Response(200, body)
