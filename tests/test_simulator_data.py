"""The simulated restaurant: realistic, reproducible, and moving over time."""

from __future__ import annotations

import re
import statistics
from datetime import UTC, datetime, timedelta

import pytest
import requests

from orders_app.clopos.simulator import MODIFIER_SHAPES, modifier_shape
from orders_app.clopos.simulator.restaurant import HOSTILE
from tests.fixtures.simulator import authenticated_session

NOW = datetime(2026, 2, 5, 12, 0, tzinfo=UTC)
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000000Z$")
AZ_LETTERS = set("əıİşçğöüƏŞÇĞÖÜ")
FINAL = {"DELIVERED", "IGNORE"}


def everything(server) -> list[dict]:
    body = authenticated_session(server).get("/orders", params={"limit": 1000}).json()
    assert body["total"] == len(body["data"])
    return body["data"]


def products(orders: list[dict]) -> list[dict]:
    return [p for o in orders if o.get("payload") for p in o["payload"].get("products", [])]


@pytest.fixture
def restaurant(simulator_factory):
    """300 orders over 7 days, the `make run` default."""
    return everything(simulator_factory(orders=300, days=7, now=NOW))


# --- reproducible ------------------------------------------------------------------------------


def test_the_same_seed_and_start_give_the_same_orders(simulator_factory):
    first = everything(simulator_factory(seed=5, now=NOW))
    again = everything(simulator_factory(seed=5, now=NOW))

    assert first == again


def test_another_seed_gives_another_restaurant(simulator_factory):
    first = everything(simulator_factory(seed=5, now=NOW))
    other = everything(simulator_factory(seed=6, now=NOW))

    assert [o["created_at"] for o in first] != [o["created_at"] for o in other]


def test_seeded_orders_spread_over_the_requested_days(simulator_factory):
    orders = everything(simulator_factory(orders=200, days=3, now=NOW))

    created = [datetime.fromisoformat(o["created_at"].replace("Z", "+00:00")) for o in orders]
    assert min(created) >= NOW - timedelta(days=3)
    assert max(created) <= NOW
    assert len({c.date() for c in created}) >= 3
    assert [o["id"] for o in orders] == sorted((o["id"] for o in orders), reverse=True)


# --- realistic -----------------------------------------------------------------------------------


def test_orders_have_the_published_shape(restaurant):
    full = next(o for o in restaurant if "meta" in o["payload"] and "service" in o["payload"])

    assert {
        "id",
        "venue_id",
        "type",
        "integration",
        "integration_uuid",
        "integration_id",
        "customer_ref_id",
        "integration_status",
        "status",
        "payload",
        "created_at",
        "updated_at",
        "integration_response",
    } <= set(full)
    assert {"service", "customer", "products", "meta", "delivery_fee"} <= set(full["payload"])
    assert set(full["payload"]["service"]) == {"sale_type_id", "venue_id"}
    assert {"comment", "discount", "apply_service_charge", "service_charge_value"} <= set(
        full["payload"]["meta"]
    )
    assert set(full["payload"]["meta"]["discount"]) == {"discount_type", "discount_value"}
    assert all(ISO_Z.match(o["created_at"]) and ISO_Z.match(o["updated_at"]) for o in restaurant)


def test_every_product_line_has_the_published_fields(restaurant):
    for line in products(restaurant):
        assert {"product_id", "count", "portion_size", "product_modificators", "meta"} <= set(line)
        order_product = line["meta"]["order_product"]
        assert {"product", "count", "status", "product_modificators", "product_hash"} <= set(
            order_product
        )
        assert set(order_product["product"]) == {"id", "name", "price"}
        assert line["meta"]["price"] == order_product["product"]["price"]


def test_every_modifier_shape_appears_even_in_a_small_restaurant(simulator):
    mods = [m for p in products(everything(simulator)) for m in p["product_modificators"]]

    assert {modifier_shape(m) for m in mods} == set(MODIFIER_SHAPES)


def test_unknown_modifiers_are_bare_strings_or_unfamiliar_objects(restaurant):
    mods = [m for p in products(restaurant) for m in p["product_modificators"]]
    unknown = [m for m in mods if modifier_shape(m) == "unknown"]

    assert unknown
    assert all(isinstance(m, str) or "title" in m for m in unknown)


def test_each_known_modifier_shape_has_its_documented_keys(restaurant):
    expected = {
        "modifier": {"modifier_id", "modifier_name", "count", "price", "portion_size"},
        "modificator": {"modificator_id", "name", "count", "price"},
        "id": {"id", "name", "count", "price"},
        "nested": {"modificator", "count", "price"},
    }
    mods = [m for p in products(restaurant) for m in p["product_modificators"]]

    for shape, keys in expected.items():
        of_shape = [m for m in mods if modifier_shape(m) == shape]
        assert of_shape, shape
        assert all(set(m) == keys for m in of_shape), shape
    nested = [m for m in mods if modifier_shape(m) == "nested"]
    assert all(set(m["modificator"]) == {"id", "name", "price"} for m in nested)


