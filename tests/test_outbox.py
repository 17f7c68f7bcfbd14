"""The outbox (services/outbox.py): taps recorded once, delivered to the bundled Clopos in
order, once each, whatever Clopos does meanwhile.

Clopos is the simulator over real HTTP; the client never retries on its own here
(``max_retries=0``) and records its sleeps, so each fault reaches the outbox as it happens.
Every call gets its ``now``: no test reads the clock to decide anything.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from dashboard.settings import bump_flow_from
from orders_app.clopos.client import CloposClient
from orders_app.clopos.config import ClientSettings
from orders_app.models import Order, OrderEvent, OutboxEntry, Receipt, ReceiptEvent, SyncState
from orders_app.services.outbox import (
    CLAIM_SECONDS,
    BumpingOff,
    MalformedRequest,
    TransitionRefused,
    UnknownTarget,
    allowed,
    backoff_seconds,
    believed_status,
    bump_flow,
    deliver,
    enqueue_bump,
    enqueue_ignore,
    entries_for_order,
    entries_for_receipt,
    entry_claim,
    outbox_due,
    outbox_health,
    recent_bumps,
    step_after,
    step_before,
)
from orders_app.services.sync import sync_pass
from tests.fixtures.clock import SIMULATOR_NOW
from tests.fixtures.orders import make_order

pytestmark = pytest.mark.django_db

T0 = SIMULATOR_NOW
State = OutboxEntry.State


class Sleeps(list):
    """The client's ``sleep``: recorded, never slept."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(autouse=True)
def _bumping_on(settings):
    settings.WALL_BUMP = True
    settings.BOARD_CAN_IGNORE = True


@pytest.fixture
def server(simulator_factory):
    return simulator_factory(fault_429_reset=3)


@pytest.fixture
def sim(server):
    return server.simulator


def clopos_for(server, cls: type[CloposClient] = CloposClient, **config) -> CloposClient:
    configuration = {
        "base_url": server.base_url,
        **settings.CLOPOS_DEMO_CREDENTIALS,
        "timeout": 2.0,
        "max_retries": 0,
        "requests_per_minute": 300,
        **config,
    }
    return cls(ClientSettings(**configuration), sleep=Sleeps())


@pytest.fixture
def clopos(server) -> CloposClient:
    return clopos_for(server)


def open_receipt(sim, order_status: str = "NEW", *, with_order: bool = True) -> int:
    """A table's receipt opened in the simulator at ``order_status`` (its automatic kitchen
    steps stopped), cached by Pass as the sync would, with an accepted order linked to it."""
    receipt_id = sim.open_table()["id"]
    sim.set_receipt_status(receipt_id, order_status)
    Receipt.objects.create(id=receipt_id, status=1, order_status=order_status)
    if with_order:
        make_order(status="RECEIVED", receipt_id=receipt_id, stage="accepted")
    return receipt_id


def bump(receipt_id: int, to: str, key: str, *, now=T0, actor: str = "grill"):
    return enqueue_bump(
        receipt_id=receipt_id, to_status=to, key=key, actor=actor, actor_kind="screen", now=now
    )


def shown(sim, receipt_id: int) -> str:
    return sim.receipt(receipt_id, relations=())["order_status"]


def writes(sim, receipt_id: int) -> int:
    return sum(1 for e in sim.requests_to(f"/receipts/{receipt_id}") if e.method == "PATCH")


def data_version() -> int:
    state = SyncState.objects.filter(id=SyncState.SINGLETON_ID).first()
    return state.data_version if state else 0


def reload(entry: OutboxEntry) -> OutboxEntry:
    return OutboxEntry.objects.get(id=entry.id)


# --- The flow ---------------------------------------------------------------------------------


def test_the_default_flow_moves_one_step_forward_or_back():
    assert bump_flow() == ("NEW", "IN_PROGRESS", "READY", "PICKED_UP")
    assert allowed("NEW", "IN_PROGRESS") and allowed("READY", "PICKED_UP")
    assert allowed("READY", "IN_PROGRESS")  # undo, recall
    assert not allowed("NEW", "READY")  # two steps
    assert not allowed("NEW", "NEW")
    assert not allowed("PICKED_UP", "COMPLETED")  # not in the flow
    assert not allowed("COMPLETED", "PICKED_UP")  # from outside the flow
    assert allowed("", "NEW") and not allowed("", "IN_PROGRESS")  # no status yet: the start
    assert step_after("NEW") == "IN_PROGRESS" and step_after("PICKED_UP") is None
    assert step_after("") == "NEW" and step_before("NEW") is None
    assert step_before("READY") == "IN_PROGRESS"


