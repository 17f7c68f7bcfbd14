"""Ignoring a PENDING order from the board (BOARD_CAN_IGNORE): the two-step confirmation, the
outbox entry it records, the refusals, and the order's timeline of writes to Clopos."""

from __future__ import annotations

import pytest
from django.utils import timezone

from orders_app.models import OutboxEntry, Receipt
from orders_app.services.outbox import enqueue_bump
from tests.fixtures.orders import make_order, mark_synced

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("boss", password="x-long-pass-1"))
    mark_synced()
    return client


def ignore_key(html: str) -> str:
    return html.split('name="key" value="', 1)[1].split('"', 1)[0]


def test_with_ignoring_off_there_is_no_button_and_a_post_is_refused(manager):
    order = make_order(id=801, status="PENDING")

    page = manager.get(f"/orders/{order.id}/").content.decode()
    response = manager.post(f"/orders/{order.id}/ignore/", {"key": "k-off"})

    assert "Ignore this order" not in page
    assert response.status_code == 403
    assert not OutboxEntry.objects.exists()


def test_a_manager_ignores_a_pending_order_once_with_a_confirmation(manager, settings):
    settings.BOARD_CAN_IGNORE = True
    order = make_order(id=802, status="PENDING")

    page = manager.get(f"/orders/{order.id}/").content.decode()
    panel = manager.get(f"/orders/{order.id}/panel/", headers={"HX-Request": "true"})
    key = ignore_key(page)
    first = manager.post(f"/orders/{order.id}/ignore/", {"key": key})
    again = manager.post(f"/orders/{order.id}/ignore/", {"key": key})  # a double submit

    assert "Yes, ignore order #802" in page and "Ignore this order" in panel.content.decode()
    assert first.status_code == again.status_code == 302
    assert first["Location"] == f"/orders/{order.id}/"
    entry = OutboxEntry.objects.get()
    assert (entry.kind, entry.to_status, entry.actor, entry.actor_kind) == (
        "order_ignore",
        "IGNORE",
        "boss",
        "manager",
    )
    after = manager.get(f"/orders/{order.id}/").content.decode()
    assert "will be ignored in Clopos" in after
    assert "Ignore this order" not in after and "Ignore on its way to Clopos" in after
    assert "Ignore asked by boss (Manager)" in after and "Waiting to reach Clopos" in after


def test_an_order_no_longer_pending_is_not_ignored_and_the_page_says_so(manager, settings):
    settings.BOARD_CAN_IGNORE = True
    order = make_order(id=803, status="RECEIVED")

    page = manager.get(f"/orders/{order.id}/").content.decode()
    response = manager.post(f"/orders/{order.id}/ignore/", {"key": "k-late"}, follow=True)

    assert "Ignore this order" not in page
    assert "no longer waiting for acceptance" in response.content.decode()
    assert not OutboxEntry.objects.exists()


def test_ignore_refuses_a_get_an_unknown_order_and_an_anonymous_visitor(client, manager, settings):
    settings.BOARD_CAN_IGNORE = True
    make_order(id=804, status="PENDING")

    assert manager.get("/orders/804/ignore/").status_code == 405
    assert manager.post("/orders/999999/ignore/", {"key": "k"}).status_code == 404
    assert manager.post("/orders/804/ignore/", {"key": ""}).status_code == 400
    manager.logout()
    assert client.post("/orders/804/ignore/", {"key": "k"}).status_code == 302
    assert not OutboxEntry.objects.exists()


def test_the_timeline_shows_each_bump_who_from_to_and_how_it_ended(manager, settings):
    settings.WALL_BUMP = True
    Receipt.objects.create(id=7805, status=1, order_status="NEW")
    order = make_order(id=805, status="RECEIVED", receipt_id=7805, stage="accepted")
    entry, _ = enqueue_bump(
        receipt_id=7805, to_status="IN_PROGRESS", key="t-1", actor="grill", actor_kind="screen"
    )
    now = timezone.now()
    OutboxEntry.objects.filter(id=entry.id).update(
        state="confirmed", confirmed_at=now, ended_at=now
    )
    Receipt.objects.filter(id=7805).update(order_status="IN_PROGRESS")  # as delivery leaves it
    enqueue_bump(receipt_id=7805, to_status="READY", key="t-2", actor="boss", actor_kind="manager")

    html = manager.get(f"/orders/{order.id}/").content.decode()

    assert "Bumped by grill (Screen): New → Preparing" in html
    assert "Confirmed by Clopos at " + timezone.localtime(now).strftime("%H:%M:%S") in html
    assert "Bumped by boss (Manager): Preparing → Ready" in html
    assert "Waiting to reach Clopos" in html