def test_names_are_azerbaijani_russian_and_english(restaurant):
    names = {o["payload"]["customer"]["name"] for o in restaurant if o["payload"].get("customer")}
    dishes = {p["meta"]["order_product"]["product"]["name"] for p in products(restaurant)}
    text = " ".join(names | dishes)

    assert AZ_LETTERS & set(text)
    assert re.search("[А-Яа-я]", text)
    assert {"Pizza Margherita", "Şah plov", "Yarpaq dolması"} & dishes
    assert any(re.fullmatch(r"[A-Za-z' ]+", n) for n in names)


def test_phones_are_azerbaijani_numbers_in_varied_spellings(restaurant):
    phones = {o["payload"]["customer"]["phone"] for o in restaurant if o["payload"].get("customer")}
    digits = {re.sub(r"\D", "", p) for p in phones}

    assert all(d.startswith(("994", "0")) for d in digits)
    assert all(len(d.removeprefix("994").removeprefix("0")) == 9 for d in digits)
    spellings = {re.sub(r"\d", "9", p) for p in phones}
    assert {"+999 99 999 99 99", "+999999999999", "999 999 99 99"} <= spellings


def test_channels_venues_and_sale_types_are_all_represented(restaurant):
    assert {(o["type"], o["integration"]) for o in restaurant} == {
        ("CALL_CENTER_ORDER", "call_center_new"),
        ("WOLT_ORDER", "wolt"),
        ("BOLT_FOOD_ORDER", "bolt_food"),
        ("WEB_ORDER", "web_shop"),
    }
    assert {o["venue_id"] for o in restaurant} == {1, 2}
    assert {o["payload"]["sale_type_id"] for o in restaurant} == {1, 2, 3}


def test_delivery_fees_only_on_deliveries_and_money_extras_appear(restaurant):
    with_fee = [o for o in restaurant if o["payload"].get("delivery_fee")]
    metas = [o["payload"]["meta"] for o in restaurant if "meta" in o["payload"]]

    assert with_fee
    assert {o["payload"]["sale_type_id"] for o in with_fee} == {2}
    assert any(m["discount"]["discount_value"] for m in metas)
    assert any(m["apply_service_charge"] and m["service_charge_value"] for m in metas)
    assert any(m["comment"] for m in metas)
    assert any(p.get("note") for p in products(restaurant))


def test_liberal_test_data_null_customers_missing_blocks_and_extra_fields(simulator):
    orders = everything(simulator)

    assert any(o["payload"]["customer"] is None for o in orders)
    assert any("meta" not in o["payload"] for o in orders)
    assert any("service" not in o["payload"] for o in orders)
    assert any("courier" in o and "loyalty_points" in o for o in orders)


def test_delivery_apps_carry_external_ids(restaurant):
    apps = [o for o in restaurant if o["integration"] in ("wolt", "bolt_food")]

    assert all(o["integration_uuid"] and o["integration_id"] for o in apps)
    assert all(
        o["integration_uuid"] is None for o in restaurant if o["type"] == "CALL_CENTER_ORDER"
    )


# --- hostile text --------------------------------------------------------------------------------


def test_hostile_text_round_trips_as_plain_json_data(simulator_factory):
    server = simulator_factory(hostile=True)

    response = authenticated_session(server).get("/orders", params={"limit": 1000})

    hostile = [o for o in response.json()["data"] if o["payload"].get("customer")]
    hostile = [o for o in hostile if o["payload"]["customer"]["name"] == HOSTILE["name"]]
    assert len(hostile) == 1
    payload = hostile[0]["payload"]
    assert payload["meta"]["comment"] == HOSTILE["comment"]
    assert payload["customer"]["address"] == HOSTILE["address"]
    assert any(p.get("note") == HOSTILE["note"] for p in payload["products"])
    assert response.headers["Content-Type"].startswith("application/json")


def test_hostile_text_added_over_http_comes_back_unchanged(simulator):
    name = '"><img src=x onerror=alert(1)>'
    created = requests.post(
        f"{simulator.root_url}/_sim/orders",
        json={"customer": {"id": 1, "name": name, "phone": "+994501234567", "address": None}},
        timeout=5,
    ).json()["data"]

    fetched = authenticated_session(simulator).get(f"/orders/{created['id']}").json()["data"]

    assert fetched["payload"]["customer"]["name"] == name