def test_a_restaurant_may_drop_or_add_steps(settings):
    settings.WALL_BUMP_FLOW = ["NEW", "READY", "COMPLETED"]
    assert allowed("NEW", "READY") and allowed("READY", "COMPLETED")
    assert not allowed("NEW", "IN_PROGRESS")


def test_the_flow_setting_is_read_in_capitals_and_checked():
    assert bump_flow_from([" new", "Ready "]) == ["NEW", "READY"]
    with pytest.raises(ImproperlyConfigured, match=r"order_status values .* got LUNCH"):
        bump_flow_from(["NEW", "LUNCH"])
    with pytest.raises(ImproperlyConfigured, match="names a step twice"):
        bump_flow_from(["NEW", "READY", "NEW"])
    with pytest.raises(ImproperlyConfigured, match="at least two steps"):
        bump_flow_from(["READY"])


def test_a_bad_flow_stops_pass_at_start():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "PASS_IGNORE_DOTENV": "1",
        "WALL_BUMP_FLOW": "NEW,ALMOST_READY",
    }
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "WALL_BUMP_FLOW steps must be Clopos order_status values" in done.stderr
    assert "ALMOST_READY" in done.stderr


# --- Taps -------------------------------------------------------------------------------------


def test_a_tap_is_recorded_pending_with_who_from_and_to(sim):
    receipt_id = open_receipt(sim)
    before = data_version()
    entry, created = bump(receipt_id, "in_progress", "k-1")
    assert created
    assert (entry.kind, entry.receipt_id, entry.from_status, entry.to_status) == (
        "receipt_status",
        receipt_id,
        "NEW",
        "IN_PROGRESS",
    )
    assert (entry.actor, entry.actor_kind, entry.state, entry.attempts) == (
        "grill",
        "screen",
        "pending",
        0,
    )
    assert entry.tapped_at == entry.next_attempt_at == T0
    assert entry.order.receipt_id == receipt_id and entry.order_remote_id == entry.order.id
    assert data_version() == before + 1  # every screen shows the tap at once


def test_the_same_key_twice_is_one_entry_and_one_change(sim, clopos):
    receipt_id = open_receipt(sim)
    first, created = bump(receipt_id, "IN_PROGRESS", "same-key")
    version = data_version()
    again, created_again = bump(
        receipt_id, "IN_PROGRESS", "same-key", now=T0 + timedelta(seconds=1)
    )
    assert created and not created_again
    assert again.id == first.id and again.tapped_at == T0
    assert OutboxEntry.objects.count() == 1
    assert data_version() == version
    assert deliver(clopos, now=T0).delivered == 1
    # And after delivery the key still means that one change.
    late, created_late = bump(receipt_id, "IN_PROGRESS", "same-key", now=T0 + timedelta(minutes=5))
    assert not created_late and late.id == first.id
    assert writes(sim, receipt_id) == 1


def test_a_repeated_key_the_flow_would_still_allow_is_stopped_by_the_unique_key(sim):
    receipt_id = open_receipt(sim, "NEW")
    first, _ = bump(receipt_id, "IN_PROGRESS", "k")
    bump(receipt_id, "NEW", "undo")  # another tap puts it back: NEW → IN_PROGRESS is allowed again
    version = data_version()
    again, created = bump(receipt_id, "IN_PROGRESS", "k")  # a late retry of the first request
    assert not created and again.id == first.id
    assert OutboxEntry.objects.count() == 2 and data_version() == version


