"""The simulator's own controls under ``/_sim/``, for browser tests and drills that drive a
simulator in another process: no auth, JSON in and out, never logged in the request log.
The routes are listed in the package docstring (``__init__.py``); the receipt, kitchen and
stop-list ones are ``kitchen_controls.py``."""

from __future__ import annotations

import json
import re
from datetime import datetime

from orders_app.clopos.simulator.brand import Simulator
from orders_app.clopos.simulator.factory import Features
from orders_app.clopos.simulator.faults import FAULT_KINDS
from orders_app.clopos.simulator.kitchen_controls import kitchen_control
from orders_app.clopos.simulator.responses import Response, error, json_response

_SIM_ORDER = re.compile(r"^/_sim/orders/(\d+)(/status)?$")


def control(sim: Simulator, method: str, path: str, body: bytes) -> Response:
    """Answer one control request; a bad value is 400, an unknown order 404."""
    try:
        data = json.loads(body) if body.strip() else {}
    except ValueError:
        return error(400, "invalid_json", "Body must be JSON")
    if not isinstance(data, dict):
        return error(400, "invalid_json", "Body must be a JSON object")
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
            return json_response(200, {"success": True, "data": {"pending": sim.faults.pending()}})
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
        answer = kitchen_control(sim, method, path, data)
        if answer is not None:
            return answer
    except KeyError as exc:
        return error(404, "not_found", str(exc.args[0] if exc.args else exc))
    except (TypeError, ValueError) as exc:
        return error(400, "invalid_parameter", str(exc))
    return error(404, "not_found", f"No simulator control at {method} {path}")