def test_the_demo_restaurant_has_no_hostile_text_unless_asked(restaurant):
    assert "<script>" not in str(restaurant)


# --- moving over time ----------------------------------------------------------------------------


def test_orders_move_pending_received_delivered_with_the_clock(simulator_factory):
    server = simulator_factory(orders=0, now=NOW)
    sim = server.simulator
    ids = [sim.add_order()["id"] for _ in range(30)]
    seen: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}

    for _ in range(0, 60 * 60, 30):
        for order_id in ids:
            order = sim.order(order_id)
            if not seen[order_id] or seen[order_id][-1][0] != order["status"]:
                seen[order_id].append((order["status"], order["updated_at"]))
        sim.clock.advance(30)

    paths = {tuple(s for s, _ in steps) for steps in seen.values()}
    assert paths <= {
        ("PENDING", "RECEIVED", "DELIVERED"),
        ("PENDING", "IGNORE"),
        ("PENDING", "RECEIVED", "IGNORE"),
    }
    assert ("PENDING", "RECEIVED", "DELIVERED") in paths
    for steps in seen.values():
        updated = [u for _, u in steps]
        assert updated == sorted(updated) and len(set(updated)) == len(updated)


def test_acceptance_takes_one_to_four_minutes_and_delivery_twenty_to_fifty(simulator_factory):
    server = simulator_factory(orders=0, now=NOW)
    sim = server.simulator
    ids = [sim.add_order()["id"] for _ in range(40)]
    received_after: dict[int, float] = {}
    final_after: dict[int, float] = {}

    for elapsed in range(0, 55 * 60 + 1, 15):
        for order_id in ids:
            status = sim.order(order_id)["status"]
            if status == "RECEIVED":
                received_after.setdefault(order_id, elapsed)
            if status == "DELIVERED":
                final_after.setdefault(order_id, elapsed)
        sim.clock.advance(15)

    assert received_after and final_after
    assert all(60 <= t <= 4 * 60 + 15 for t in received_after.values())
    assert all(20 * 60 <= t <= 50 * 60 + 15 for t in final_after.values())
    assert statistics.mean(final_after.values()) > 25 * 60


def test_status_changes_show_in_the_api_with_a_later_updated_at(simulator):
    sim = simulator.simulator
    api = authenticated_session(simulator)
    order_id = sim.add_order(progress=False)["id"]
    before = api.get(f"/orders/{order_id}").json()["data"]

    sim.clock.advance(90)
    sim.set_status(order_id, "RECEIVED")
    after = api.get(f"/orders/{order_id}").json()["data"]

    assert (before["status"], after["status"]) == ("PENDING", "RECEIVED")
    assert after["updated_at"] > before["updated_at"]
    newest = api.get("/orders", params={"sort[0]": "updated_at", "limit": 1}).json()["data"][0]
    assert newest["id"] == order_id


def test_an_explicit_status_stops_automatic_progress(simulator):
    sim = simulator.simulator
    order_id = sim.add_order()["id"]

    sim.set_status(order_id, "RECEIVED")
    sim.clock.advance(3 * 60 * 60)

    assert sim.order(order_id)["status"] == "RECEIVED"


def test_an_order_added_with_progress_off_stays_pending(simulator):
    sim = simulator.simulator
    order_id = sim.add_order(progress=False)["id"]

    sim.clock.advance(3 * 60 * 60)

    assert sim.order(order_id)["status"] == "PENDING"


def test_an_edit_moves_updated_at_and_keeps_the_rest(simulator):
    sim = simulator.simulator
    order = sim.add_order(comment="Qapıda zəng edin")
    sim.clock.advance(120)

    edited = sim.update_order(order["id"], comment="Leave at the door", payload={"tip": 2})

    assert edited["payload"]["meta"]["comment"] == "Leave at the door"
    assert edited["payload"]["tip"] == 2
    assert edited["updated_at"] > order["updated_at"]
    assert edited["created_at"] == order["created_at"]


def test_new_orders_arrive_every_new_every_seconds(simulator_factory):
    server = simulator_factory(orders=10, new_every=60, now=NOW)
    api = authenticated_session(server)
    before = api.get("/orders").json()

    server.simulator.clock.advance(185)
    after = api.get("/orders").json()

    assert after["total"] == before["total"] + 3
    newest = after["data"][0]
    assert newest["status"] == "PENDING"
    assert newest["created_at"] == (NOW + timedelta(seconds=180)).strftime(
        "%Y-%m-%dT%H:%M:%S.000000Z"
    )