def test_a_tap_starts_from_the_last_pending_tap_else_the_cached_status(sim):
    receipt_id = open_receipt(sim, "IN_PROGRESS")
    assert believed_status(receipt_id) == "IN_PROGRESS"
    bump(receipt_id, "READY", "a")
    assert believed_status(receipt_id) == "READY"
    undo, _ = bump(receipt_id, "IN_PROGRESS", "b")  # undo within 5 s
    assert undo.from_status == "READY"
    with pytest.raises(TransitionRefused):
        bump(receipt_id, "PICKED_UP", "c")  # two steps from IN_PROGRESS
    assert believed_status(10**12) is None


def test_transitions_the_flow_does_not_allow_are_refused_and_record_nothing(sim):
    receipt_id = open_receipt(sim, "NEW")
    with pytest.raises(TransitionRefused, match="NEW → READY is not one step") as refused:
        bump(receipt_id, "READY", "skip")
    assert (refused.value.from_status, refused.value.to_status) == ("NEW", "READY")
    with pytest.raises(TransitionRefused):
        bump(receipt_id, "COMPLETED", "outside")
    with pytest.raises(MalformedRequest, match="not a Clopos order_status"):
        bump(receipt_id, "LUNCH", "bad-status")
    with pytest.raises(UnknownTarget):
        bump(10**12, "IN_PROGRESS", "nowhere")
    Receipt.objects.filter(id=receipt_id).update(status=2)
    with pytest.raises(TransitionRefused, match="closed in the POS"):
        bump(receipt_id, "IN_PROGRESS", "closed")
    assert not OutboxEntry.objects.exists()


@pytest.mark.parametrize("key", ["", "   ", "x" * 65, "tab\there", None])
def test_a_tap_needs_a_usable_key(sim, key):
    receipt_id = open_receipt(sim)
    with pytest.raises(MalformedRequest, match="idempotency key"):
        bump(receipt_id, "IN_PROGRESS", key)


def test_with_bumping_off_nothing_is_recorded(sim, settings):
    settings.WALL_BUMP = False
    settings.BOARD_CAN_IGNORE = False
    receipt_id = open_receipt(sim)
    with pytest.raises(BumpingOff, match="WALL_BUMP=0"):
        bump(receipt_id, "IN_PROGRESS", "k")
    order = make_order(status="PENDING")
    with pytest.raises(BumpingOff, match="BOARD_CAN_IGNORE=0"):
        enqueue_ignore(order_id=order.id, key="i", actor="manager")
    assert not OutboxEntry.objects.exists()


# --- Delivery ---------------------------------------------------------------------------------


def test_delivery_writes_confirms_and_brings_the_cache_level(sim, clopos):
    receipt_id = open_receipt(sim, "IN_PROGRESS")
    entry, _ = bump(receipt_id, "READY", "k")
    version = data_version()
    later = T0 + timedelta(seconds=1)
    result = deliver(clopos, now=later)
    assert (result.delivered, result.superseded, result.failed, result.retrying) == (1, 0, 0, 0)
    assert result.summary() == "outbox delivered=1 superseded=0 failed=0 retrying=0"
    assert shown(sim, receipt_id) == "READY"
    entry = reload(entry)
    assert (entry.state, entry.clopos_status, entry.attempts) == ("confirmed", "READY", 1)
    assert entry.confirmed_at == entry.ended_at == later
    assert Receipt.objects.get(id=receipt_id).order_status == "READY"
    event = ReceiptEvent.objects.get(receipt_id=receipt_id)
    assert (event.kind, event.from_value, event.to_value) == (
        "order_status",
        "IN_PROGRESS",
        "READY",
    )
    assert Order.objects.get(receipt_id=receipt_id).stage == "ready"
    assert data_version() == version + 1
    assert deliver(clopos, now=later).attempted == 0  # nothing left


def test_a_receipt_changed_in_the_pos_wins_and_is_not_written(sim, clopos):
    receipt_id = open_receipt(sim, "NEW")
    entry, _ = bump(receipt_id, "IN_PROGRESS", "k")
    sim.set_receipt_status(receipt_id, "READY")  # the POS moved it meanwhile
    result = deliver(clopos, now=T0)
    assert result.superseded == 1
    entry = reload(entry)
    assert (entry.state, entry.clopos_status) == ("superseded", "READY")
    assert entry.reason.startswith("changed in POS") and "READY" in entry.reason
    assert writes(sim, receipt_id) == 0
    assert shown(sim, receipt_id) == "READY"


