"""The Clopos Open API v2 contract, transport-free: (method, path, headers, body) → Response.

``server.py`` puts this behind a real HTTP server. Every documented outcome is here:
POST /auth (400 missing field, 400 Invalid integrator_id, 200 success:false test-mode,
401 bad credentials, 200 JWT), the x-token checks (401 bodies), RateLimit-* headers and 429,
GET /orders (page, limit, status, with[], date[], sort[], filters[][]), GET /orders/{id}
(with the receipt relation), /venues and /sale-types. Control routes live under /_sim/.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from orders_app.clopos.simulator import jwt
from orders_app.clopos.simulator.brand import LogEntry, Simulator
from orders_app.clopos.simulator.config import SimClient
from orders_app.clopos.simulator.factory import Features
from orders_app.clopos.simulator.faults import FAULT_KINDS
from orders_app.clopos.simulator.order import STATUSES
from orders_app.clopos.simulator.query import as_list, flat, parse_brackets
from orders_app.clopos.simulator.ratelimit import Decision
from orders_app.clopos.simulator.store import FILTER_FIELDS, SORT_FIELDS, OrderQuery

PREFIX = "/open-api/v2"
MAX_LIMIT = 1000
JSON_TYPE = "application/json; charset=utf-8"
SORTS_JSON = json.dumps(list(SORT_FIELDS)).encode()
AUTH_FIELDS = ("client_id", "client_secret", "brand", "integrator_id")
MISSING_AUTH = "Missing client_id, client_secret, brand, or integrator_id"
TEST_MODE = "Integrator is in test mode. But brand is not in test mode"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ORDER_PATH = re.compile(r"^/orders/([^/]+)$")
_SIM_ORDER = re.compile(r"^/_sim/orders/(\d+)(/status)?$")

HTML_GATEWAY_PAGE = b"""<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>
"""


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_TYPE
    delay: float = 0.0  # seconds the transport waits before answering (the "slow" fault)
    fault: str | None = None

    def json(self) -> Any:
        return json.loads(self.body)


def json_response(status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(status, body, dict(headers or {}))


def error(status: int, error_id: str | None, message: str, **extra: Any) -> Response:
    body: dict[str, Any] = {"success": False}
    if error_id is not None:
        body["error"] = error_id
    body["message"] = message
    body.update(extra)
    return json_response(status, body)


class BadParameter(ValueError):
    pass


class Api:
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
            return self.control(method, path, query, body)
        if not (path == PREFIX or path.startswith(PREFIX + "/")):
            return error(404, "not_found", "Route not found")
        route = path[len(PREFIX) :] or "/"
        if route != "/" and route.endswith("/"):
            route = route.rstrip("/")
        response = self.api(method, route, query, headers, body, client, started)
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

    def api(
        self,
        method: str,
        route: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        client: str,
        started: float,
    ) -> Response:
        if route == "/auth":
            if method != "POST":
                return error(405, "method_not_allowed", "Use POST /auth")
            return self.auth(body, client)
        token = headers.get("x-token", "").strip()
        if not token:
            return error(401, "unauthorized", "Missing or invalid authentication headers")
        try:
            claims = jwt.decode(token, self.sim.config.jwt_secret)
        except jwt.InvalidToken:
            return error(401, "Invalid token", "Invalid token")
        if self.sim.token_expired(claims):
            expires_at = datetime.fromtimestamp(float(claims.get("exp", 0)), UTC)
            return error(
                401,
                "Token expired",
                "Token expired",
                expires_at=expires_at.isoformat().replace("+00:00", "Z"),
            )
        decision = self.sim.limiter.hit(f"{claims.get('integrator_id')}:{claims.get('brand')}")
        if not decision.allowed:
            response = error(429, "rate_limited", "Too many requests. Retry later.")
            response.headers.update(decision.headers())
            return response
        fault = self.sim.faults.next()
        if fault is not None and fault != "slow":
            response = self.fault_response(
                fault, decision, route, method, query, headers, claims, body
            )
        else:
            response = self.route(method, route, query, headers, claims, started, body)
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
            response = error(429, "rate_limited", "Too many requests. Retry later.")
            response.headers.update(decision.headers())
            return response
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

    # --- faults --------------------------------------------------------------------------------
    def fault_response(
        self,
        fault: str,
        decision: Decision,
        route: str,
        method: str,
        query: str,
        headers: dict[str, str],
        claims: dict[str, Any],
        body: bytes = b"",
    ) -> Response:
        if fault == "500":
            return error(500, "internal_error", "Internal server error")
        if fault == "504":
            return error(504, "gateway_timeout", "Upstream Clopos API did not respond in time")
        if fault == "429":
            response = error(429, "rate_limited", "Too many requests. Retry later.")
            response.headers.update(
                {
                    "RateLimit-Limit": str(decision.limit),
                    "RateLimit-Remaining": "0",
                    "RateLimit-Reset": str(self.sim.config.fault_429_reset),
                }
            )
            return response
        if fault == "html":
            return Response(502, HTML_GATEWAY_PAGE, content_type="text/html; charset=utf-8")
        if fault == "success_false":
            return error(200, "upstream_error", "Upstream Clopos API returned an error")
        if fault == "token_expired":
            expires_at = datetime.fromtimestamp(float(claims.get("exp", 0)), UTC)
            return error(
                401,
                "Token expired",
                "Token expired",
                expires_at=expires_at.isoformat().replace("+00:00", "Z"),
            )
        if fault == "truncated":
            full = self.route(method, route, query, headers, claims, time.perf_counter(), body)
            cut = max(1, len(full.body) // 2)
            return Response(200, full.body[:cut], dict(full.headers))
        raise AssertionError(f"unhandled fault {fault}")

    # --- authenticated routes ------------------------------------------------------------------
    def route(
        self,
        method: str,
        route: str,
        query: str,
        headers: dict[str, str],
        claims: dict[str, Any],
        started: float,
        body: bytes = b"",
    ) -> Response:
        try:
            venue_id = self.venue_for(headers, claims)
            if route == "/orders":
                if method != "GET":
                    return error(405, "method_not_allowed", "Only GET /orders is simulated")
                return self.list_orders(parse_brackets(query), venue_id, started)
            match = _ORDER_PATH.match(route)
            if match and method == "PUT":
                return self.ignore_order(match.group(1), body, venue_id)
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

    # --- /_sim/ controls -----------------------------------------------------------------------
    def control(self, method: str, path: str, query: str, body: bytes) -> Response:
        try:
            data = json.loads(body) if body.strip() else {}
        except ValueError:
            return error(400, "invalid_json", "Body must be JSON")
        if not isinstance(data, dict):
            return error(400, "invalid_json", "Body must be a JSON object")
        sim = self.sim
        try:
            if path == "/_sim/state" and method == "GET":
                return json_response(200, {"success": True, "data": sim.summary()})
            if path == "/_sim/orders" and method == "POST":
                if isinstance(data.get("features"), dict):
                    data["features"] = Features(**data["features"])
                return json_response(201, {"success": True, "data": sim.add_order(**data)})
            match = _SIM_ORDER.match(path)
            if match and method in ("POST", "PATCH", "GET"):
                order_id = int(match.group(1))
                if method == "GET":
                    return json_response(200, {"success": True, "data": sim.order(order_id)})
                if match.group(2):
                    order = sim.set_status(order_id, str(data.get("status", "")))
                else:
                    order = sim.update_order(order_id, **data)
                return json_response(200, {"success": True, "data": order})
            if path == "/_sim/faults" and method == "POST":
                if "kind" in data:
                    sim.inject(str(data["kind"]), int(data.get("count", 1)))
                if any(k in data for k in ("kinds", "rate", "every")):
                    sim.faults.configure(
                        kinds=data.get("kinds"),
                        rate=float(data["rate"]) if "rate" in data else None,
                        every=int(data["every"]) if "every" in data else None,
                    )
                return json_response(
                    200, {"success": True, "data": {"pending": sim.faults.pending()}}
                )
            if path == "/_sim/faults" and method == "DELETE":
                sim.faults.clear()
                return json_response(200, {"success": True, "data": {"kinds": FAULT_KINDS}})
            if path == "/_sim/clock" and method == "POST":
                if "advance" in data:
                    sim.clock.advance(float(data["advance"]))
                if "set" in data:
                    sim.clock.set(datetime.fromisoformat(str(data["set"]).replace("Z", "+00:00")))
                return json_response(200, {"success": True, "data": sim.summary()})
            if path == "/_sim/tokens/expire" and method == "POST":
                sim.expire_tokens()
                return json_response(200, {"success": True})
            if path == "/_sim/rate-limit" and method == "POST":
                sim.limiter.set_limit(int(data["limit"]))
                if data.get("reset", True):
                    sim.limiter.reset()
                return json_response(200, {"success": True})
            if path == "/_sim/requests" and method == "GET":
                with sim.lock:
                    log = [entry.__dict__ for entry in sim.request_log]
                return json_response(200, {"success": True, "data": log, "total": len(log)})
            if path == "/_sim/requests" and method == "DELETE":
                sim.reset_log()
                return json_response(200, {"success": True})
        except KeyError as exc:
            return error(404, "not_found", str(exc.args[0] if exc.args else exc))
        except (TypeError, ValueError) as exc:
            return error(400, "invalid_parameter", str(exc))
        return error(404, "not_found", f"No simulator control at {method} {path}")


# --- query parameters ----------------------------------------------------------------------------
def positive_int(value: Any, name: str, default: int, maximum: int | None = None) -> int:
    if value is None or value == "":
        return default
    if not isinstance(value, str) or not value.isdigit() or int(value) < 1:
        raise BadParameter(f"{name} must be a positive integer")
    number = int(value)
    if maximum is not None and number > maximum:
        raise BadParameter(f"{name} must be between 1 and {maximum}")
    return number


def paging(params: dict[str, Any]) -> tuple[int, int]:
    return (
        positive_int(params.get("page"), "page", 1),
        positive_int(params.get("limit"), "limit", 50, MAX_LIMIT),
    )


def status_param(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if value not in STATUSES:
        raise BadParameter(f"status must be one of {', '.join(STATUSES)}")
    return value


def date_param(params: dict[str, Any], index: str) -> str | None:
    node = params.get("date")
    if not isinstance(node, dict):
        if node is None:
            return None
        raise BadParameter("date must be given as date[0] and date[1] (YYYY-MM-DD)")
    value = node.get(index)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _DATE.match(value):
        raise BadParameter(f"date[{index}] must be a date in YYYY-MM-DD format")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise BadParameter(f"date[{index}] must be a date in YYYY-MM-DD format") from None
    return value


def sort_node(params: dict[str, Any]) -> dict[str, Any]:
    node = params.get("sort")
    if node is None:
        return {}
    if not isinstance(node, dict):
        raise BadParameter("sort must be given as sort[0] (field) and sort[1] (1 or -1)")
    return node


def sort_field(params: dict[str, Any]) -> str:
    value = sort_node(params).get("0") or "created_at"
    if value not in SORT_FIELDS:
        raise BadParameter(f"sort[0] must be one of {', '.join(SORT_FIELDS)}")
    return value


def sort_direction(params: dict[str, Any]) -> int:
    value = sort_node(params).get("1") or "-1"
    if value not in ("1", "-1", "asc", "desc"):
        raise BadParameter("sort[1] must be 1 (ascending) or -1 (descending)")
    return 1 if value in ("1", "asc") else -1


def filters_param(node: Any) -> tuple[tuple[str, frozenset[str]], ...]:
    if node is None:
        return ()
    if not isinstance(node, dict):
        raise BadParameter("Invalid filter parameters")
    result = []
    for entry in as_list(node):
        if not isinstance(entry, dict) or "0" not in entry or "1" not in entry:
            raise BadParameter("Invalid filter parameters")
        name, value = entry["0"], entry["1"]
        if name not in FILTER_FIELDS:
            raise BadParameter("Invalid filter parameters")
        values = as_list(value) if isinstance(value, dict) else [value]
        if not values or not all(isinstance(v, str) for v in values):
            raise BadParameter("Invalid filter parameters")
        result.append((name, frozenset(values)))
    return tuple(result)


def relations_param(node: Any) -> tuple[str, ...]:
    names = []
    for value in as_list(node):
        if not isinstance(value, str):
            continue
        name = value.split(":", 1)[0].strip()
        if name in ("customer", "receipt") and name not in names:
            names.append(name)
    return tuple(sorted(names))
