"""Bumping from the wall (views/bump.py): who may, CSRF, idempotency, refusals, rate limit,
the card answered and shown on every wall, the Recall drawer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from orders_app.models import OutboxEntry, Receipt
from orders_app.services.wall_keys import wall_key_create, wall_key_revoke, wall_key_set_bump
from tests.fixtures.orders import make_order, mark_synced

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _bumping_on(settings):
    settings.WALL_BUMP = True
    cache.clear()  # fragments are cached per token; tokens repeat across tests
    mark_synced()


def kiosk(*, bump: bool, name: str = "grill", csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    created = wall_key_create(name=name, can_bump=bump)
    assert client.get(f"/wall/?key={created.key}").status_code == 302
    return client


def csrf_of(client: Client, path: str = "/wall/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return str(response.context["csrf_token"])


def ticket(order_status: str = "NEW", *, order_id: int | None = None) -> int:
    """An accepted order linked to an open receipt at ``order_status``: its receipt id."""
    receipt = Receipt.objects.create(
        id=(order_id or 5000) + 70_000, status=1, order_status=order_status
    )
    make_order(
        id=order_id or 5000,
        status="RECEIVED",
        receipt_id=receipt.id,
        stage={"NEW": "accepted", "IN_PROGRESS": "preparing", "READY": "ready"}[order_status],
    )
    return receipt.id


def tap(client: Client, receipt: int, to: str, key: str, query: str = "", **extra):
    return client.post(f"/wall/bump/{query}", {"receipt": receipt, "to": to, "key": key}, **extra)


# --- Who may bump -------------------------------------------------------------------------------


def test_a_bump_key_moves_the_ticket_and_gets_its_card_back():
    client = kiosk(bump=True)
    receipt = ticket("NEW")

    response = tap(client, receipt, "IN_PROGRESS", "tap-1")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="card' in html and "is-sending" in html
    assert f'data-receipt="{receipt}"' in html
    assert 'data-bump-from="IN_PROGRESS"' in html and 'data-bump-to="READY"' in html
    assert 'data-bump-back="NEW"' in html
    assert response["X-Bump-From"] == "NEW" and response["X-Bump-To"] == "IN_PROGRESS"
    assert response["X-Bump-State"] == "pending"
    # Plain strings (a WSGI server refuses anything else, a TextChoices member included).
    assert all(type(value) is str for value in response.headers.values())
    entry = OutboxEntry.objects.get()
    assert (entry.actor, entry.actor_kind, entry.to_status) == ("grill", "screen", "IN_PROGRESS")


def test_a_manager_may_bump_on_any_wall(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("boss", password="x-long-pass-1"))
    receipt = ticket("NEW")

    response = tap(client, receipt, "IN_PROGRESS", "tap-m")

    assert response.status_code == 200
    assert OutboxEntry.objects.get().actor_kind == "manager"


def test_without_login_or_key_a_tap_is_refused_and_nothing_is_recorded(client):
    receipt = ticket()

    response = tap(client, receipt, "IN_PROGRESS", "tap-anon")

    assert response.status_code == 403
    assert response["X-Wall-Denied"] == "signed-out"
    assert not OutboxEntry.objects.exists()


def test_a_read_only_key_may_not_bump_and_sees_no_controls():
    client = kiosk(bump=False)
    receipt = ticket()

    page = client.get("/wall/").content.decode()
    response = tap(client, receipt, "IN_PROGRESS", "tap-ro")

    assert response.status_code == 403
    assert "may not bump" in response.content.decode()
    assert "bump-btn" not in page and "data-bump-url" not in page and "recall-open" not in page
    assert not OutboxEntry.objects.exists()


def test_a_revoked_key_is_refused_as_its_screen_would_be():
    client = kiosk(bump=True)
    receipt = ticket()
    wall_key_revoke(name="grill")

    response = tap(client, receipt, "IN_PROGRESS", "tap-rev")

    assert response.status_code == 403
    assert response["X-Wall-Denied"] == "revoked"
    assert not OutboxEntry.objects.exists()


def test_taking_bump_rights_away_stops_the_next_tap():
    client = kiosk(bump=True)
    receipt = ticket()
    wall_key_set_bump(name="grill", can_bump=False)

    assert tap(client, receipt, "IN_PROGRESS", "tap-x").status_code == 403


def test_with_bumping_off_a_bump_key_writes_nothing(settings):
    client = kiosk(bump=True)
    receipt = ticket()
    settings.WALL_BUMP = False

    response = tap(client, receipt, "IN_PROGRESS", "tap-off")

    assert response.status_code == 403
    assert "bump-btn" not in client.get("/wall/").content.decode()
    assert not OutboxEntry.objects.exists()


def test_a_tap_without_the_csrf_token_is_refused_and_with_it_passes():
    client = kiosk(bump=True, csrf=True)
    receipt = ticket()

    refused = tap(client, receipt, "IN_PROGRESS", "tap-c1")
    token = csrf_of(client)
    passed = tap(client, receipt, "IN_PROGRESS", "tap-c2", headers={"X-CSRFToken": token})

    assert refused.status_code == 403
    assert passed.status_code == 200
    assert OutboxEntry.objects.count() == 1


# --- What a tap may be --------------------------------------------------------------------------


def test_the_same_key_twice_is_one_change():
    client = kiosk(bump=True)
    receipt = ticket("NEW")

    first = tap(client, receipt, "IN_PROGRESS", "tap-same")
    again = tap(client, receipt, "IN_PROGRESS", "tap-same")

    assert first.status_code == again.status_code == 200
    assert again["X-Bump-Repeat"] == "1" and again["X-Bump-Entry"] == first["X-Bump-Entry"]
    assert OutboxEntry.objects.count() == 1


def test_a_step_the_flow_does_not_allow_is_409_with_where_the_ticket_stands():
    client = kiosk(bump=True)
    receipt = ticket("NEW")

    skipped = tap(client, receipt, "READY", "tap-skip")

    assert skipped.status_code == 409
    assert skipped["X-Bump-From"] == "NEW"
    assert "moved on" in skipped.content.decode()
    assert not OutboxEntry.objects.exists()


def test_two_screens_tapping_the_same_step_make_one_change_and_one_409():
    one, two = kiosk(bump=True, name="grill"), kiosk(bump=True, name="expo")
    receipt = ticket("NEW")

    first = tap(one, receipt, "IN_PROGRESS", "tap-a")
    second = tap(two, receipt, "IN_PROGRESS", "tap-b")

    assert first.status_code == 200 and second.status_code == 409
    assert OutboxEntry.objects.count() == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"to": "IN_PROGRESS", "key": "k"},  # no receipt
        {"receipt": "12ab", "to": "IN_PROGRESS", "key": "k"},
        {"receipt": "٣٤", "to": "IN_PROGRESS", "key": "k"},  # not ASCII digits
        {"receipt": "9" * 40, "to": "IN_PROGRESS", "key": "k"},
        {"receipt": "75000", "to": "DANCING", "key": "k"},
        {"receipt": "75000", "to": "IN_PROGRESS", "key": ""},
        {"receipt": "75000", "to": "IN_PROGRESS", "key": "x" * 65},
        {"receipt": "75000", "to": "IN_PROGRESS", "key": "bad\x00key"},
    ],
)
def test_a_malformed_tap_is_400_and_records_nothing(fields):
    client = kiosk(bump=True)
    ticket("NEW")

    response = client.post("/wall/bump/", fields)

    assert response.status_code == 400
    assert not OutboxEntry.objects.exists()


def test_an_unknown_receipt_is_404():
    client = kiosk(bump=True)

    response = tap(client, 123456, "NEW", "tap-unknown")

    assert response.status_code == 404
    assert not OutboxEntry.objects.exists()


def test_a_get_is_not_a_tap():
    client = kiosk(bump=True)
    assert client.get("/wall/bump/").status_code == 405


def test_a_screen_tapping_too_fast_is_429_but_its_retries_still_answer(settings):
    settings.WALL_BUMP_PER_MINUTE = 2
    client = kiosk(bump=True)
    first, second, third = ticket(order_id=5001), ticket(order_id=5002), ticket(order_id=5003)

    assert tap(client, first, "IN_PROGRESS", "r1").status_code == 200
    assert tap(client, second, "IN_PROGRESS", "r2").status_code == 200
    limited = tap(client, third, "IN_PROGRESS", "r3")
    retry = tap(client, first, "IN_PROGRESS", "r1")

    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert retry.status_code == 200 and retry["X-Bump-Repeat"] == "1"
    assert OutboxEntry.objects.count() == 2
    # Another screen has its own allowance.
    assert tap(kiosk(bump=True, name="expo"), third, "IN_PROGRESS", "r4").status_code == 200


# --- What the walls show ------------------------------------------------------------------------


def test_the_tapped_card_moves_at_once_on_every_wall_marked_sending():
    cook = kiosk(bump=True)
    front = kiosk(bump=False, name="front")
    receipt = ticket("NEW")
    before = front.get("/wall/").content.decode()
    assert 'data-stage="accepted"' in before

    tap(cook, receipt, "IN_PROGRESS", "tap-move")
    after = front.get("/wall/")

    board = after.context["board"]
    preparing = next(c for c in board.columns if c.stage == "preparing")
    card = next(c for c in preparing.cards if c.receipt_id == receipt)
    assert card.stage == "preparing" and card.bump.sending
    assert "Sending…" in after.content.decode()


def test_a_ready_card_tapped_to_picked_up_goes_to_done_and_the_answer_says_so():
    client = kiosk(bump=True)
    receipt = ticket("READY")

    response = tap(client, receipt, "PICKED_UP", "tap-done")

    html = response.content.decode()
    assert 'data-stage="done"' in html and "data-expires=" in html
    assert "data-bump-to" not in html  # the end of the flow
    assert 'data-bump-back="READY"' in html


def test_a_card_tapped_off_this_screen_answers_an_empty_body():
    client = kiosk(bump=True)
    receipt = ticket("READY")

    response = tap(client, receipt, "PICKED_UP", "tap-off-screen", "?stage=ready")

    assert response.status_code == 200 and response.content == b""
    assert OutboxEntry.objects.get().to_status == "PICKED_UP"


def test_a_bump_screen_polls_with_bump_1_and_gets_controls_in_every_fragment():
    client = kiosk(bump=True)
    ticket("NEW")

    page = client.get("/wall/")
    html = page.content.decode()
    poll_url = page.context["poll_url"]
    fragment = client.get(poll_url.replace("token=", "token=stale-"))

    assert "bump=1" in poll_url and 'data-bump="1"' in html and 'id="recall-open"' in html
    assert "bump-btn" in html and "Start ▸" in html
    assert "bump-btn" in fragment.content.decode()
    # The same choices without bump=1 (a read-only screen) share no fragment with it.
    plain = client.get(poll_url.replace("bump=1&", "").replace("token=", "token=stale-"))
    assert "bump-btn" not in plain.content.decode()


def test_changes_waiting_are_announced_with_when_the_oldest_was_tapped():
    client = kiosk(bump=True)
    receipt = ticket("NEW")
    tap(client, receipt, "IN_PROGRESS", "tap-w1")
    OutboxEntry.objects.update(tapped_at=timezone.now() - timedelta(seconds=45))

    html = client.get("/wall/").content.decode()

    assert 'id="outbox-banner"' in html
    assert "1 change waiting to reach Clopos" in html
    assert 'data-after-seconds="30"' in html


def test_a_superseded_bump_says_changed_in_pos_on_the_card():
    client = kiosk(bump=True)
    receipt = ticket("NEW")
    tap(client, receipt, "IN_PROGRESS", "tap-sup")
    now = timezone.now()
    OutboxEntry.objects.update(state="superseded", ended_at=now, reason="changed in POS")

    html = client.get("/wall/").content.decode()

    assert "is-changed-pos" in html and "Changed in POS" in html
    assert "is-sending" not in html


# --- The Recall drawer --------------------------------------------------------------------------


def test_recall_lists_this_screens_bumps_and_puts_the_latest_back_a_step():
    client = kiosk(bump=True)
    other = kiosk(bump=True, name="expo")
    receipt = ticket("NEW", order_id=5010)
    tap(client, receipt, "IN_PROGRESS", "rc-1")
    tap(client, receipt, "READY", "rc-2")
    tap(other, ticket("NEW", order_id=5011), "IN_PROGRESS", "rc-other")

    drawer = client.get("/wall/recall/")

    html = drawer.content.decode()
    assert drawer.status_code == 200
    assert html.count('class="recall-row') == 2  # not the other screen's
    assert "#5010" in html
    assert html.count("recall-btn") == 1 and 'data-bump-to="IN_PROGRESS"' in html
    back = tap(client, receipt, "IN_PROGRESS", "rc-3")
    assert back.status_code == 200 and back["X-Bump-From"] == "READY"


def test_recall_is_refused_to_a_read_only_screen():
    assert kiosk(bump=False).get("/wall/recall/").status_code == 403
