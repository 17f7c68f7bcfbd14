"""The Clopos simulator follows the documented contract, over real HTTP."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime

import pytest
import requests
from django.conf import settings

from orders_app.clopos.simulator import SimClient
from tests.fixtures.simulator import SimulatorSession, authenticated_session

DEMO = settings.CLOPOS_DEMO_CREDENTIALS
ISO_Z = "%Y-%m-%dT%H:%M:%S.000000Z"


def all_orders(api: SimulatorSession, **params) -> list[dict]:
    body = api.get("/orders", params={"limit": 1000, **params}).json()
    assert body["success"] is True
    return body["data"]


# --- POST /auth -----------------------------------------------------------------------------


def test_auth_returns_an_hs256_jwt_with_epoch_expiry(simulator):
    before = int(time.time())
    response = requests.post(f"{simulator.base_url}/auth", json=DEMO, timeout=5)

    body = response.json()
    assert response.status_code == 200
    assert body["success"] is True
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert before + 3600 <= body["expires_at"] <= int(time.time()) + 3600
    assert body["message"] == "Authentication successful"
    header = json.loads(base64.urlsafe_b64decode(body["token"].split(".")[0] + "=="))
    assert header == {"alg": "HS256", "typ": "JWT"}


def test_auth_token_lifetime_follows_token_ttl(simulator_factory):
    server = simulator_factory(token_ttl=120)

    body = requests.post(f"{server.base_url}/auth", json=DEMO, timeout=5).json()

    assert body["expires_in"] == 120
    assert abs(body["expires_at"] - (time.time() + 120)) < 3


@pytest.mark.parametrize("missing", ["client_id", "client_secret", "brand", "integrator_id"])
def test_auth_without_a_field_is_400_naming_the_four_fields(simulator, missing):
    credentials = {k: v for k, v in DEMO.items() if k != missing}

    response = requests.post(f"{simulator.base_url}/auth", json=credentials, timeout=5)

    assert response.status_code == 400
    assert response.json()["success"] is False
    assert response.json()["message"] == "Missing client_id, client_secret, brand, or integrator_id"


def test_auth_with_an_unknown_integrator_is_400_invalid_integrator_id(simulator):
    response = requests.post(
        f"{simulator.base_url}/auth", json={**DEMO, "integrator_id": "nobody"}, timeout=5
    )

    assert response.status_code == 400
    assert response.json()["message"] == "Invalid integrator_id"


def test_test_integrator_on_a_production_brand_is_200_with_success_false(simulator_factory):
    tester = SimClient("c-test", "s-test", "pass-demo", "test-integrator", integrator_is_test=True)
    server = simulator_factory(extra_clients=(tester,))

    response = requests.post(
        f"{server.base_url}/auth",
        json={
            "client_id": "c-test",
            "client_secret": "s-test",
            "brand": "pass-demo",
            "integrator_id": "test-integrator",
        },
        timeout=5,
    )

    assert response.status_code == 200
    assert response.json()["success"] is False
    assert response.json()["message"] == "Integrator is in test mode. But brand is not in test mode"
    assert "token" not in response.json()


def test_test_integrator_on_a_test_brand_gets_a_token(simulator_factory):
    tester = SimClient(
        "c-test",
        "s-test",
        "sandbox",
        "test-integrator",
        integrator_is_test=True,
        brand_is_test=True,
    )
    server = simulator_factory(extra_clients=(tester,))

    session = authenticated_session(
        server,
        {
            "client_id": "c-test",
            "client_secret": "s-test",
            "brand": "sandbox",
            "integrator_id": "test-integrator",
        },
    )

    assert session.get("/orders").status_code == 200


def test_wrong_secret_is_401_with_success_false(simulator):
    response = requests.post(
        f"{simulator.base_url}/auth", json={**DEMO, "client_secret": "wrong"}, timeout=5
    )

    assert response.status_code == 401
    assert response.json()["success"] is False
    assert response.json()["message"]


def test_auth_is_rate_limited_per_address(simulator_factory):
    server = simulator_factory(auth_rate_limit=3)

    codes = [
        requests.post(f"{server.base_url}/auth", json=DEMO, timeout=5).status_code for _ in range(4)
    ]

    assert codes == [200, 200, 200, 429]


# --- x-token ---------------------------------------------------------------------------------


def test_a_request_without_x_token_is_401_with_the_documented_body(simulator):
    response = requests.get(f"{simulator.base_url}/orders", timeout=5)

    assert response.status_code == 401
    assert response.json() == {
        "success": False,
        "error": "unauthorized",
        "message": "Missing or invalid authentication headers",
    }
    assert "RateLimit-Limit" not in response.headers


def test_a_bearer_header_is_not_an_x_token(simulator):
    token = authenticated_session(simulator).headers["x-token"]

    response = requests.get(
        f"{simulator.base_url}/orders", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )

    assert response.status_code == 401


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30."])
def test_a_malformed_token_is_401_invalid_token(simulator, token):
    response = requests.get(f"{simulator.base_url}/orders", headers={"x-token": token}, timeout=5)

    assert response.status_code == 401
    assert response.json()["message"] == "Invalid token"


def test_a_token_with_a_forged_signature_is_401_invalid_token(simulator):
    token = authenticated_session(simulator).headers["x-token"]
    head, body, _signature = token.split(".")

    response = requests.get(
        f"{simulator.base_url}/orders", headers={"x-token": f"{head}.{body}.AAAA"}, timeout=5
    )

    assert response.json()["message"] == "Invalid token"


def test_a_token_past_its_lifetime_is_401_token_expired_with_iso_expires_at(simulator_factory):
    server = simulator_factory(token_ttl=1)
    api = authenticated_session(server)
    time.sleep(1.2)

    response = api.get("/orders")

    assert response.status_code == 401
    assert response.json()["message"] == "Token expired"
    expires_at = datetime.fromisoformat(response.json()["expires_at"].replace("Z", "+00:00"))
    assert expires_at <= datetime.now(UTC)


def test_expire_tokens_expires_old_tokens_and_a_new_auth_works(simulator):
    old = authenticated_session(simulator)
    simulator.simulator.expire_tokens()

    assert old.get("/orders").json()["message"] == "Token expired"
    assert authenticated_session(simulator).get("/orders").status_code == 200


# --- GET /orders -----------------------------------------------------------------------------


def test_orders_come_in_the_documented_envelope(simulator_api):
    response = simulator_api.get("/orders")

    body = response.json()
    assert response.headers["Content-Type"].startswith("application/json")
    assert body["success"] is True
    assert body["total"] == 40
    assert len(body["data"]) == 50 or len(body["data"]) == body["total"]
    assert isinstance(body["time"], int)
    assert datetime.strptime(body["timestamp"], "%Y-%m-%d %H:%M:%S")
    assert abs(body["unix"] - simulator_api.server.simulator.clock.time()) < 2
    assert body["sorts"] == ["id", "created_at", "updated_at"]


def test_default_page_size_is_50(simulator_factory):
    api = authenticated_session(simulator_factory(orders=120))

    body = api.get("/orders").json()

    assert len(body["data"]) == 50
    assert body["total"] == 120


def test_pages_cover_every_order_once_and_total_counts_them_all(simulator_api):
    pages = [
        simulator_api.get("/orders", params={"limit": 15, "page": p}).json() for p in (1, 2, 3, 4)
    ]

    assert [len(p["data"]) for p in pages] == [15, 15, 10, 0]
    assert {p["total"] for p in pages} == {40}
    ids = [o["id"] for p in pages for o in p["data"]]
    assert len(ids) == len(set(ids)) == 40


def test_limit_accepts_up_to_1000_and_rejects_more(simulator_api):
    assert simulator_api.get("/orders", params={"limit": 1000}).status_code == 200

    response = simulator_api.get("/orders", params={"limit": 1001})

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_parameter"


@pytest.mark.parametrize("params", [{"limit": "abc"}, {"page": "0"}, {"page": "-1"}])
def test_bad_paging_values_are_400_invalid_parameter(simulator_api, params):
    response = simulator_api.get("/orders", params=params)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_parameter"


def test_orders_are_newest_first_by_created_at_by_default(simulator_api):
    created = [o["created_at"] for o in all_orders(simulator_api)]

    assert created == sorted(created, reverse=True)
    assert all(datetime.strptime(c, ISO_Z) for c in created)


@pytest.mark.parametrize("field", ["id", "created_at", "updated_at"])
@pytest.mark.parametrize("direction", ["1", "-1"])
def test_sort_by_each_field_and_direction(simulator_api, field, direction):
    orders = all_orders(simulator_api, **{"sort[0]": field, "sort[1]": direction})

    values = [o[field] for o in orders]
    assert values == sorted(values, reverse=direction == "-1")


def test_sort_by_an_unknown_field_is_400(simulator_api):
    response = simulator_api.get("/orders", params={"sort[0]": "total"})

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_parameter"


@pytest.mark.parametrize("status", ["PENDING", "RECEIVED", "IGNORE", "DELIVERED"])
def test_status_filter_returns_only_that_status(simulator_factory, status):
    server = simulator_factory(orders=200, days=1)
    api = authenticated_session(server)
    expected = sum(1 for o in all_orders(api) if o["status"] == status)

    body = api.get("/orders", params={"status": status, "limit": 1000}).json()

    assert body["total"] == expected > 0
    assert {o["status"] for o in body["data"]} == {status}


def test_an_unknown_status_is_400_with_the_documented_message(simulator_api):
    response = simulator_api.get("/orders", params={"status": "DONE"})

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "invalid_parameter",
        "message": "status must be one of PENDING, RECEIVED, IGNORE, DELIVERED",
    }


def test_with_customer_and_receipt_add_both_relations(simulator_api):
    orders = all_orders(simulator_api, **{"with[0]": "customer", "with[1]": "receipt"})

    assert all("customer" in o and "receipt" in o for o in orders)
    received = [o for o in orders if o["status"] == "RECEIVED"]
    assert received
    assert all(o["receipt"]["status"] == 1 for o in received)
    assert all(o["receipt"] is None for o in orders if o["status"] == "PENDING")


def test_with_empty_brackets_is_accepted_too(simulator):
    api = authenticated_session(simulator)

    response = api.get(f"{simulator.base_url}/orders?with[]=receipt&limit=5")

    assert all("receipt" in o for o in response.json()["data"])


def test_without_with_there_are_no_relations(simulator_api):
    assert all("receipt" not in o for o in all_orders(simulator_api))


def test_filters_by_one_value(simulator_api):
    orders = all_orders(simulator_api, **{"filters[0][0]": "venue_id", "filters[0][1]": "2"})

    assert orders
    assert {o["venue_id"] for o in orders} == {2}


def test_filters_by_a_list_of_values(simulator_factory):
    api = authenticated_session(simulator_factory(orders=150))
    wanted = {"WOLT_ORDER", "BOLT_FOOD_ORDER"}

    orders = all_orders(
        api,
        **{
            "filters[0][0]": "type",
            "filters[0][1][0]": "WOLT_ORDER",
            "filters[0][1][1]": "BOLT_FOOD_ORDER",
        },
    )

    assert {o["type"] for o in orders} == wanted
    assert len(orders) == sum(1 for o in all_orders(api) if o["type"] in wanted)


def test_filters_stack_and_combine_with_status(simulator_factory):
    api = authenticated_session(simulator_factory(orders=300))
    everything = all_orders(api)

    orders = all_orders(
        api,
        status="DELIVERED",
        **{
            "filters[0][0]": "integration",
            "filters[0][1]": "wolt",
            "filters[1][0]": "venue_id",
            "filters[1][1]": "1",
        },
    )

    expected = [
        o["id"]
        for o in everything
        if o["status"] == "DELIVERED" and o["integration"] == "wolt" and o["venue_id"] == 1
    ]
    assert [o["id"] for o in orders] == expected
    assert expected


def test_filters_by_id_list_and_by_status(simulator_api):
    ids = [o["id"] for o in all_orders(simulator_api)][:3]

    orders = all_orders(
        simulator_api,
        **{f"filters[0][1][{i}]": str(order_id) for i, order_id in enumerate(ids)},
        **{"filters[0][0]": "id"},
    )

    assert sorted(o["id"] for o in orders) == sorted(ids)


def test_an_unknown_filter_field_is_400_invalid_filter_parameters(simulator_api):
    response = simulator_api.get(
        "/orders", params={"filters[0][0]": "password", "filters[0][1]": "x"}
    )

    assert response.status_code == 400
    assert response.json()["message"] == "Invalid filter parameters"


def test_literal_unencoded_brackets_work_like_encoded_ones(simulator):
    api = authenticated_session(simulator)
    literal = api.get(
        f"{simulator.base_url}/orders?filters[0][0]=venue_id&filters[0][1][0]=1&sort[0]=id&sort[1]=1"
    ).json()
    encoded = api.get(
        f"{simulator.base_url}/orders?filters%5B0%5D%5B0%5D=venue_id"
        "&filters%5B0%5D%5B1%5D%5B0%5D=1&sort%5B0%5D=id&sort%5B1%5D=1"
    ).json()

    assert literal["data"] == encoded["data"]
    assert {o["venue_id"] for o in literal["data"]} == {1}


# --- date[] in Baku time ---------------------------------------------------------------------


@pytest.fixture
def two_late_orders(simulator_factory):
    """An order at 23:30 Baku time on 2 Feb and one at 00:30 Baku time on 3 Feb."""
    server = simulator_factory(orders=0, now=datetime(2026, 2, 5, 12, tzinfo=UTC))
    sim = server.simulator
    late = sim.add_order(created_at="2026-02-02T19:30:00Z")["id"]  # 23:30 in Baku
    after_midnight = sim.add_order(created_at="2026-02-02T20:30:00Z")["id"]  # 00:30 on 3 Feb
    return authenticated_session(server), late, after_midnight


def test_date_range_is_read_in_baku_local_time(two_late_orders):
    api, late, after_midnight = two_late_orders

    on_3rd = all_orders(api, **{"date[0]": "2026-02-03", "date[1]": "2026-02-03"})
    on_2nd = all_orders(api, **{"date[0]": "2026-02-02", "date[1]": "2026-02-02"})

    assert [o["id"] for o in on_3rd] == [after_midnight]
    assert [o["id"] for o in on_2nd] == [late]
    # Both were created on 2 Feb in UTC: only a Baku-time reading splits them.
    assert {o["created_at"][:10] for o in on_3rd + on_2nd} == {"2026-02-02"}


def test_date_bounds_are_inclusive_and_each_may_stand_alone(two_late_orders):
    api, late, after_midnight = two_late_orders

    assert len(all_orders(api, **{"date[0]": "2026-02-02", "date[1]": "2026-02-03"})) == 2
    assert [o["id"] for o in all_orders(api, **{"date[0]": "2026-02-03"})] == [after_midnight]
    assert [o["id"] for o in all_orders(api, **{"date[1]": "2026-02-02"})] == [late]


@pytest.mark.parametrize("value", ["02/03/2026", "2026-02-30", "yesterday"])
def test_a_malformed_date_is_400(two_late_orders, value):
    api, *_ = two_late_orders

    response = api.get("/orders", params={"date[0]": value})

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_parameter"


# --- x-venue ---------------------------------------------------------------------------------


def test_x_venue_narrows_orders_to_that_venue(simulator_api):
    everything = all_orders(simulator_api)

    venue_2 = simulator_api.get("/orders", params={"limit": 1000}, headers={"x-venue": "2"}).json()

    assert venue_2["total"] == sum(1 for o in everything if o["venue_id"] == 2) > 0
    assert {o["venue_id"] for o in venue_2["data"]} == {2}


def test_x_venue_of_another_brand_is_400(simulator_api):
    response = simulator_api.get("/orders", headers={"x-venue": "99"})

    assert response.status_code == 400


def test_an_order_of_another_venue_is_404_under_x_venue(simulator_api):
    order = next(o for o in all_orders(simulator_api) if o["venue_id"] == 1)

    response = simulator_api.get(f"/orders/{order['id']}", headers={"x-venue": "2"})

    assert response.status_code == 404


# --- GET /orders/{id} --------------------------------------------------------------------------

RECEIPT = {"with[0]": "receipt:id,service_notification_id,status"}


def test_order_by_id_with_the_receipt_relation(simulator):
    sim = simulator.simulator
    api = authenticated_session(simulator)
    pending = sim.add_order(status="PENDING")["id"]
    received = sim.add_order(status="RECEIVED")["id"]
    delivered = sim.add_order(status="DELIVERED")["id"]

    receipts = {
        order_id: api.get(f"/orders/{order_id}", params=RECEIPT).json()["data"]["receipt"]
        for order_id in (pending, received, delivered)
    }

    assert receipts[pending] is None
    assert set(receipts[received]) == {"id", "service_notification_id", "status"}
    assert receipts[received]["status"] == 1
    assert receipts[delivered]["status"] == 2


def test_the_receipt_selector_also_works_url_encoded(simulator):
    api = authenticated_session(simulator)
    order_id = simulator.simulator.add_order(status="RECEIVED")["id"]

    body = api.get(
        f"{simulator.base_url}/orders/{order_id}?with%5B0%5D=receipt%3Aid%2Cservice_notification_id%2Cstatus"
    ).json()

    assert body["data"]["receipt"]["status"] == 1


def test_order_by_id_is_the_same_object_as_in_the_list(simulator_api):
    listed = all_orders(simulator_api)[0]

    body = simulator_api.get(f"/orders/{listed['id']}").json()

    assert body["success"] is True
    assert body["data"] == listed


@pytest.mark.parametrize("order_id", ["999999", "abc"])
def test_an_unknown_order_is_404_not_found(simulator_api, order_id):
    response = simulator_api.get(f"/orders/{order_id}")

    assert response.status_code == 404
    assert response.json()["success"] is False
    assert response.json()["error"] == "not_found"


# --- reference data --------------------------------------------------------------------------


def test_venues_are_the_two_baku_venues(simulator_api):
    body = simulator_api.get("/venues").json()

    assert body["success"] is True
    assert body["total"] == 2
    assert [set(v) for v in body["data"]] == [{"id", "name", "is_main", "media"}] * 2
    assert [v["is_main"] for v in body["data"]] == [1, 0]


def test_sale_types_carry_the_documented_fields(simulator_api):
    body = simulator_api.get("/sale-types").json()

    assert [(s["name"], s["system_type"]) for s in body["data"]] == [
        ("Yerinde", "IN"),
        ("Catdirilma", "DELIVERY"),
        ("Takeaway", "TAKEAWAY"),
    ]
    fields = {
        "id",
        "name",
        "system_type",
        "channel",
        "status",
        "service_charge_rate",
        "position",
        "media",
        "created_at",
        "updated_at",
    }
    assert all(set(s) == fields for s in body["data"])
    assert all(set(s["status"]) == {"1", "2"} for s in body["data"])


def test_an_unknown_route_is_404(simulator_api):
    assert simulator_api.get("/receipts-of-nothing").status_code == 404


# --- rate limits -------------------------------------------------------------------------------


def test_every_authenticated_response_carries_ratelimit_headers(simulator_api):
    responses = [
        simulator_api.get("/orders"),
        simulator_api.get("/venues"),
        simulator_api.get("/orders/999999"),
        simulator_api.get("/orders", params={"status": "nope"}),
    ]

    remaining = [int(r.headers["RateLimit-Remaining"]) for r in responses]
    assert remaining == [299, 298, 297, 296]
    assert {r.headers["RateLimit-Limit"] for r in responses} == {"300"}
    assert all(0 < int(r.headers["RateLimit-Reset"]) <= 60 for r in responses)


def test_past_the_limit_the_answer_is_429_rate_limited(simulator_factory):
    api = authenticated_session(simulator_factory(rate_limit=5))

    responses = [api.get("/orders", params={"limit": 1}) for _ in range(6)]

    assert [r.status_code for r in responses] == [200] * 5 + [429]
    assert responses[-1].json() == {
        "success": False,
        "error": "rate_limited",
        "message": "Too many requests. Retry later.",
    }
    assert responses[-1].headers["RateLimit-Remaining"] == "0"
    assert 0 < int(responses[-1].headers["RateLimit-Reset"]) <= 60


def test_the_limit_is_per_integrator_and_brand_so_a_new_token_does_not_reset_it(
    simulator_factory,
):
    server = simulator_factory(rate_limit=3)
    first = authenticated_session(server)
    for _ in range(3):
        first.get("/venues")

    second = authenticated_session(server)

    assert second.get("/venues").status_code == 429


# --- request log -------------------------------------------------------------------------------


def test_the_request_log_records_method_path_query_and_status(simulator):
    api = authenticated_session(simulator)
    simulator.simulator.reset_log()

    api.get("/orders", params={"filters[0][0]": "status", "filters[0][1][0]": "PENDING"})
    api.get("/orders/1")

    log = simulator.simulator.request_log
    assert [(e.method, e.path, e.status) for e in log] == [
        ("GET", "/orders", 200),
        ("GET", "/orders/1", 404),
    ]
    assert log[0].query == {"filters[0][0]": "status", "filters[0][1][0]": "PENDING"}
    assert "x-token" in log[0].headers


def test_the_request_log_keeps_only_the_newest_entries(simulator_factory):
    server = simulator_factory(request_log_size=3)
    api = authenticated_session(server)  # POST /auth is the first entry

    for page in (1, 2, 3):
        api.get("/venues", params={"page": page})

    assert [e.query for e in server.simulator.request_log] == [
        {"page": "1"},
        {"page": "2"},
        {"page": "3"},
    ]


# --- PUT /orders/{id} --------------------------------------------------------------------------


def test_put_ignore_moves_the_order_to_ignore(simulator):
    api = authenticated_session(simulator)
    order_id = simulator.simulator.add_order(progress=False)["id"]

    response = api.put(f"/orders/{order_id}", json={"status": "IGNORE"})

    assert response.status_code == 200
    assert response.json()["data"] == {"id": order_id, "status": "IGNORE"}
    assert api.get(f"/orders/{order_id}").json()["data"]["status"] == "IGNORE"


@pytest.mark.parametrize("body", [{"status": "RECEIVED"}, {"status": "DELIVERED"}, {}])
def test_put_with_any_other_status_is_400_validation_failed(simulator, body):
    api = authenticated_session(simulator)
    order_id = simulator.simulator.add_order(progress=False)["id"]

    response = api.put(f"/orders/{order_id}", json=body)

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "validation_failed",
        "message": "Status is not allowed",
    }
    assert simulator.simulator.order(order_id)["status"] == "PENDING"


def test_restricted_to_the_token_venue_without_x_venue(simulator_factory):
    api = authenticated_session(simulator_factory(restrict_to_token_venue=True))

    default = api.get("/orders", params={"limit": 1000}).json()["data"]
    other = api.get("/orders", params={"limit": 1000}, headers={"x-venue": "2"}).json()["data"]

    assert {o["venue_id"] for o in default} == {1}
    assert {o["venue_id"] for o in other} == {2}


def test_a_malformed_request_is_answered_with_a_500_rather_than_a_hang(simulator):
    import socket

    with socket.create_connection(("127.0.0.1", simulator.port), timeout=5) as conn:
        conn.sendall(b"GET /open-api/v2/orders HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
        reply = b""
        while chunk := conn.recv(4096):  # the server closes the connection after answering
            reply += chunk

    assert reply.startswith(b"HTTP/1.1 500")
    assert b'"error":"simulator_error"' in reply