def test_a_receipt_closed_in_the_pos_supersedes_the_tap(sim, clopos):
    receipt_id = open_receipt(sim, "READY")
    entry, _ = bump(receipt_id, "PICKED_UP", "k")
    sim.close_receipt(receipt_id)
    assert deliver(clopos, now=T0).superseded == 1
    entry = reload(entry)
    assert entry.state == "superseded" and "closed" in entry.reason
    assert writes(sim, receipt_id) == 0


def test_a_later_tap_on_a_superseded_receipt_is_superseded_too(sim, clopos):
    receipt_id = open_receipt(sim, "NEW")
    bump(receipt_id, "IN_PROGRESS", "a")
    bump(receipt_id, "READY", "b")
    sim.set_receipt_status(receipt_id, "CANCELLED")
    assert deliver(clopos, now=T0).superseded == 2
    assert writes(sim, receipt_id) == 0


def test_a_receipt_clopos_does_not_have_fails_with_its_reason(sim, clopos):
    Receipt.objects.create(id=123, status=1, order_status="NEW")
    entry, _ = bump(123, "IN_PROGRESS", "k")
    assert deliver(clopos, now=T0).failed == 1
    entry = reload(entry)
    assert entry.state == "failed"
    assert "Receipt not found" in entry.reason and entry.last_error
    assert deliver(clopos, now=T0 + timedelta(hours=1)).attempted == 0  # never retried


def test_a_refusal_clopos_sends_as_success_false_fails_the_entry(sim, clopos):
    receipt_id = open_receipt(sim)
    entry, _ = bump(receipt_id, "IN_PROGRESS", "k")
    sim.inject("success_false")
    assert deliver(clopos, now=T0).failed == 1
    assert reload(entry).state == "failed"
    assert "Upstream Clopos API returned an error" in reload(entry).reason


@pytest.mark.parametrize(
    ("fault", "count", "wait"),
    [("500", 1, 0.5), ("504", 1, 0.5), ("429", 1, 3.0), ("token_expired", 2, 0.5)],
)
def test_a_fault_that_may_pass_keeps_the_tap_and_tries_again_later(sim, clopos, fault, count, wait):
    receipt_id = open_receipt(sim)
    entry, _ = bump(receipt_id, "IN_PROGRESS", "k")
    sim.inject(fault, count=count)
    version = data_version()
    result = deliver(clopos, now=T0)
    assert result.retrying == 1 and result.attempted == 1
    entry = reload(entry)
    assert (entry.state, entry.attempts) == ("pending", 1)
    assert entry.next_attempt_at == T0 + timedelta(seconds=wait)
    assert entry.last_error
    assert data_version() == version  # nothing a screen shows has changed
    # Not due yet: nothing is sent.
    sent = len(sim.request_log)
    assert deliver(clopos, now=T0 + timedelta(seconds=wait / 2)).attempted == 0
    assert len(sim.request_log) == sent
    # Due: delivered once.
    assert deliver(clopos, now=T0 + timedelta(seconds=wait)).delivered == 1
    assert reload(entry).state == "confirmed"
    assert writes(sim, receipt_id) == 1 and shown(sim, receipt_id) == "IN_PROGRESS"


def test_the_backoff_doubles_up_to_the_clients_cap(sim, server):
    clopos = clopos_for(server, backoff_base=1.0, backoff_cap=4.0)
    receipt_id = open_receipt(sim)
    entry, _ = bump(receipt_id, "IN_PROGRESS", "k")
    now, waits = T0, []
    for _ in range(4):
        sim.inject("500")
        deliver(clopos, now=now)
        entry = reload(entry)
        waits.append((entry.next_attempt_at - now).total_seconds())
        now = entry.next_attempt_at
    assert waits == [1.0, 2.0, 4.0, 4.0]
    assert entry.attempts == 4
    assert [backoff_seconds(n, base=0.5, cap=30) for n in (1, 2, 3, 7, 8)] == [
        0.5,
        1.0,
        2.0,
        30.0,
        30.0,
    ]


