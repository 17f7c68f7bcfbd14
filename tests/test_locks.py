"""The sync lease: one runner at a time per database (orders_app/services/locks.py)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from orders_app.models import SyncLease
from orders_app.services.locks import (
    LeaseHeld,
    LeaseKeeper,
    LeaseLost,
    default_holder,
    lease_acquire,
    lease_release,
    lease_renew,
    lease_wait,
)

pytestmark = pytest.mark.django_db


def test_first_runner_gets_the_lease():
    lease = lease_acquire(holder="host-a:1", seconds=60)

    row = SyncLease.objects.get(name="sync_orders")
    assert row.holder == "host-a:1"
    assert row.expires_at == lease.expires_at


def test_second_runner_is_told_who_holds_the_lease_and_until_when():
    first = lease_acquire(holder="host-a:1", seconds=60)

    with pytest.raises(LeaseHeld) as caught:
        lease_acquire(holder="host-b:2", seconds=60)

    message = str(caught.value)
    assert message.startswith("another sync_orders is running (holder host-a:1, lease until ")
    assert timezone.localtime(first.expires_at).strftime("%H:%M:%S") in message
    assert caught.value.holder == "host-a:1"


def test_an_expired_lease_can_be_taken_over():
    now = timezone.now()
    lease_acquire(holder="host-a:1", seconds=60, now=now - timedelta(minutes=5))

    lease = lease_acquire(holder="host-b:2", seconds=60, now=now)

    assert lease.holder == "host-b:2"
    assert SyncLease.objects.get().holder == "host-b:2"


def test_the_holder_can_claim_its_own_lease_again():
    lease_acquire(holder="host-a:1", seconds=60)

    assert lease_acquire(holder="host-a:1", seconds=60).holder == "host-a:1"


def test_a_released_lease_is_free_for_the_next_runner():
    lease = lease_acquire(holder="host-a:1", seconds=60)

    lease_release(lease)

    assert lease_acquire(holder="host-b:2", seconds=60).holder == "host-b:2"


def test_releasing_someone_elses_lease_does_nothing():
    mine = lease_acquire(holder="host-a:1", seconds=60, now=timezone.now() - timedelta(hours=1))
    lease_acquire(holder="host-b:2", seconds=60)

    lease_release(mine)

    assert SyncLease.objects.get().holder == "host-b:2"


def test_renewing_extends_the_lease():
    now = timezone.now()
    lease = lease_acquire(holder="host-a:1", seconds=60, now=now)

    lease_renew(lease, now=now + timedelta(seconds=30))

    assert SyncLease.objects.get().expires_at == now + timedelta(seconds=90)


def test_renewing_often_writes_only_once_a_quarter_lease_has_passed():
    now = timezone.now()
    lease = lease_acquire(holder="host-a:1", seconds=60, now=now)

    lease_renew(lease, now=now + timedelta(seconds=5))

    assert SyncLease.objects.get().expires_at == now + timedelta(seconds=60)


def test_renewing_a_lease_someone_took_over_raises_lease_lost():
    now = timezone.now()
    lease = lease_acquire(holder="host-a:1", seconds=60, now=now - timedelta(minutes=5))
    lease_acquire(holder="host-b:2", seconds=60, now=now)

    with pytest.raises(LeaseLost):
        lease_renew(lease, now=now, force=True)


def test_waiting_runner_gets_the_lease_once_the_holder_releases_it():
    first = lease_acquire(holder="host-a:1", seconds=60)
    told = []
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        lease_release(first)

    lease = lease_wait(holder="host-b:2", seconds=60, on_wait=told.append, sleep=sleep)

    assert lease is not None and lease.holder == "host-b:2"
    assert len(sleeps) == 1
    assert [held.holder for held in told] == ["host-a:1"]


def test_waiting_runner_gives_up_after_its_timeout():
    lease_acquire(holder="host-a:1", seconds=60)
    ticks = iter(range(100))

    with pytest.raises(LeaseHeld):
        lease_wait(
            holder="host-b:2",
            timeout=3,
            sleep=lambda _: None,
            clock=lambda: float(next(ticks)),
        )


def test_waiting_runner_stops_waiting_when_asked_to():
    lease_acquire(holder="host-a:1", seconds=60)

    lease = lease_wait(holder="host-b:2", should_stop=lambda: True, sleep=lambda _: None)

    assert lease is None
    assert SyncLease.objects.get().holder == "host-a:1"


def test_default_holder_names_host_and_process():
    host, _, pid = default_holder().rpartition(":")

    assert host
    assert pid.isdigit()


# --- The keeper: renewing from a background thread ----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_keeper_renews_the_lease_while_the_runner_is_busy_elsewhere():
    lease = lease_acquire(holder="host-a:1", seconds=1)
    first_expiry = SyncLease.objects.get().expires_at
    keeper = LeaseKeeper(lease, every=0.2).start()
    try:
        time.sleep(1.5)  # the main thread is "stuck" in a request longer than the lease
        with pytest.raises(LeaseHeld):
            lease_acquire(holder="host-b:2", seconds=2)
        assert SyncLease.objects.get().expires_at > first_expiry
        keeper.check()
    finally:
        keeper.stop()


def test_keeper_check_raises_once_someone_else_holds_the_lease():
    now = timezone.now()
    lease = lease_acquire(holder="host-a:1", seconds=60, now=now - timedelta(minutes=5))
    lease_acquire(holder="host-b:2", seconds=60, now=now)
    keeper = LeaseKeeper(lease)  # never started: as if the process had been frozen

    with pytest.raises(LeaseLost):
        keeper.check(now=now)


def test_keeper_check_renews_a_lease_about_to_run_out():
    now = timezone.now()
    lease = lease_acquire(holder="host-a:1", seconds=60, now=now)
    keeper = LeaseKeeper(lease)

    keeper.check(now=now + timedelta(seconds=50))

    assert SyncLease.objects.get().expires_at == now + timedelta(seconds=110)


def test_keeper_check_reports_a_lease_lost_in_the_background():
    keeper = LeaseKeeper(lease_acquire(holder="host-a:1", seconds=60))
    keeper.lost = "the sync_orders lease was taken over by another runner; stopping this one"

    with pytest.raises(LeaseLost, match="taken over"):
        keeper.check()
