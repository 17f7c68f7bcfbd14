"""The simulator's kitchen reference data and stop list (docs/clopos.md §6): GET /stations,
/products, /products/{id} and /products/stop-list, and the faults the POS routes suffer like
/orders does (§3)."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import requests

from orders_app.clopos.simulator.restaurant import MENU
from tests.fixtures.clock import SIMULATOR_NOW
from tests.fixtures.simulator import SimulatorSession, authenticated_session

LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
PRODUCT_FIELDS = {
    "id", "parent_id", "station_id", "category_id", "unit_id", "type", "name", "full_name",
    "status", "hidden", "price", "cost_price", "barcode", "sold_by_weight", "cooking_time",
    "venues", "created_at",
}  # fmt: skip
BAKU_MIDNIGHT = SIMULATOR_NOW.replace(hour=0, minute=0) - timedelta(hours=4)  # 2026-02-02 00:00


def products(api: SimulatorSession, **params) -> list[dict]:
    body = api.get("/products", params={"limit": 100, **params}).json()
    assert body["success"] is True
    return body["data"]


# --- GET /stations ----------------------------------------------------------------------------


def test_stations_are_the_four_kitchen_stations_in_the_documented_shape(simulator_api):
    body = simulator_api.get("/stations").json()

    assert body["success"] is True
    assert body["total"] == 4
    assert [(s["name"], s["type"]) for s in body["data"]] == [
        ("Grill", 1),
        ("Cold kitchen", 1),
        ("Bar", 0),
        ("Bakery", 1),
    ]
    for station in body["data"]:
        assert set(station) == {"id", "name", "status", "type", "printable"}
        assert isinstance(station["id"], int) and station["status"] == 1
        assert isinstance(station["printable"], bool)


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"can_print": "0"}, ["Bakery"]),
        ({"can_print": "1"}, ["Grill", "Cold kitchen", "Bar"]),
        ({"status": "1"}, ["Grill", "Cold kitchen", "Bar", "Bakery"]),
        ({"status": "0"}, []),
        ({"limit": "2", "page": "2"}, ["Bar", "Bakery"]),
    ],
)
def test_station_parameters_narrow_the_list(simulator_api, params, names):
    body = simulator_api.get("/stations", params=params).json()

    assert [s["name"] for s in body["data"]] == names


@pytest.mark.parametrize("params", [{"limit": "201"}, {"limit": "0"}, {"status": "on"}])
def test_bad_station_parameters_are_400(simulator_api, params):
    response = simulator_api.get("/stations", params=params)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_parameter"


def test_a_station_by_id_and_an_unknown_one(simulator_api):
    bar = simulator_api.get("/stations/3").json()["data"]
    missing = simulator_api.get("/stations/99")

    assert bar == {"id": 3, "name": "Bar", "status": 1, "type": 0, "printable": True}
    assert missing.status_code == 404
    assert missing.json()["error"] == "resource_not_found"


# --- GET /products -----------------------------------------------------------------------------


def test_every_menu_item_is_a_product_with_the_documented_fields(simulator_api):
    rows = products(simulator_api)

    assert [p["id"] for p in rows] == sorted(item.id for item in MENU)
    assert {p["name"] for p in rows} == {item.name for item in MENU}
    for product in rows:
        assert set(product) >= PRODUCT_FIELDS
        assert LOCAL_TIME.match(product["created_at"])
        assert product["venues"] and all(set(v) == {"id", "name"} for v in product["venues"])
        assert product["cost_price"] < product["price"]


def test_cooked_food_is_a_dish_with_a_cooking_time_and_drinks_are_goods_without(simulator_api):
    rows = {p["id"]: p for p in products(simulator_api)}

    assert {p["type"] for p in rows.values()} == {"DISH", "GOODS"}
    assert all(
        isinstance(p["cooking_time"], int) and p["cooking_time"] > 0
        for p in rows.values()
        if p["type"] == "DISH"
    )
    assert all(p["cooking_time"] is None for p in rows.values() if p["type"] == "GOODS")
    assert {pid for pid, p in rows.items() if p["type"] == "GOODS"} == {
        401,
        402,
        403,
        404,
        405,
        406,
        407,
    }


@pytest.mark.parametrize(
    ("product_id", "station"),
    [
        (208, "Grill"),  # Lülə kabab
        (201, "Grill"),  # Şah plov
        (215, "Cold kitchen"),  # Çoban salatı
        (214, "Cold kitchen"),  # Chicken Caesar Salad
        (401, "Bar"),  # Ayran
        (404, "Bar"),  # Coca-Cola
        (206, "Bakery"),  # Göyərti qutabı
        (501, "Bakery"),  # Paxlava
        (505, "Bakery"),  # Şəkər çörəyi
    ],
)
def test_each_item_is_made_at_a_sensible_station(simulator_api, product_id, station):
    product = simulator_api.get(f"/products/{product_id}", params={"with[0]": "station"}).json()[
        "data"
    ]

    assert product["station"]["name"] == station
    assert product["station_id"] == product["station"]["id"]


def test_products_page_like_the_other_lists(simulator_api):
    first = simulator_api.get("/products").json()
    pages = [
        simulator_api.get("/products", params={"limit": 10, "page": n}).json()
        for n in (1, 2, 3, 4, 5)
    ]

    assert first["total"] == len(MENU) == len(first["data"])  # 38 < the default 50
    assert [len(p["data"]) for p in pages] == [10, 10, 10, 8, 0]
    assert [p["id"] for page in pages for p in page["data"]] == [p["id"] for p in first["data"]]


def test_products_limit_above_100_is_400(simulator_api):
    response = simulator_api.get("/products", params={"limit": 101})

    assert response.status_code == 400
    assert "between 1 and 100" in response.json()["message"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("type", "GOODS"),
        ("type", "DISH"),
        ("station_id", "3"),
        ("station_id", "4"),
        ("category_id", "1"),
    ],
)
def test_products_filter_on_their_structure(simulator_api, field, value):
    rows = products(simulator_api, **{"filters[0][0]": field, "filters[0][1][0]": value})

    assert rows
    assert len(rows) < len(MENU)
    assert all(str(p[field]) == value for p in rows)


def test_a_product_filter_on_a_date_or_an_unknown_field_is_400(simulator_api):
    for field in ("created_at", "colour"):
        response = simulator_api.get(
            "/products", params={"filters[0][0]": field, "filters[0][1][0]": "x"}
        )
        assert response.status_code == 400
        assert response.json()["message"] == "Invalid filter parameters"


def test_product_relations_come_only_when_asked(simulator_api):
    plain = products(simulator_api)
    full = products(
        simulator_api,
        **{
            "with[0]": "station",
            "with[1]": "category",
            "with[2]": "unit",
            "with[3]": "modificator_groups",
            "with[4]": "taxes",
        },
    )

    assert not any(
        {"station", "category", "unit", "modificator_groups", "taxes"} & set(p) for p in plain
    )
    assert all(
        p["station"]["id"] == p["station_id"] and p["category"]["id"] == p["category_id"]
        for p in full
    )
    assert all(p["unit"] == {"id": 1, "name": "ədəd"} for p in full)
    assert all(p["modificator_groups"] == [] for p in full if p["type"] == "GOODS")
    groups = [g for p in full for g in p["modificator_groups"]]
    assert groups and all(
        g["modificators"] and {"id", "name", "price"} == set(g["modificators"][0]) for g in groups
    )


def test_selects_narrows_the_fields(simulator_api):
    rows = products(simulator_api, selects="id,name,cooking_time")
    with_station = products(simulator_api, selects="id", **{"with[0]": "station"})

    assert all(set(p) == {"id", "name", "cooking_time"} for p in rows)
    assert all(set(p) == {"id", "station"} for p in with_station)
    assert simulator_api.get("/products", params={"selects": "colour"}).status_code == 400


def test_a_product_by_id_is_the_same_object_as_in_the_list_and_unknown_ones_are_404(simulator_api):
    listed = next(p for p in products(simulator_api) if p["id"] == 203)

    single = simulator_api.get("/products/203").json()["data"]
    missing = simulator_api.get("/products/9999")

    assert single == listed
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"


def test_receipt_lines_name_the_station_their_product_has(simulator_api):
    stations = {p["id"]: p["station_id"] for p in products(simulator_api)}
    receipts = simulator_api.get(
        "/receipts", params={"limit": 1000, "with[0]": "receipt_products.product.station"}
    ).json()["data"]

    lines = [line for r in receipts for line in r["receipt_products"]]
    assert lines
    assert all(
        line["meta"]["product"]["station"]["id"] == stations[line["product_id"]] for line in lines
    )


# --- GET /products/stop-list ------------------------------------------------------------------


def stop_list(api: SimulatorSession, **params) -> list[dict]:
    body = api.get("/products/stop-list", params=params).json()
    assert body["success"] is True
    return body["data"]


def test_the_stop_list_has_the_documented_shape(simulator_api):
    rows = stop_list(simulator_api)
    menu = {item.id for item in MENU}

    assert rows  # at 14:30 in Baku, seed 1 has one dish sold out
    for entry in rows:
        assert set(entry) == {"id", "limit", "timestamp"}
        assert entry["id"] in menu
        assert isinstance(entry["limit"], int) and entry["limit"] >= 0
        assert (
            SIMULATOR_NOW.timestamp() * 1000 - 86_400_000
            < entry["timestamp"]
            <= SIMULATOR_NOW.timestamp() * 1000
        )


def test_the_stop_list_changes_through_the_simulated_day(simulator):
    sim = simulator.simulator
    seen = []
    for quarter in range(3 * 24 * 4):  # three days, every 15 minutes
        sim.clock.set(BAKU_MIDNIGHT - timedelta(days=1) + timedelta(minutes=15 * quarter))
        seen.append(tuple((e["id"], e["limit"]) for e in sim.stop_list_entries()))

    entries = {entry for snapshot in seen for entry in snapshot}
    assert () in seen  # empty is normal: before opening, for a start
    assert any(limit == 0 for _pid, limit in entries)
    assert any(limit > 0 for _pid, limit in entries)
    assert len(set(seen)) > 5
    counted = {}
    for snapshot in seen:
        for pid, limit in snapshot:
            counted.setdefault(pid, []).append(limit)
    assert any(
        limits == sorted(limits, reverse=True) and len(set(limits)) > 1
        for limits in counted.values()
    )


def test_a_small_limit_counts_down_as_receipts_take_the_product(simulator):
    sim = simulator.simulator
    sim.stop_product(207, limit=5, count_down=True)
    sim.clock.advance(60)

    sim.open_table(products=[(207, 2)])
    two_taken = sim.stop_list_entries(frozenset({207}))
    sim.clock.advance(60)
    sim.open_table(products=[(207, 4)])
    all_taken = sim.stop_list_entries(frozenset({207}))

    assert two_taken == [
        {"id": 207, "limit": 3, "timestamp": int(SIMULATOR_NOW.timestamp() * 1000) + 60_000}
    ]
    assert all_taken == [
        {"id": 207, "limit": 0, "timestamp": int(SIMULATOR_NOW.timestamp() * 1000) + 120_000}
    ]


def test_a_fixed_limit_stays_and_a_released_product_leaves_the_list(simulator_api, simulator):
    sim = simulator.simulator
    sim.stop_product(401, limit=2)
    sim.open_table(products=[401])
    fixed = stop_list(simulator_api)

    sim.release_product(401)
    sim.release_product(212)  # the day's own sold-out dish too
    released = stop_list(simulator_api)

    assert {"id": 401, "limit": 2, "timestamp": int(SIMULATOR_NOW.timestamp() * 1000)} in fixed
    assert not {401, 212} & {e["id"] for e in released}


def test_the_stop_list_filter_narrows_to_the_given_ids(simulator_api, simulator):
    sim = simulator.simulator
    for product_id in (101, 102, 103):
        sim.stop_product(product_id, limit=0)

    rows = stop_list(
        simulator_api,
        **{"filters[0][0]": "id", "filters[0][1][0]": "101", "filters[0][1][1]": "103"},
    )
    literal = simulator_api.get(
        f"{simulator.base_url}/products/stop-list?filters[0][0]=id&filters[0][1][0]=102"
    ).json()["data"]

    assert [e["id"] for e in rows] == [101, 103]
    assert [e["id"] for e in literal] == [102]


@pytest.mark.parametrize(
    "params",
    [
        {"filters[0][0]": "limit", "filters[0][1][0]": "0"},
        {"filters[0][0]": "id", "filters[0][1][0]": "x"},
        {"filters": "id"},
    ],
)
def test_a_bad_stop_list_filter_is_400_invalid_filter_parameters(simulator_api, params):
    response = simulator_api.get("/products/stop-list", params=params)

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "invalid_parameter",
        "message": "Invalid filter parameters",
    }


def test_the_stop_list_is_the_same_for_a_seed(simulator_factory):
    first, second = simulator_factory().simulator, simulator_factory().simulator
    snapshots = []
    for sim in (first, second):
        sim.clock.set(BAKU_MIDNIGHT)
        snapshots.append([])
        for _ in range(96):
            sim.clock.advance(900)
            snapshots[-1].append(sim.stop_list_entries())

    assert snapshots[0] == snapshots[1]


def test_http_controls_put_products_on_and_off_the_stop_list(simulator, simulator_api):
    sim_url = simulator.root_url + "/_sim"

    put = requests.post(f"{sim_url}/stop-list", json={"product_id": 209, "limit": 3}, timeout=5)
    listed = stop_list(simulator_api)
    off = requests.delete(f"{sim_url}/stop-list/209", timeout=5)
    bad = requests.post(f"{sim_url}/stop-list", json={"product_id": 209, "limit": -1}, timeout=5)
    unknown = requests.post(f"{sim_url}/stop-list", json={"product_id": 1, "limit": 0}, timeout=5)

    assert put.status_code == 200 and {"id": 209, "limit": 3} in [
        {"id": e["id"], "limit": e["limit"]} for e in put.json()["data"]
    ]
    assert 209 in {e["id"] for e in listed}
    assert 209 not in {e["id"] for e in off.json()["data"]}
    assert (bad.status_code, unknown.status_code) == (400, 404)


def test_the_day_s_own_stop_list_can_be_turned_off(simulator_factory):
    api = authenticated_session(simulator_factory(auto_stop_list=False))

    assert stop_list(api) == []


# --- faults on the POS routes ---------------------------------------------------------------------

POS_ROUTES = [
    "/receipts",
    "/receipts/{receipt}",
    "/stations",
    "/products",
    "/products/203",
    "/products/stop-list",
]


def route(simulator, path: str) -> str:
    return path.format(receipt=simulator.simulator.receipt_ids()[0])


@pytest.mark.parametrize("path", POS_ROUTES)
@pytest.mark.parametrize(
    ("kind", "status"),
    [("500", 500), ("504", 504), ("html", 502), ("429", 429), ("token_expired", 401)],
)
def test_pos_routes_fail_the_way_orders_do(simulator, path, kind, status):
    api = authenticated_session(simulator)
    simulator.simulator.inject(kind)

    failed = api.get(route(simulator, path))
    after = api.get(route(simulator, path))

    assert failed.status_code == status
    assert after.status_code == 200
    assert simulator.simulator.request_log[-2].fault == kind


@pytest.mark.parametrize("path", POS_ROUTES)
def test_pos_routes_can_answer_truncated_json_or_success_false(simulator, path):
    api = authenticated_session(simulator)
    simulator.simulator.inject("truncated")
    simulator.simulator.inject("success_false")

    truncated = api.get(route(simulator, path))
    refused = api.get(route(simulator, path))

    assert truncated.status_code == 200
    with pytest.raises(ValueError):
        truncated.json()
    assert (refused.status_code, refused.json()["success"]) == (200, False)


def test_a_slow_receipts_answer_outlasts_the_client_timeout(simulator_factory):
    server = simulator_factory(slow_seconds=1.0)
    api = authenticated_session(server)
    server.simulator.inject("slow")

    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        api.get("/receipts", timeout=0.3)

    assert time.monotonic() - started < 1.0


def test_a_faulted_patch_changes_nothing(simulator):
    sim = simulator.simulator
    api = authenticated_session(simulator)
    receipt_id = sim.receipt_for_order(sim.add_order(status="RECEIVED")["id"])["id"]
    sim.inject("500")

    failed = api.patch(f"/receipts/{receipt_id}", json={"order_number": "LOST-1"})

    assert failed.status_code == 500
    assert sim.receipt(receipt_id)["order_number"] is None


def test_faults_by_rate_reach_the_pos_routes_too(simulator_factory):
    server = simulator_factory(faults=("500",), fault_rate=0.5)
    api = authenticated_session(server)

    statuses = [api.get("/stations").status_code for _ in range(20)]

    assert 500 in statuses and 200 in statuses