def test_taps_on_one_receipt_arrive_in_order(sim, clopos):
    receipt_id = open_receipt(sim, "NEW")
    bump(receipt_id, "IN_PROGRESS", "a")
    bump(receipt_id, "READY", "b")
    bump(receipt_id, "IN_PROGRESS", "c")  # undo
    bump(receipt_id, "READY", "d")
    assert deliver(clopos, now=T0).delivered == 4
    steps = list(
        ReceiptEvent.objects.filter(receipt_id=receipt_id)
        .order_by("id")
        .values_list("from_value", "to_value")
    )
    assert steps == [
        ("NEW", "IN_PROGRESS"),
        ("IN_PROGRESS", "READY"),
        ("READY", "IN_PROGRESS"),
        ("IN_PROGRESS", "READY"),
    ]
    assert writes(sim, receipt_id) == 4 and shown(sim, receipt_id) == "READY"


def test_a_later_tap_never_overtakes_an_earlier_one_still_waiting(sim, clopos):
    first_receipt = open_receipt(sim, "NEW")
    other_receipt = open_receipt(sim, "NEW")
    a, _ = bump(first_receipt, "IN_PROGRESS", "a")
    b, _ = bump(first_receipt, "READY", "b")
    sim.inject("500")
    assert deliver(clopos, now=T0).retrying == 1  # Clopos is failing: delivery stops
    c, _ = bump(other_receipt, "IN_PROGRESS", "c", now=T0 + timedelta(seconds=0.1))
    # The first receipt waits out its backoff; the other receipt's tap goes meanwhile.
    result = deliver(clopos, now=T0 + timedelta(seconds=0.2))
    assert result.delivered == 1
    assert [reload(e).state for e in (a, b, c)] == ["pending", "pending", "confirmed"]
    assert reload(b).attempts == 0
    assert writes(sim, first_receipt) == 0
    assert deliver(clopos, now=T0 + timedelta(seconds=1)).delivered == 2
    assert shown(sim, first_receipt) == "READY"


def test_at_most_limit_entries_are_attempted_per_call(sim, clopos):
    receipts = [open_receipt(sim, "NEW", with_order=False) for _ in range(3)]
    for n, receipt_id in enumerate(receipts):
        bump(receipt_id, "IN_PROGRESS", f"k{n}")
    assert deliver(clopos, now=T0, limit=2).delivered == 2
    assert deliver(clopos, now=T0, limit=2).delivered == 1


class Killed(BaseException):
    """The process dies (kill -9) right after Clopos took the write, before Pass committed."""


class DiesAfterWriting(CloposClient):
    def set_receipt_order_status(self, receipt_id: int, order_status: str) -> dict:
        super().set_receipt_order_status(receipt_id, order_status)
        raise Killed


def test_a_crash_between_the_write_and_its_commit_is_redelivered_without_a_second_write(
    sim, server
):
    receipt_id = open_receipt(sim, "NEW")
    entry, _ = bump(receipt_id, "IN_PROGRESS", "k")
    with pytest.raises(Killed):
        deliver(clopos_for(server, DiesAfterWriting), now=T0)
    assert writes(sim, receipt_id) == 1
    assert reload(entry).state == "pending"
    restarted = clopos_for(server)
    # The dead deliverer's claim holds the entry for a while, then frees it.
    assert deliver(restarted, now=T0 + timedelta(seconds=CLAIM_SECONDS - 1)).attempted == 0
    result = deliver(restarted, now=T0 + timedelta(seconds=CLAIM_SECONDS))
    assert result.delivered == 1
    entry = reload(entry)
    assert (entry.state, entry.attempts) == ("confirmed", 2)
    assert writes(sim, receipt_id) == 1  # one change in Clopos


class RacedByAnotherDeliverer(CloposClient):
    """While this deliverer reads the receipt, a second process delivers too."""

    other: CloposClient
    now = T0
    results: list

    def get_receipt(self, receipt_id: int, **kwargs) -> dict:
        if not self.results:
            self.results.append(deliver(self.other, now=self.now))
        return super().get_receipt(receipt_id, **kwargs)


def test_two_deliverers_at_once_write_each_tap_once(sim, server):
    receipt_id = open_receipt(sim, "NEW")
    entry, _ = bump(receipt_id, "IN_PROGRESS", "k")
    first = clopos_for(server, RacedByAnotherDeliverer)
    first.other, first.results = clopos_for(server), []
    assert deliver(first, now=T0).delivered == 1
    assert first.results[0].attempted == 0  # the second found the tap taken
    assert writes(sim, receipt_id) == 1
    assert reload(entry).state == "confirmed"


