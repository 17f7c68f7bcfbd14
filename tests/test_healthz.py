"""/healthz: how fresh the cache is, for monitors. No login, no secrets."""

from __future__ import annotations

import pytest

from orders_app.clopos.client import CloposClient
from orders_app.clopos.errors import CloposError
from orders_app.services.sync import SyncFailed, failure_message, sync_pass
from tests.fixtures.orders import make_order, mark_failing, mark_synced

pytestmark = pytest.mark.django_db


def test_healthz_is_ok_after_a_recent_sync_and_counts_orders(client):
    make_order()
    make_order()
    mark_synced(ago=5)

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["orders"] == 2
    assert body["consecutive_failures"] == 0
    assert body["last_error"] is None
    assert 4 <= body["age_seconds"] <= 30
    assert set(body) >= {
        "status",
        "last_success_at",
        "age_seconds",
        "consecutive_failures",
        "last_error",
        "orders",
    }


def test_healthz_needs_no_login(client):
    mark_synced()

    response = client.get("/healthz")

    assert response.status_code == 200
    assert "login" not in response.get("Location", "")


def test_healthz_is_stale_with_503_when_data_is_older_than_the_limit(client, settings):
    settings.SYNC_STALE_AFTER = 60
    mark_synced(ago=120)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["status"] == "stale"
    assert response.json()["age_seconds"] >= 120


def test_healthz_before_any_sync_is_stale(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["status"] == "stale"
    assert response.json()["last_success_at"] is None
    assert response.json()["orders"] == 0


def test_healthz_is_failing_with_the_error_in_plain_words(client):
    mark_synced(ago=600)
    mark_failing(error="Clopos did not answer GET /orders within 10 s", failures=4)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["consecutive_failures"] == 4
    assert body["last_error"] == "Clopos did not answer GET /orders within 10 s"


def test_healthz_warns_failing_after_three_failures_while_data_is_still_fresh(client):
    mark_synced(ago=1)
    mark_failing(failures=3)

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "failing"


def test_healthz_after_a_rejected_sign_in_names_the_setting_but_not_the_secret(
    client, simulator_settings
):
    simulator_settings.CLOPOS_CLIENT_SECRET = "client-secret-abcdef"
    simulator_settings.CLOPOS_MAX_RETRIES = 0
    mark_synced(ago=1)
    with pytest.raises(SyncFailed):
        sync_pass(client=CloposClient.from_settings())

    response = client.get("/healthz")

    text = response.content.decode()
    assert "client-secret-abcdef" not in text
    assert "check CLOPOS_CLIENT_ID / CLOPOS_CLIENT_SECRET" in response.json()["last_error"]
    assert response.json()["consecutive_failures"] == 1


def test_failure_messages_never_carry_configured_secrets(settings):
    settings.CLOPOS_TOKEN = "tok-very-secret-123456"

    message = failure_message(CloposError("Clopos said: bad token tok-very-secret-123456"))

    assert "tok-very-secret-123456" not in message
    assert message == "Clopos said: bad token ***"


def test_internal_errors_are_described_without_internals():
    message = failure_message(KeyError("orders_app_order.secret_column"))

    assert message.startswith("Sync stopped on an internal error (KeyError)")
    assert "secret_column" not in message


def test_healthz_is_not_cached(client):
    mark_synced()

    response = client.get("/healthz")

    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def _waiting_tap(*, age_seconds: float) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from orders_app.models import OutboxEntry

    tapped = timezone.now() - timedelta(seconds=age_seconds)
    OutboxEntry.objects.create(
        kind=OutboxEntry.Kind.RECEIPT_STATUS,
        receipt_id=77,
        from_status="NEW",
        to_status="IN_PROGRESS",
        key=f"k-{age_seconds}",
        actor="grill",
        actor_kind="screen",
        tapped_at=tapped,
        next_attempt_at=tapped,
    )


def test_healthz_counts_the_taps_waiting_to_reach_clopos(client):
    mark_synced(ago=1)
    assert client.get("/healthz").json()["outbox"] == {"pending": 0, "oldest_age_seconds": None}
    _waiting_tap(age_seconds=20)
    _waiting_tap(age_seconds=5)

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["outbox"]["pending"] == 2
    assert 20 <= body["outbox"]["oldest_age_seconds"] < 60


def test_healthz_is_failing_when_a_tap_waits_past_the_stale_limit(client, settings):
    settings.SYNC_STALE_AFTER = 120
    mark_synced(ago=1)
    _waiting_tap(age_seconds=121)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["status"] == "failing"
    assert response.json()["outbox"]["pending"] == 1
