"""The simulator's receipts (docs/clopos.md §5): one for every accepted order and for every
dine-in table, moving through the kitchen as the clock advances, served by GET /receipts and
/receipts/{id}, written by PATCH, and linked both ways with the orders."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
import requests

from orders_app.clopos.simulator.receipt_patch import InvalidPatch
from tests.fixtures.clock import SIMULATOR_NOW
from tests.fixtures.simulator import SimulatorSession, authenticated_session

LOCAL = "%Y-%m-%d %H:%M:%S"
LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
BAKU = timedelta(hours=4)
KITCHEN = ["NEW", "IN_PROGRESS", "READY"]
ALL_WITH = {
    "with[0]": "receipt_products",
    "with[1]": "receipt_products.modificators",
    "with[2]": "receipt_products.product.unit",
    "with[3]": "receipt_products.product.station",
    "with[4]": "receipt_products.modificators.modificator_group",
}
RECEIPT_RELATION = {"with[0]": "receipt:id,service_notification_id,status"}


def all_receipts(api: SimulatorSession, **params) -> list[dict]:
    body = api.get("/receipts", params={"limit": 1000, **params}).json()
    assert body["success"] is True
    return body["data"]


def baku(when: datetime) -> str:
    return (when.astimezone(UTC) + BAKU).strftime(LOCAL)


def progress(sim, receipt_id: int, minutes: int, step: int = 20) -> list[tuple[str, int]]:
    """The (order_status, status) pairs a receipt shows as the clock moves on, in turn."""
    seen: list[tuple[str, int]] = []
    for _ in range(minutes * 60 // step):
        receipt = sim.receipt(receipt_id, ())
        state = (receipt["order_status"], receipt["status"])
        if not seen or seen[-1] != state:
            seen.append(state)
        sim.clock.advance(step)
    return seen


# --- receipts for accepted orders ---------------------------------------------------------------


def test_an_accepted_order_opens_a_new_receipt_at_its_acceptance_time(simulator):
    sim = simulator.simulator
    order = sim.add_order(status="RECEIVED")

    receipt = sim.receipt_for_order(order["id"])

    assert receipt is not None
    assert receipt["status"] == 1
    assert receipt["order_status"] == "NEW"
    assert receipt["source"] == "web"
    assert (receipt["guests"], receipt["table_id"], receipt["hall_id"]) == (1, None, None)
    assert receipt["created_at"] == baku(SIMULATOR_NOW) == "2026-02-02 14:30:00"
    assert receipt["updated_at"] == receipt["created_at"]
    assert receipt["closed_at"] is None
    assert receipt["venue_id"] == order["venue_id"]
    assert receipt["sale_type_id"] == order["payload"]["sale_type_id"]
    assert receipt["customer_id"] == order["payload"]["customer_id"]
    assert receipt["service_notification_id"] == order["receipt"]["service_notification_id"]
    assert receipt["payment_methods"] == []
    assert receipt["remaining"] == receipt["total"]


def test_a_pending_order_has_no_receipt_until_it_is_accepted(simulator):
    sim = simulator.simulator
    order_id = sim.add_order(progress=False)["id"]
    before = sim.receipt_for_order(order_id)
    sim.clock.advance(90)

    sim.set_status(order_id, "RECEIVED")

    assert before is None
    assert sim.receipt_for_order(order_id)["created_at"] == baku(
        SIMULATOR_NOW + timedelta(seconds=90)
    )


def test_every_accepted_seeded_order_has_a_receipt_opened_when_it_was_received(simulator):
    sim = simulator.simulator

    for order_id in sim.order_ids():
        order = sim.find(order_id)
        receipt = sim.receipt_for_order(order_id)
        received = [at for at, status in order.schedule if status == "RECEIVED"]
        if order.received:
            assert receipt["created_at"] == baku(datetime.fromtimestamp(received[0], UTC))
        else:
            assert receipt is None, order.schedule


def test_receipt_ids_are_a_number_space_apart_from_order_ids(simulator):
    sim = simulator.simulator

    assert sim.receipt_ids()
    assert not set(sim.receipt_ids()) & set(sim.order_ids())


def test_a_receipt_moves_through_the_kitchen_and_closes_as_the_clock_advances(simulator):
    sim = simulator.simulator
    order = sim.add_order(
        status="RECEIVED", payload={"service": {"sale_type_id": 2, "venue_id": 1}}
    )
    receipt_id = sim.receipt_for_order(order["id"])["id"]

    seen = progress(sim, receipt_id, minutes=90)
    closed = sim.receipt(receipt_id)

    assert seen == [(s, 1) for s in KITCHEN] + [("PICKED_UP", 1), ("PICKED_UP", 2)]
    assert closed["status"] == 2
    assert LOCAL_TIME.match(closed["closed_at"])
    assert closed["closed_at"] == closed["updated_at"] > closed["created_at"]
    assert sum(p["amount"] for p in closed["payment_methods"]) == closed["total"]
    assert closed["remaining"] == 0


def test_in_progress_comes_within_two_minutes_and_ready_after_the_slowest_item(simulator):
    sim = simulator.simulator
    api = authenticated_session(simulator)
    order = sim.add_order(status="RECEIVED")
    receipt_id = sim.receipt_for_order(order["id"])["id"]
    cooking = {p["id"]: p["cooking_time"] or 0 for p in api.get("/products").json()["data"]}

    changes: dict[str, datetime] = {}
    for _ in range(40 * 6):
        status = sim.receipt(receipt_id, ())["order_status"]
        changes.setdefault(status, sim.clock.now())
        sim.clock.advance(10)
    products = sim.receipt(receipt_id)["receipt_products"]
    slowest = max(cooking[line["product_id"]] for line in products)

    assert (
        timedelta(seconds=60) <= changes["IN_PROGRESS"] - changes["NEW"] <= timedelta(seconds=130)
    )
    assert changes["READY"] - changes["IN_PROGRESS"] >= timedelta(minutes=slowest)
    assert changes["READY"] - changes["IN_PROGRESS"] <= timedelta(
        minutes=max(slowest, 3), seconds=100
    )


def test_updated_at_moves_on_every_change(simulator):
    sim = simulator.simulator
    receipt_id = sim.receipt_for_order(sim.add_order(status="RECEIVED")["id"])["id"]

    stamps = {}
    for _ in range(90 * 3):
        receipt = sim.receipt(receipt_id, ())
        stamps.setdefault((receipt["order_status"], receipt["status"]), receipt["updated_at"])
        sim.clock.advance(20)

    assert len(stamps) == 5
    assert sorted(stamps.values()) == list(stamps.values())
    assert len(set(stamps.values())) == 5


def test_an_in_venue_order_ends_completed_and_a_takeaway_picked_up(simulator):
    sim = simulator.simulator
    here = sim.add_order(status="RECEIVED", payload={"sale_type_id": 1})
    away = sim.add_order(status="RECEIVED", payload={"sale_type_id": 3})

    sim.clock.advance(2 * 3600)

    assert sim.receipt_for_order(here["id"])["order_status"] == "COMPLETED"
    assert sim.receipt_for_order(away["id"])["order_status"] == "PICKED_UP"


def test_a_delivered_order_closes_its_receipt_at_the_delivery_moment(simulator_api):
    orders = simulator_api.get("/orders", params={"limit": 1000, "status": "DELIVERED"}).json()
    receipts = {r["id"]: r for r in all_receipts(simulator_api)}

    assert orders["data"]
    for order in orders["data"]:
        delivered = datetime.strptime(order["updated_at"], "%Y-%m-%dT%H:%M:%S.000000Z")
        receipt = receipts[order_receipt_id(simulator_api, order["id"])]
        assert receipt["status"] == 2
        assert receipt["closed_at"] == baku(delivered.replace(tzinfo=UTC))
        assert receipt["order_status"] in ("PICKED_UP", "COMPLETED")


def order_receipt_id(api: SimulatorSession, order_id: int) -> int:
    return api.get(f"/orders/{order_id}", params=RECEIPT_RELATION).json()["data"]["receipt"]["id"]


def test_an_order_ignored_after_acceptance_has_a_cancelled_unpaid_receipt(simulator):
    sim = simulator.simulator
    order_id = sim.add_order(status="RECEIVED")["id"]
    sim.clock.advance(200)

    sim.set_status(order_id, "IGNORE")
    receipt = sim.receipt_for_order(order_id)

    assert receipt["order_status"] == "CANCELLED"
    assert receipt["status"] == 2
    assert receipt["closed_at"] == baku(SIMULATOR_NOW + timedelta(seconds=200))
    assert receipt["payment_methods"] == []


def test_a_few_seeded_receipts_are_cancelled(simulator_factory):
    api = authenticated_session(simulator_factory(orders=300, days=7))

    receipts = all_receipts(api)
    cancelled = [r for r in receipts if r["order_status"] == "CANCELLED"]

    assert 0 < len(cancelled) < len(receipts) / 10
    assert all(r["status"] == 2 for r in cancelled)


def test_without_pos_writes_order_status_stays_new_until_the_close(simulator_factory):
    sim = simulator_factory(pos_writes_order_status=False).simulator
    receipt_id = sim.receipt_for_order(sim.add_order(status="RECEIVED")["id"])["id"]

    seen = progress(sim, receipt_id, minutes=90)

    assert seen == [("NEW", 1), ("NEW", 2)]
    assert {r["order_status"] for r in map(sim.receipt, sim.receipt_ids())} <= {"NEW"}


def test_turning_pos_writes_off_midway_holds_the_status_it_had(simulator):
    sim = simulator.simulator
    receipt_id = sim.receipt_for_order(sim.add_order(status="RECEIVED")["id"])["id"]
    sim.clock.advance(150)
    held = sim.receipt(receipt_id)["order_status"]

    sim.set_pos_writes_order_status(False)
    later = progress(sim, receipt_id, minutes=90)

    assert held == "IN_PROGRESS"
    assert later == [("IN_PROGRESS", 1), ("IN_PROGRESS", 2)]


def test_a_receipts_status_can_be_turned_back_on_over_http(simulator):
    sim = simulator.simulator
    sim_url = simulator.root_url + "/_sim"
    requests.post(f"{sim_url}/kitchen", json={"pos_writes_order_status": False}, timeout=5)
    receipt_id = sim.receipt_for_order(sim.add_order(status="RECEIVED")["id"])["id"]
    sim.clock.advance(150)
    held = sim.receipt(receipt_id)["order_status"]

    answer = requests.post(f"{sim_url}/kitchen", json={"pos_writes_order_status": True}, timeout=5)
    sim.clock.advance(60 * 60)

    assert held == "NEW"
    assert answer.json()["data"]["pos_writes_order_status"] is True
    assert sim.receipt(receipt_id)["order_status"] == "PICKED_UP"


# --- dine-in tables -----------------------------------------------------------------------------


def test_dine_in_tables_have_receipts_without_an_order(simulator_api):
    receipts = all_receipts(simulator_api)
    orders = simulator_api.get("/orders", params={"limit": 1000, "with[0]": "receipt"}).json()
    linked = {o["receipt"]["id"] for o in orders["data"] if o["receipt"]}

    tables = [r for r in receipts if r["source"] == "pos"]

    assert tables
    assert not {r["id"] for r in tables} & linked
    assert {r["id"] for r in receipts if r["source"] == "web"} == linked
    for receipt in tables:
        assert receipt["table_id"] is not None and receipt["hall_id"] is not None
        assert 1 <= receipt["guests"] <= 6
        assert receipt["sale_type_id"] == 1
        assert receipt["customer_id"] is None
        assert receipt["service_notification_id"] is None


def test_tables_open_through_the_day_and_progress_like_orders(simulator_factory):
    sim = simulator_factory(orders=0).simulator
    before = set(sim.receipt_ids())

    sim.clock.advance(4 * 3600)
    new = [sim.receipt(i, ()) for i in set(sim.receipt_ids()) - before]

    assert len(new) >= 3
    assert all(r["source"] == "pos" for r in new)
    assert {r["order_status"] for r in new} & {"IN_PROGRESS", "READY", "COMPLETED"}
    assert any(r["status"] == 2 for r in new)


def test_no_tables_when_tables_per_hour_is_zero(simulator_factory):
    sim = simulator_factory(orders=0, tables_per_hour=0).simulator

    sim.clock.advance(4 * 3600)

    assert sim.receipt_ids() == []


def test_a_table_opened_by_control_progresses_and_closes(simulator):
    sim = simulator.simulator

    opened = sim.open_table(venue_id=2, hall_id=3, table_id=305, guests=4, products=[208, (401, 2)])
    seen = progress(sim, opened["id"], minutes=120)

    assert (opened["venue_id"], opened["hall_id"], opened["table_id"], opened["guests"]) == (
        2,
        3,
        305,
        4,
    )
    assert [(p["product_id"], p["count"]) for p in opened["receipt_products"]] == [
        (208, 1),
        (401, 2),
    ]
    assert opened["created_at"] == baku(SIMULATOR_NOW)
    assert seen[-1] == ("COMPLETED", 2)
    assert [s for s, _ in seen[:3]] == KITCHEN


def test_daily_and_monthly_ids_count_per_venue_from_one(simulator_api):
    receipts = sorted(all_receipts(simulator_api), key=lambda r: (r["created_at"], r["id"]))
    days, months = defaultdict(list), defaultdict(list)

    for receipt in receipts:
        days[receipt["venue_id"], receipt["created_at"][:10]].append(
            receipt["properties"]["daily_id"]
        )
        months[receipt["venue_id"], receipt["created_at"][:7]].append(
            receipt["properties"]["monthly_id"]
        )

    assert len(days) > 2
    assert all(ids == list(range(1, len(ids) + 1)) for ids in days.values())
    assert all(ids == list(range(1, len(ids) + 1)) for ids in months.values())


def test_receipt_times_print_in_the_configured_zone(simulator_factory):
    sim = simulator_factory(receipt_timezone="UTC").simulator

    receipt = sim.receipt_for_order(sim.add_order(status="RECEIVED")["id"])

    assert receipt["created_at"] == "2026-02-02 10:30:00"
    assert receipt["shift_date"] == "2026-02-02"


# --- determinism --------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_receipts(simulator_factory):
    first = authenticated_session(simulator_factory())
    second = authenticated_session(simulator_factory())
    other = authenticated_session(simulator_factory(seed=2))

    assert all_receipts(first, **ALL_WITH) == all_receipts(second, **ALL_WITH)
    assert all_receipts(first) != all_receipts(other)


def test_a_frozen_clock_gives_stable_receipts(simulator_api):
    assert all_receipts(simulator_api, **ALL_WITH) == all_receipts(simulator_api, **ALL_WITH)


def test_stepping_the_clock_gives_the_receipts_jumping_it_gives(simulator_factory):
    stepped, jumped = simulator_factory().simulator, simulator_factory().simulator

    for _ in range(36):
        stepped.receipt_ids()
        stepped.clock.advance(300)
    jumped.clock.advance(36 * 300)

    assert [stepped.receipt(i) for i in stepped.receipt_ids()] == [
        jumped.receipt(i) for i in jumped.receipt_ids()
    ]


# --- GET /receipts: envelope and parameters --------------------------------------------------


def test_receipts_come_in_the_orders_envelope(simulator_api):
    response = simulator_api.get("/receipts")
    body = response.json()

    assert response.status_code == 200
    assert body["success"] is True
    assert isinstance(body["data"], list)
    assert body["total"] > len(body["data"]) == 50
    assert {"time", "timestamp", "unix"} <= set(body)
    assert body["sorts"] == ["created_at", "updated_at", "closed_at", "total"]
    assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(response.headers)


def test_receipt_pages_cover_every_receipt_once(simulator_api):
    total = simulator_api.get("/receipts").json()["total"]

    ids = []
    for page in range(1, total // 30 + 2):
        ids += [
            r["id"]
            for r in simulator_api.get("/receipts", params={"limit": 30, "page": page}).json()[
                "data"
            ]
        ]

    assert len(ids) == len(set(ids)) == total


@pytest.mark.parametrize(
    "params", [{"limit": "1001"}, {"limit": "0"}, {"page": "-1"}, {"limit": "x"}]
)
def test_bad_receipt_paging_is_400_invalid_parameter(simulator_api, params):
    response = simulator_api.get("/receipts", params=params)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_parameter"


def test_receipts_are_newest_first_by_created_at_by_default(simulator_api):
    created = [r["created_at"] for r in all_receipts(simulator_api)]

    assert created == sorted(created, reverse=True)


def sort_key(field: str):
    if field == "closed_at":
        return lambda r: (r["closed_at"] or "", r["id"])
    return lambda r: (r[field], r["id"])


@pytest.mark.parametrize("field", ["created_at", "updated_at", "closed_at", "total"])
@pytest.mark.parametrize("direction", ["1", "-1", "asc", "desc"])
def test_receipts_sort_by_each_field_and_direction(simulator_api, field, direction):
    rows = all_receipts(simulator_api, **{"sort[0]": field, "sort[1]": direction})

    descending = direction in ("-1", "desc")
    assert rows == sorted(rows, key=sort_key(field), reverse=descending)
    assert len({sort_key(field)(r)[0] for r in rows}) > 1


def test_sorting_receipts_by_an_unknown_field_is_400(simulator_api):
    response = simulator_api.get("/receipts", params={"sort[0]": "guests"})

    assert response.status_code == 400
    assert "created_at, updated_at, closed_at, total" in response.json()["message"]


def test_the_date_range_narrows_receipts_to_local_dates_of_created_at(simulator_api):
    everything = all_receipts(simulator_api)
    days = sorted({r["created_at"][:10] for r in everything})

    per_day = {d: all_receipts(simulator_api, **{"date[0]": d, "date[1]": d}) for d in days}
    since = all_receipts(simulator_api, **{"date[0]": days[-1]})
    until = all_receipts(simulator_api, **{"date[1]": days[0]})

    assert len(days) >= 3
    assert all(r["created_at"].startswith(d) for d, rows in per_day.items() for r in rows)
    assert sum(len(rows) for rows in per_day.values()) == len(everything)
    assert since == per_day[days[-1]] and until == per_day[days[0]]


def test_a_malformed_receipt_date_is_400(simulator_api):
    assert simulator_api.get("/receipts", params={"date[0]": "02.02.2026"}).status_code == 400


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "1"), ("status", "2"), ("sale_type_id", "2"), ("terminal_id", "3")],
)
def test_receipt_filters_keep_only_matching_receipts(simulator_api, field, value):
    everything = all_receipts(simulator_api)

    rows = all_receipts(simulator_api, **{"filters[0][0]": field, "filters[0][1][0]": value})

    assert rows
    assert len(rows) < len(everything)
    assert all(str(r[field]) == value for r in rows)


def test_receipt_filters_take_lists_and_stack(simulator_api):
    either = all_receipts(
        simulator_api,
        **{"filters[0][0]": "terminal_id", "filters[0][1][0]": "1", "filters[0][1][1]": "3"},
    )
    both = all_receipts(
        simulator_api,
        **{
            "filters[0][0]": "terminal_id",
            "filters[0][1][0]": "1",
            "filters[0][1][1]": "3",
            "filters[1][0]": "status",
            "filters[1][1][0]": "2",
        },
    )

    assert {r["terminal_id"] for r in either} == {1, 3}
    assert both == [r for r in either if r["status"] == 2]


def test_an_unknown_receipt_filter_is_400_invalid_filter_parameters(simulator_api):
    response = simulator_api.get(
        "/receipts", params={"filters[0][0]": "total", "filters[0][1][0]": "5"}
    )

    assert response.status_code == 400
    assert response.json()["message"] == "Invalid filter parameters"


def test_x_venue_narrows_receipts_to_that_venue(simulator_api):
    rows = all_receipts(simulator_api)
    venue_two = simulator_api.get(
        "/receipts", params={"limit": 1000}, headers={"x-venue": "2"}
    ).json()

    assert {r["venue_id"] for r in rows} == {1, 2}
    assert venue_two["data"] == [r for r in rows if r["venue_id"] == 2]


# --- with[] ------------------------------------------------------------------------------------


def lines_of(api: SimulatorSession, **params) -> list[dict]:
    rows = all_receipts(api, **params)
    return [line for r in rows for line in r.get("receipt_products", [])]


def test_without_with_a_receipt_has_no_products(simulator_api):
    assert all("receipt_products" not in r for r in all_receipts(simulator_api))


def test_with_receipt_products_lists_the_lines_without_their_extras(simulator_api):
    rows = all_receipts(simulator_api, **{"with[0]": "receipt_products"})
    lines = [line for r in rows for line in r["receipt_products"]]

    assert all(r["receipt_products"] for r in rows)
    assert all(line["receipt_id"] == r["id"] for r in rows for line in r["receipt_products"])
    assert set(lines[0]) >= {
        "id", "cid", "product_id", "receipt_id", "product_hash", "count", "price",
        "subtotal", "total", "portion_size", "is_gift", "meta",
    }  # fmt: skip
    assert all({"name", "price"} <= set(line["meta"]["product"]) for line in lines)
    assert not any("modificators" in line for line in lines)
    assert not any({"station", "unit"} & set(line["meta"]["product"]) for line in lines)


def test_with_modificators_adds_each_lines_modificators(simulator_api):
    lines = lines_of(simulator_api, **{"with[0]": "receipt_products.modificators"})
    mods = [m for line in lines for m in line["modificators"]]

    assert all("modificators" in line for line in lines)
    assert mods
    assert all(set(m) == {"id", "modificator_id", "name", "count", "price"} for m in mods)
    assert any(m["modificator_id"] is None for m in mods)  # a free-text modifier of an order


def test_with_the_modificator_group_adds_it_to_each_modificator(simulator_api):
    lines = lines_of(simulator_api, **{"with[]": "receipt_products.modificators.modificator_group"})
    mods = [m for line in lines for m in line["modificators"]]

    assert all("modificator_group" in m for m in mods)
    assert any(
        m["modificator_group"] and {"id", "name"} == set(m["modificator_group"]) for m in mods
    )


def test_with_the_product_station_and_unit_adds_them_to_the_lines_product(simulator_api):
    station = lines_of(simulator_api, **{"with[0]": "receipt_products.product.station"})
    unit = lines_of(simulator_api, **{"with[0]": "receipt_products.product.unit"})

    assert {line["meta"]["product"]["station"]["name"] for line in station} == {
        "Grill", "Cold kitchen", "Bar", "Bakery",
    }  # fmt: skip
    assert all("unit" not in line["meta"]["product"] for line in station)
    assert all(line["meta"]["product"]["unit"] == {"id": 1, "name": "ədəd"} for line in unit)
    assert all("station" not in line["meta"]["product"] for line in unit)


def test_a_receipt_line_is_priced_from_its_product_and_modificators(simulator_api):
    for receipt in all_receipts(simulator_api, **ALL_WITH):
        for line in receipt["receipt_products"]:
            extras = sum(m["price"] * m["count"] for m in line["modificators"])
            assert line["subtotal"] == pytest.approx((line["price"] + extras) * line["count"])
        subtotal = sum(line["subtotal"] for line in receipt["receipt_products"])
        assert receipt["subtotal"] == pytest.approx(subtotal, abs=0.011)
        expected = (
            receipt["subtotal"]
            - receipt["total_discount"]
            + receipt["service_charge_value"]
            + receipt["delivery_fee"]
        )
        assert receipt["total"] == pytest.approx(expected, abs=0.011)


# --- GET /receipts/{id} -----------------------------------------------------------------------


def test_a_receipt_by_id_is_the_same_object_as_in_the_list(simulator_api):
    listed = all_receipts(simulator_api, **ALL_WITH)[3]

    body = simulator_api.get(f"/receipts/{listed['id']}", params=ALL_WITH).json()

    assert body["success"] is True
    assert body["data"] == listed


def test_a_receipt_by_id_takes_with_too(simulator_api):
    receipt_id = all_receipts(simulator_api)[0]["id"]

    bare = simulator_api.get(f"/receipts/{receipt_id}").json()["data"]
    full = simulator_api.get(
        f"/receipts/{receipt_id}", params={"with[0]": "receipt_products"}
    ).json()["data"]

    assert "receipt_products" not in bare
    assert full["receipt_products"]


@pytest.mark.parametrize("receipt_id", ["999999", "abc", "10001"])
def test_an_unknown_receipt_is_404_not_found(simulator_api, receipt_id):
    response = simulator_api.get(f"/receipts/{receipt_id}")

    assert response.status_code == 404
    assert response.json() == {
        "success": False,
        "error": "not_found",
        "message": "Receipt not found",
    }


def test_a_receipt_of_another_venue_is_404_under_x_venue(simulator_api):
    receipt = next(r for r in all_receipts(simulator_api) if r["venue_id"] == 1)

    assert (
        simulator_api.get(f"/receipts/{receipt['id']}", headers={"x-venue": "2"}).status_code == 404
    )
    assert (
        simulator_api.get(f"/receipts/{receipt['id']}", headers={"x-venue": "1"}).status_code == 200
    )


def test_a_receipt_is_404_before_it_opens(simulator):
    sim = simulator.simulator
    api = authenticated_session(simulator)
    receipt_id = open_receipt(simulator)

    sim.clock.set(SIMULATOR_NOW - timedelta(minutes=1))
    hidden = api.get(f"/receipts/{receipt_id}")
    sim.clock.set(SIMULATOR_NOW)

    assert hidden.status_code == 404
    assert api.get(f"/receipts/{receipt_id}").status_code == 200


# --- PATCH /receipts/{id} ---------------------------------------------------------------------


def open_receipt(simulator) -> int:
    return simulator.simulator.receipt_for_order(
        simulator.simulator.add_order(status="RECEIVED")["id"]
    )["id"]


def test_patch_changes_the_four_writable_fields_and_answers_the_receipt(simulator):
    api = authenticated_session(simulator)
    receipt_id = open_receipt(simulator)
    simulator.simulator.clock.advance(30)
    body = {
        "order_status": "READY",
        "order_number": "RPO-00001",
        "fiscal_id": "Twrewr89fnscvj22",
        "lock": True,
    }

    response = api.patch(f"/receipts/{receipt_id}", json=body)
    stored = api.get(f"/receipts/{receipt_id}").json()["data"]

    assert response.status_code == 200
    assert response.json()["success"] is True
    assert response.json()["data"] == stored
    assert {k: stored[k] for k in body} == body
    assert stored["updated_at"] == baku(SIMULATOR_NOW + timedelta(seconds=30))


def test_patching_only_the_lock_moves_updated_at_too(simulator):
    api = authenticated_session(simulator)
    receipt_id = open_receipt(simulator)
    simulator.simulator.clock.advance(45)

    locked = api.patch(f"/receipts/{receipt_id}", json={"lock": True}).json()["data"]

    assert locked["lock"] is True
    assert locked["order_status"] == "NEW"
    assert locked["updated_at"] == baku(SIMULATOR_NOW + timedelta(seconds=45))


def test_patch_answers_with_the_relations_its_query_asks_for(simulator):
    api = authenticated_session(simulator)
    receipt_id = open_receipt(simulator)

    answer = api.patch(
        f"/receipts/{receipt_id}", params={"with[0]": "receipt_products"}, json={"lock": True}
    )

    assert answer.json()["data"]["receipt_products"]


def test_an_explicit_order_status_stops_the_kitchens_own_progress_but_not_the_close(simulator):
    api = authenticated_session(simulator)
    receipt_id = open_receipt(simulator)
    api.patch(f"/receipts/{receipt_id}", json={"order_status": "SCHEDULED"})

    seen = progress(simulator.simulator, receipt_id, minutes=90)

    assert seen == [("SCHEDULED", 1), ("SCHEDULED", 2)]


def test_patch_works_on_a_closed_receipt(simulator):
    api = authenticated_session(simulator)
    receipt_id = open_receipt(simulator)
    simulator.simulator.clock.advance(2 * 3600)
    assert api.get(f"/receipts/{receipt_id}").json()["data"]["status"] == 2

    response = api.patch(
        f"/receipts/{receipt_id}", json={"order_number": "A-17", "order_status": "COMPLETED"}
    )

    assert response.status_code == 200
    assert response.json()["data"]["order_number"] == "A-17"
    assert response.json()["data"]["order_status"] == "COMPLETED"
    assert response.json()["data"]["status"] == 2


@pytest.mark.parametrize(
    "body",
    [
        {"total": 1},
        {"status": 2},
        {"order_status": "READY", "guests": 3},
        {"order_status": "DONE"},
        {"order_status": None},
        {"order_number": "X" * 21},
        {"order_number": 17},
        {"fiscal_id": 5},
        {"lock": "yes"},
        {"lock": 2},
        ["order_status", "READY"],
    ],
)
def test_patch_with_another_field_or_a_bad_value_is_400_and_changes_nothing(simulator, body):
    api = authenticated_session(simulator)
    receipt_id = open_receipt(simulator)
    before = api.get(f"/receipts/{receipt_id}").json()["data"]

    response = api.patch(f"/receipts/{receipt_id}", json=body)

    assert response.status_code == 400
    assert response.json()["success"] is False
    assert response.json()["error"] == "validation_failed"
    assert api.get(f"/receipts/{receipt_id}").json()["data"] == before


def test_patch_with_a_body_that_is_not_json_is_400(simulator):
    api = authenticated_session(simulator)

    response = api.patch(f"/receipts/{open_receipt(simulator)}", data=b"order_status=READY")

    assert response.status_code == 400
    assert response.json()["error"] == "validation_failed"


def test_patch_accepts_null_order_number_and_fiscal_id(simulator):
    api = authenticated_session(simulator)
    receipt_id = open_receipt(simulator)
    api.patch(f"/receipts/{receipt_id}", json={"order_number": "N-1", "fiscal_id": "F-1"})

    cleared = api.patch(f"/receipts/{receipt_id}", json={"order_number": None, "fiscal_id": None})

    assert (cleared.json()["data"]["order_number"], cleared.json()["data"]["fiscal_id"]) == (
        None,
        None,
    )


def test_a_patch_that_changes_nothing_leaves_updated_at(simulator):
    api = authenticated_session(simulator)
    receipt_id = open_receipt(simulator)
    simulator.simulator.clock.advance(20)

    same = api.patch(f"/receipts/{receipt_id}", json={"lock": False, "order_status": "NEW"}).json()[
        "data"
    ]

    assert same["updated_at"] == baku(SIMULATOR_NOW)


def test_patching_an_unknown_receipt_is_404(simulator_api):
    assert simulator_api.patch("/receipts/999999", json={"lock": True}).status_code == 404


def test_a_patched_field_survives_an_edit_of_the_order(simulator):
    sim = simulator.simulator
    order_id = sim.add_order(status="RECEIVED")["id"]
    receipt_id = sim.receipt_for_order(order_id)["id"]
    sim.patch_receipt(receipt_id, order_number="KEEP-1")

    sim.update_order(order_id, comment="Qapıda gözləyin")

    assert sim.receipt(receipt_id)["order_number"] == "KEEP-1"
    assert sim.receipt(receipt_id)["description"] == "Qapıda gözləyin"


def test_an_explicit_status_and_a_manual_close_survive_an_edit_of_the_order(simulator):
    sim = simulator.simulator
    order_id = sim.add_order(status="RECEIVED")["id"]
    receipt_id = sim.receipt_for_order(order_id)["id"]
    sim.set_receipt_status(receipt_id, "READY")
    sim.clock.advance(30)
    sim.close_receipt(receipt_id)

    sim.update_order(order_id, comment="Zəng edin")
    sim.clock.advance(3600)

    receipt = sim.receipt(receipt_id)
    assert (receipt["order_status"], receipt["status"]) == ("READY", 2)
    assert receipt["closed_at"] == baku(SIMULATOR_NOW + timedelta(seconds=30))


def test_the_python_patch_refuses_what_the_api_refuses(simulator):
    with pytest.raises(InvalidPatch):
        simulator.simulator.patch_receipt(open_receipt(simulator), total=0)


# --- POST /receipts/{id}/close ------------------------------------------------------------------


def test_close_takes_payment_methods_and_answers_as_documented(simulator):
    api = authenticated_session(simulator)
    receipt_id = open_receipt(simulator)
    simulator.simulator.clock.advance(60)
    paid = [{"id": 2, "name": "Card", "amount": 12.5}]

    response = api.post(f"/receipts/{receipt_id}/close", json={"payment_methods": paid})
    receipt = api.get(f"/receipts/{receipt_id}").json()["data"]

    assert response.json() == {
        "success": True,
        "message": "Receipt closed",
        "data": {"id": receipt_id, "closed_at": "2026-02-02 14:31:00", "payment_methods": paid},
    }
    assert (receipt["status"], receipt["closed_at"], receipt["payment_methods"]) == (
        2,
        "2026-02-02 14:31:00",
        paid,
    )


def test_a_table_closed_by_hand_before_its_planned_cancel_is_paid(simulator_factory):
    sim = simulator_factory(tables_per_hour=0).simulator
    for _ in range(200):  # tables until one whose plan is a cancel
        table = sim.open_table()
        sim.clock.advance(10 * 60)
        if sim.receipt(table["id"], ())["order_status"] == "CANCELLED":
            break
        sim.clock.advance(-10 * 60)
    else:
        pytest.fail("no table was planned to be cancelled")
    sim.clock.advance(-10 * 60)

    closed = sim.close_receipt(table["id"])

    assert closed["status"] == 2
    assert [p["amount"] for p in closed["payment_methods"]] == [closed["total"]]
    sim.clock.advance(20 * 60)
    assert sim.receipt(table["id"], ())["order_status"] != "CANCELLED"


def test_closing_twice_or_before_the_opening_is_400(simulator):
    api = authenticated_session(simulator)
    receipt_id = open_receipt(simulator)

    early = api.post(f"/receipts/{receipt_id}/close", json={"closed_at": "2026-02-02 14:00:00"})
    api.post(f"/receipts/{receipt_id}/close", json={})
    again = api.post(f"/receipts/{receipt_id}/close", json={})

    assert early.status_code == 400 and early.json()["error"] == "validation_failed"
    assert again.status_code == 400 and again.json()["message"] == "Receipt is already closed"


# --- the order ↔ receipt relation ----------------------------------------------------------------


def test_the_orders_receipt_relation_names_its_receipt_both_ways(simulator_api):
    orders = simulator_api.get("/orders", params={"limit": 1000, "with[0]": "receipt"}).json()[
        "data"
    ]

    linked = [o for o in orders if o["receipt"]]
    for order in linked:
        relation = order["receipt"]
        receipt = simulator_api.get(f"/receipts/{relation['id']}").json()["data"]
        assert set(relation) == {"id", "service_notification_id", "status"}
        assert relation["status"] == receipt["status"]
        assert relation["service_notification_id"] == receipt["service_notification_id"]
        single = simulator_api.get(f"/orders/{order['id']}", params=RECEIPT_RELATION).json()["data"]
        assert single["receipt"] == relation
    assert len(linked) == len(
        [o for o in orders if o["status"] in ("RECEIVED", "DELIVERED")]
    ) + len([o for o in orders if o["status"] == "IGNORE" and o["receipt"]])
    assert all(o["receipt"] is None for o in orders if o["status"] == "PENDING")


def test_closing_a_receipt_shows_in_the_orders_relation(simulator):
    sim = simulator.simulator
    api = authenticated_session(simulator)
    order_id = sim.add_order(status="RECEIVED")["id"]
    before = api.get(f"/orders/{order_id}", params=RECEIPT_RELATION).json()["data"]["receipt"]

    sim.close_receipt(before["id"])
    after = api.get(f"/orders/{order_id}", params=RECEIPT_RELATION).json()["data"]["receipt"]

    assert (before["status"], after["status"]) == (1, 2)
    assert after["id"] == before["id"]


def test_an_open_receipt_closes_on_its_own_while_the_order_stays_received(simulator):
    sim = simulator.simulator
    order_id = sim.add_order(status="RECEIVED")["id"]

    sim.clock.advance(2 * 3600)

    assert sim.order(order_id)["status"] == "RECEIVED"
    assert sim.order(order_id)["receipt"]["status"] == 2


# --- /_sim/ controls for receipts ---------------------------------------------------------------


def test_http_controls_set_a_status_close_a_receipt_and_open_a_table(simulator):
    sim_url = simulator.root_url + "/_sim"
    order_id = simulator.simulator.add_order(status="RECEIVED")["id"]
    found = requests.get(f"{sim_url}/orders/{order_id}/receipt", timeout=5).json()["data"]

    ready = requests.post(
        f"{sim_url}/receipts/{found['id']}/status", json={"order_status": "READY"}, timeout=5
    ).json()["data"]
    closed = requests.post(f"{sim_url}/receipts/{found['id']}/close", json={}, timeout=5).json()[
        "data"
    ]
    table = requests.post(
        f"{sim_url}/tables", json={"guests": 2, "products": [[206, 4]]}, timeout=5
    )
    shown = requests.get(f"{sim_url}/receipts/{found['id']}", timeout=5).json()["data"]

    assert ready["order_status"] == "READY"
    assert (closed["status"], closed["order_status"]) == (2, "READY")
    assert table.status_code == 201
    assert table.json()["data"]["source"] == "pos"
    assert table.json()["data"]["receipt_products"][0]["count"] == 4
    assert shown == closed


def test_http_receipt_controls_answer_400_and_404_on_bad_input(simulator):
    sim_url = simulator.root_url + "/_sim"
    receipt_id = open_receipt(simulator)

    bad_status = requests.post(
        f"{sim_url}/receipts/{receipt_id}/status", json={"order_status": "X"}, timeout=5
    )
    missing = requests.post(f"{sim_url}/receipts/1/close", json={}, timeout=5)
    bad_table = requests.post(f"{sim_url}/tables", json={"venue_id": 9}, timeout=5)
    bad_product = requests.post(f"{sim_url}/tables", json={"products": [1]}, timeout=5)
    bad_kitchen = requests.post(
        f"{sim_url}/kitchen", json={"pos_writes_order_status": "no"}, timeout=5
    )

    assert bad_status.status_code == 400
    assert missing.status_code == 404
    assert bad_table.status_code == 400
    assert bad_product.status_code == 400
    assert bad_kitchen.status_code == 400


def test_the_state_control_counts_receipts(simulator):
    state = requests.get(simulator.root_url + "/_sim/state", timeout=5).json()["data"]

    assert state["receipts"]["open"] + state["receipts"]["closed"] == len(
        simulator.simulator.receipt_ids()
    )
    assert state["receipts"]["pos_writes_order_status"] is True