def test_a_claim_read_before_another_deliverers_claim_loses(sim):
    receipt_id = open_receipt(sim)
    entry, _ = bump(receipt_id, "IN_PROGRESS", "k")
    mine, theirs = reload(entry), reload(entry)  # both read it pending and due
    assert entry_claim(theirs, now=T0)
    assert not entry_claim(mine, now=T0)
    assert reload(entry).attempts == 1


# --- Ignoring an order ------------------------------------------------------------------------


def test_ignoring_a_pending_order_is_delivered_and_cached(sim, clopos):
    order_id = sim.add_order(status="PENDING")["id"]
    make_order(id=order_id, status="PENDING")
    entry, created = enqueue_ignore(order_id=order_id, key="i", actor="manager", now=T0)
    assert created and (entry.from_status, entry.to_status) == ("PENDING", "IGNORE")
    again, created_again = enqueue_ignore(order_id=order_id, key="i", actor="manager", now=T0)
    assert again.id == entry.id and not created_again
    with pytest.raises(TransitionRefused):  # another key, same order: already being ignored
        enqueue_ignore(order_id=order_id, key="j", actor="manager", now=T0)
    assert deliver(clopos, now=T0).delivered == 1
    assert sim.order(order_id)["status"] == "IGNORE"
    assert Order.objects.get(id=order_id).status == "IGNORE"
    assert OrderEvent.objects.filter(order_id=order_id, to_status="IGNORE").count() == 1
    assert reload(entry).state == "confirmed"


def test_an_order_accepted_in_the_pos_meanwhile_is_not_ignored(sim, clopos):
    order_id = sim.add_order(status="PENDING")["id"]
    make_order(id=order_id, status="PENDING")
    entry, _ = enqueue_ignore(order_id=order_id, key="i", actor="manager", now=T0)
    sim.set_status(order_id, "RECEIVED")
    assert deliver(clopos, now=T0).superseded == 1
    assert reload(entry).clopos_status == "RECEIVED"
    assert sim.order(order_id)["status"] == "RECEIVED"


def test_only_a_pending_order_can_be_ignored():
    order = make_order(status="RECEIVED")
    with pytest.raises(TransitionRefused, match="only a PENDING order"):
        enqueue_ignore(order_id=order.id, key="i", actor="manager")
    with pytest.raises(UnknownTarget):
        enqueue_ignore(order_id=10**12, key="j", actor="manager")


# --- Health, the Recall drawer, the timeline --------------------------------------------------