def test_live_orders_are_reproducible_for_a_seed(simulator_factory):
    def live(seed: int) -> list[dict]:
        server = simulator_factory(seed=seed, orders=0, new_every=30, now=NOW)
        server.simulator.clock.advance(300)
        return everything(server)

    assert live(3) == live(3)
    assert len(live(3)) == 10


def test_the_clock_follows_real_time_unless_frozen(simulator_factory):
    moving = simulator_factory(frozen=False).simulator.clock
    frozen = simulator_factory(frozen=True).simulator.clock
    start_moving, start_frozen = moving.time(), frozen.time()

    import time

    time.sleep(0.3)

    assert moving.time() - start_moving >= 0.25
    assert frozen.time() == start_frozen


# --- HTTP controls -------------------------------------------------------------------------------


def test_http_controls_drive_a_simulator_in_another_process(simulator):
    sim_url = simulator.root_url + "/_sim"
    api = authenticated_session(simulator)

    created = requests.post(f"{sim_url}/orders", json={"progress": False}, timeout=5).json()
    order_id = created["data"]["id"]
    requests.post(f"{sim_url}/clock", json={"advance": 60}, timeout=5)
    moved = requests.post(
        f"{sim_url}/orders/{order_id}/status", json={"status": "RECEIVED"}, timeout=5
    ).json()
    edited = requests.post(
        f"{sim_url}/orders/{order_id}", json={"comment": "Zəng etməyin"}, timeout=5
    ).json()
    state = requests.get(f"{sim_url}/state", timeout=5).json()["data"]

    assert moved["data"]["status"] == "RECEIVED"
    assert edited["data"]["payload"]["meta"]["comment"] == "Zəng etməyin"
    assert api.get(f"/orders/{order_id}").json()["data"]["status"] == "RECEIVED"
    assert state["orders"] == 41


def test_http_controls_expire_tokens_and_read_the_request_log(simulator):
    sim_url = simulator.root_url + "/_sim"
    api = authenticated_session(simulator)
    requests.delete(f"{sim_url}/requests", timeout=5)
    api.get("/venues")

    requests.post(f"{sim_url}/tokens/expire", timeout=5)
    expired = api.get("/venues")
    log = requests.get(f"{sim_url}/requests", timeout=5).json()["data"]

    assert expired.json()["message"] == "Token expired"
    assert [(e["path"], e["status"]) for e in log] == [("/venues", 200), ("/venues", 401)]


def test_http_controls_answer_400_and_404_on_bad_input(simulator):
    sim_url = simulator.root_url + "/_sim"

    bad_status = requests.post(f"{sim_url}/orders/10001/status", json={"status": "X"}, timeout=5)
    missing = requests.post(f"{sim_url}/orders/1/status", json={"status": "IGNORE"}, timeout=5)
    bad_fault = requests.post(f"{sim_url}/faults", json={"kind": "teapot"}, timeout=5)

    assert bad_status.status_code == 400
    assert missing.status_code == 404
    assert bad_fault.status_code == 400


# --- paging a large restaurant (its speed is measured by bench/bench_sync.py, not asserted) ------


@pytest.mark.slow
def test_paging_20000_orders_by_200_returns_each_order_once_newest_first(simulator_factory):
    server = simulator_factory(orders=20_000, days=7, frozen=False)
    api = authenticated_session(server)

    ids, created = [], []
    for page in range(1, 101):
        body = api.get("/orders", params={"limit": 200, "page": page}).json()
        assert body["total"] == 20_000
        assert len(body["data"]) == 200
        ids += [row["id"] for row in body["data"]]
        created += [row["created_at"] for row in body["data"]]
    past_the_end = api.get("/orders", params={"limit": 200, "page": 101}).json()

    assert len(set(ids)) == 20_000
    assert created == sorted(created, reverse=True)
    assert past_the_end["data"] == []


def test_setting_the_clock_back_hides_later_orders_until_time_catches_up(simulator_factory):
    sim = simulator_factory(orders=0, now=NOW).simulator
    early = sim.add_order(progress=False)["id"]
    sim.clock.advance(600)
    late = sim.add_order(progress=False)["id"]

    sim.clock.set(NOW + timedelta(seconds=300))
    hidden = sim.order_ids()
    sim.clock.advance(600)

    assert hidden == [early]
    assert sim.order_ids() == [early, late]


def test_statuses_keep_moving_after_many_refreshes(simulator_factory):
    """Settled orders drop out of the refresh set; orders with steps ahead stay in it."""
    sim = simulator_factory(orders=0, now=NOW).simulator
    ids = [sim.add_order()["id"] for _ in range(5)]
    sim.clock.advance(30)
    sim.order_ids()  # a refresh while every order is still PENDING

    sim.clock.advance(2 * 60 * 60)

    assert {sim.order(i)["status"] for i in ids} <= FINAL
