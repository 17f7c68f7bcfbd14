"""Held polls (SCREEN_UPDATES=longpoll): a poll with a current token waits on the server until
the cache changes; the watcher that tells it reads the database, never another process's
memory (services/change_watch.py, views/live.py)."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.cache import cache
from django.db import connections
from django.test import Client

from orders_app.models import SyncState
from orders_app.selectors.sync import sync_poll_state
from orders_app.services import change_watch
from orders_app.services.change_watch import ChangeWatch
from tests.fixtures.orders import make_order, mark_synced


class Tokens:
    """A token source the watcher reads, moved by the test."""

    def __init__(self, token: str = "1-0-fresh") -> None:  # noqa: S107 - a poll token
        self.token = token
        self.reads = 0

    def __call__(self) -> str:
        self.reads += 1
        return self.token


def wait_in_thread(watch: ChangeWatch, token: str, seconds: float) -> tuple[threading.Thread, list]:
    answer: list = []
    thread = threading.Thread(target=lambda: answer.append(watch.wait(token, seconds)))
    thread.start()
    return thread, answer


def until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


# --- The watcher -------------------------------------------------------------------------------


def test_a_waiter_wakes_with_the_new_token_when_it_moves():
    tokens = Tokens()
    watch = ChangeWatch(tokens, tick=0.01, idle_stop=0.05)
    thread, answer = wait_in_thread(watch, "1-0-fresh", 10)
    until(lambda: watch.waiting == 1 and tokens.reads >= 2)
    assert thread.is_alive()  # the token has not moved: still held
    tokens.token = "2-0-fresh"
    thread.join(timeout=5)
    assert answer == ["2-0-fresh"]


def test_a_waiter_whose_token_stands_gets_none_when_its_time_is_up():
    tokens = Tokens()
    watch = ChangeWatch(tokens, tick=0.01, idle_stop=0.05)
    assert watch.wait("1-0-fresh", 0.1) is None
    assert tokens.reads >= 1


def test_a_token_read_before_the_wait_began_does_not_wake_it():
    """The caller read "2" itself; the watcher still holds "1" from its last tick. Only a read
    after the wait began counts, so the caller is not sent back at once to ask again."""
    tokens = Tokens("1-0-fresh")
    watch = ChangeWatch(tokens, tick=0.01, idle_stop=10)
    assert watch.wait("1-0-fresh", 0.05) is None  # the watcher now knows "1"
    tokens.token = "2-0-fresh"
    # Clopos moved to "2"; a waiter that has seen "2" waits for the next change, not for "1".
    thread, answer = wait_in_thread(watch, "2-0-fresh", 10)
    until(lambda: watch.waiting == 1)
    time.sleep(0.1)
    assert thread.is_alive()
    tokens.token = "3-0-fresh"
    thread.join(timeout=5)
    assert answer == ["3-0-fresh"]
    watch.stop()


def test_a_waiter_behind_the_watchers_token_is_woken_by_its_next_read():
    """The watcher already read "2" when a poll with "1" comes in (the caller's own read was
    the older one): it is answered at the watcher's next read, not at its hold's end."""
    tokens = Tokens("2-0-fresh")
    watch = ChangeWatch(tokens, tick=0.01, idle_stop=10)
    assert watch.wait("2-0-fresh", 0.05) is None  # the watcher now knows "2"
    started = time.monotonic()
    assert watch.wait("1-0-fresh", 10) == "2-0-fresh"
    assert time.monotonic() - started < 2
    watch.stop()


def test_a_held_poll_sleeps_undisturbed_while_the_token_stands():
    """No periodic wake-ups: 200 held polls woken once a second each were a visible part of an
    idle server's CPU (bench/bench_wall.py, held polls idle)."""
    tokens = Tokens()
    watch = ChangeWatch(tokens, tick=0.01, idle_stop=10)
    waiters = [wait_in_thread(watch, "1-0-fresh", 0.5) for _ in range(5)]
    for thread, _ in waiters:
        thread.join(timeout=5)
    assert [answer for _, answer in waiters] == [[None]] * 5
    assert tokens.reads >= 10  # the watcher read all along
    # Only the looks the watcher's first reads ask for (waiters that came in before them), not
    # one every few ticks (which would be about 50 here).
    assert watch.wakeups <= 2 * len(waiters)
    watch.stop()


def test_many_waiters_wake_together_on_one_read():
    tokens = Tokens()
    watch = ChangeWatch(tokens, tick=0.01, idle_stop=0.05)
    waiters = [wait_in_thread(watch, "1-0-fresh", 10) for _ in range(50)]
    until(lambda: watch.waiting == 50)
    reads = tokens.reads
    tokens.token = "2-0-fresh"
    for thread, _ in waiters:
        thread.join(timeout=5)
    assert [answer for _, answer in waiters] == [["2-0-fresh"]] * 50
    assert tokens.reads - reads <= 3  # one watcher read serves them all


def test_the_watcher_thread_stops_when_nobody_waits_and_starts_again_for_the_next():
    tokens = Tokens()
    watch = ChangeWatch(tokens, tick=0.01, idle_stop=0.05)
    assert watch.wait("1-0-fresh", 0.02) is None
    until(lambda: watch._thread is None)
    reads = tokens.reads
    time.sleep(0.1)
    assert tokens.reads == reads  # an idle process reads nothing
    tokens.token = "2-0-fresh"
    assert watch.wait("1-0-fresh", 5) == "2-0-fresh"