def test_health_counts_what_waits_and_for_how_long(sim, clopos, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert outbox_health(T0) == {"pending": 0, "oldest_age_seconds": None}
    receipt_id = open_receipt(sim)
    other = open_receipt(sim, with_order=False)
    bump(receipt_id, "IN_PROGRESS", "a", now=T0)
    bump(other, "IN_PROGRESS", "b", now=T0 + timedelta(seconds=10))
    with django_assert_num_queries(1):
        health = outbox_health(T0 + timedelta(seconds=42.5))
    assert health == {"pending": 2, "oldest_age_seconds": 42.5}
    deliver(clopos, now=T0 + timedelta(seconds=43))
    assert outbox_health(T0 + timedelta(seconds=43)) == {"pending": 0, "oldest_age_seconds": None}


def test_recall_lists_a_screens_last_bumps_newest_first(sim):
    receipt_id = open_receipt(sim, "NEW")
    keys = ["a", "b", "c", "d"]
    for n, key in enumerate(keys):
        bump(receipt_id, "IN_PROGRESS" if n % 2 == 0 else "NEW", key)
    bump_other = open_receipt(sim, with_order=False)
    bump(bump_other, "IN_PROGRESS", "other-screen", actor="bar")
    assert [e.key for e in recent_bumps("grill", limit=3)] == ["d", "c", "b"]
    assert [e.key for e in recent_bumps("bar")] == ["other-screen"]
    assert recent_bumps("grill", actor_kind="manager") == []


def test_a_receipts_and_an_orders_timeline_list_their_writes_oldest_first(sim, clopos):
    receipt_id = open_receipt(sim, "NEW")
    bump(receipt_id, "IN_PROGRESS", "a")
    bump(receipt_id, "READY", "b", now=T0 + timedelta(seconds=5))
    deliver(clopos, now=T0 + timedelta(seconds=6))
    timeline = entries_for_receipt(receipt_id)
    assert [(e.from_status, e.to_status, e.state) for e in timeline] == [
        ("NEW", "IN_PROGRESS", "confirmed"),
        ("IN_PROGRESS", "READY", "confirmed"),
    ]
    order = Order.objects.get(receipt_id=receipt_id)
    assert [e.key for e in entries_for_order(order)] == ["a", "b"]
    assert "IN_PROGRESS" in str(timeline[0])


def test_the_admin_shows_entries_and_their_reasons_read_only(
    sim, clopos, client, django_user_model
):
    admin = django_user_model.objects.create_superuser(username="admin", password="pw-123456789")
    client.force_login(admin)
    Receipt.objects.create(id=123, status=1, order_status="NEW")
    entry, _ = bump(123, "IN_PROGRESS", "k")
    deliver(clopos, now=T0)
    listing = client.get("/admin/orders_app/outboxentry/?state__exact=failed")
    assert listing.status_code == 200 and "123" in listing.content.decode()
    page = client.get(f"/admin/orders_app/outboxentry/{entry.id}/change/").content.decode()
    assert "Receipt not found" in page and 'name="state"' not in page
    assert client.get("/admin/orders_app/outboxentry/add/").status_code == 403


@pytest.mark.parametrize(
    "queryset",
    [
        lambda: OutboxEntry.objects.filter(state="pending").order_by("id"),
        lambda: OutboxEntry.objects.filter(
            actor_kind="screen", actor="grill", kind="receipt_status"
        ).order_by("-id"),
        lambda: OutboxEntry.objects.filter(receipt_id=1).order_by("id"),
    ],
    ids=["pending-in-order", "a-screens-last-bumps", "a-receipts-timeline"],
)
def test_the_outboxs_reads_use_an_index(queryset):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's planner scans tables this small whatever the indexes")
    plan = queryset().explain()
    assert "USING" in plan and "INDEX" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


# --- Delivery by the sync ----------------------------------------------------------------------


def test_a_sync_pass_delivers_the_waiting_taps_before_it_reads(sim, clopos):
    receipt_id = open_receipt(sim)
    entry, _ = bump(receipt_id, "IN_PROGRESS", "k-pass")

    result = sync_pass(client=clopos, now=T0 + timedelta(seconds=1))

    assert reload(entry).state == "confirmed"
    assert shown(sim, receipt_id) == "IN_PROGRESS"
    assert result.outbox_delivered == 1
    assert "outbox_delivered=1" in result.summary_line()
    assert Receipt.objects.get(id=receipt_id).order_status == "IN_PROGRESS"


def test_with_writes_off_the_sync_delivers_nothing_and_reads_no_outbox(
    sim, clopos, settings, django_assert_num_queries
):
    receipt_id = open_receipt(sim)
    entry, _ = bump(receipt_id, "IN_PROGRESS", "k-off")
    settings.WALL_BUMP = False
    settings.BOARD_CAN_IGNORE = False

    with django_assert_num_queries(0):
        assert deliver(clopos).attempted == 0
        assert outbox_due(T0 + timedelta(seconds=1)) is False

    assert reload(entry).state == "pending"
    assert writes(sim, receipt_id) == 0


def test_delivery_goes_past_the_reads_budget_without_waiting(sim, server):
    clopos = clopos_for(server, requests_per_minute=2, write_requests_per_minute=10)
    receipt_id = open_receipt(sim)
    clopos.get_receipt(receipt_id, with_=())  # sign-in and a read: the reads' budget is spent
    entry, _ = bump(receipt_id, "IN_PROGRESS", "k-first")

    assert deliver(clopos, now=T0).delivered == 1

    assert clopos._sleep == []  # read, write, read: none waited for the window
    assert reload(entry).state == "confirmed"