def test_a_failing_read_is_survived_and_the_next_good_one_wakes_the_waiter():
    calls = {"n": 0}

    def flaky() -> str:
        calls["n"] += 1
        if calls["n"] <= 3:
            raise RuntimeError("database away")
        return "2-0-fresh"

    watch = ChangeWatch(flaky, tick=0.01, idle_stop=0.05)
    assert watch.wait("1-0-fresh", 5) == "2-0-fresh"
    assert calls["n"] > 3


# --- The views ---------------------------------------------------------------------------------


@pytest.fixture
def held_polls(settings):
    """Held polls against the real database: the watcher thread reads committed rows, so these
    tests commit (transaction=True) and stop the watcher before the database goes away."""
    settings.SCREEN_UPDATES = "longpoll"
    cache.clear()
    yield
    change_watch._watch.stop()
    connections.close_all()


def manager(django_user_model) -> Client:
    client = Client()
    user = django_user_model.objects.create_user(username="boss", password="a-long-password-1")
    client.force_login(user)
    return client


def poll_in_thread(client: Client, url: str, params: dict) -> tuple[threading.Thread, list]:
    answer: list = []

    def run() -> None:
        try:
            answer.append(client.get(url, params))
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, answer


def bump_data_version() -> None:
    SyncState.objects.filter(id=SyncState.SINGLETON_ID).update(
        data_version=SyncState.get().data_version + 1
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("url", "param"),
    [("/wall/poll/", "token"), ("/pickup/poll/", "token"), ("/orders/rows/", "v")],
)
def test_a_held_poll_answers_the_moment_the_data_changes(held_polls, django_user_model, url, param):
    mark_synced()
    client = manager(django_user_model)
    token = sync_poll_state().token
    thread, answer = poll_in_thread(client, url, {param: token, "wait": "5"})
    until(lambda: change_watch._watch.waiting == 1)
    assert thread.is_alive()  # nothing changed: held, not answered
    make_order(id=7001, status="PENDING")
    bump_data_version()
    thread.join(timeout=4)  # well before the 5 s hold would end
    assert not thread.is_alive()
    assert answer[0].status_code == 200
    assert sync_poll_state().token in answer[0].content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_held_poll_with_nothing_new_ends_in_a_204_with_the_servers_clock(
    held_polls, django_user_model, settings
):
    settings.WALL_POLL_SECONDS = 1
    mark_synced()
    client = manager(django_user_model)
    token = sync_poll_state().token
    response = client.get("/wall/poll/", {"token": token, "wait": "1"})
    assert response.status_code == 204
    assert response["X-Wall-Now"]
    assert change_watch._watch.reads >= 1  # it was held: the watcher was asked


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("wait", ["", "0", "-3", "nan", "inf", "soon", "1e309"])
def test_a_poll_that_asks_no_hold_or_a_bad_one_is_answered_at_once(
    held_polls, django_user_model, wait
):
    mark_synced()
    client = manager(django_user_model)
    token = sync_poll_state().token
    reads = change_watch._watch.reads
    response = client.get("/wall/poll/", {"token": token, "wait": wait})
    assert response.status_code == 204
    assert change_watch._watch.reads == reads  # never held


@pytest.mark.django_db(transaction=True)
def test_with_screen_updates_poll_the_server_never_holds(held_polls, django_user_model, settings):
    settings.SCREEN_UPDATES = "poll"
    mark_synced()
    client = manager(django_user_model)
    token = sync_poll_state().token
    reads = change_watch._watch.reads
    response = client.get("/wall/poll/", {"token": token, "wait": "5"})
    assert response.status_code == 204
    assert change_watch._watch.reads == reads
    page = client.get("/wall/").content.decode()
    assert 'hx-trigger="every 5s"' in page
    assert "wait=" not in page


@pytest.mark.django_db(transaction=True)
def test_the_pages_ask_for_held_polls_by_default(held_polls, django_user_model):
    mark_synced()
    client = manager(django_user_model)
    for url in ("/wall/", "/pickup/"):
        page = client.get(url).content.decode()
        assert 'hx-trigger="load, pass-poll"' in page
        assert "wait=5" in page
        assert 'data-hold-seconds="5"' in page
        assert "orders_app/live" in page  # the script that asks again
    assert 'data-poll-hold="5"' in client.get("/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_revoked_kiosk_is_refused_before_any_hold(held_polls):
    from orders_app.services.wall_keys import wall_key_create, wall_key_revoke

    mark_synced()
    created = wall_key_create(name="grill")
    client = Client()
    assert client.get(f"/wall/?key={created.key}").status_code == 302
    wall_key_revoke(name="grill")
    token = sync_poll_state().token
    response = client.get("/wall/poll/", {"token": token, "wait": "5"})
    assert response.status_code == 403
    assert response["X-Wall-Denied"] == "revoked"


# --- Active slots: held polls give theirs up ---------------------------------------------------


def test_only_so_many_requests_run_at_once_and_a_held_poll_frees_its_slot():
    from orders_app.services.change_watch import ActiveSlots

    slots = ActiveSlots(1)
    slots.acquire()  # a held poll's request
    entered = threading.Event()

    def other_request() -> None:
        slots.acquire()
        entered.set()
        slots.release()

    thread = threading.Thread(target=other_request)
    thread.start()
    assert not entered.wait(0.2)  # the one slot is taken: the other request waits
    with slots.paused():  # the poll is held: its slot is free meanwhile
        assert entered.wait(5)
    thread.join(timeout=5)
    slots.release()
    slots.release()  # a second release is a no-op, never an error
    with slots.paused():  # without a slot (a view called outside the middleware): nothing
        pass
