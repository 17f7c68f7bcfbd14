"""Login throttling: per username and per client address, 429 before the password is checked,
success clears the username, the window slides. Time comes from an injected clock, never sleeps.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.hashers import check_password
from django.core.cache.backends.locmem import LocMemCache
from django.test import RequestFactory, override_settings
from django.urls import include, path

from orders_app.services.throttle import (
    CacheStore,
    FileStore,
    LoginThrottle,
    MemoryStore,
    client_address,
)
from orders_app.views.auth import ThrottledLoginView

PASSWORD = "a-long-test-password"
LOGIN = "/accounts/login/"
TEST_LOGIN = "/clocked-login/"

# Used only when the real templates/registration/login.html is not there yet (another
# engineer owns it); the real one is found first whenever it exists.
FALLBACK_LOGIN_TEMPLATE = """<!doctype html><title>Log in</title>
<form method="post">{% csrf_token %}{{ form.non_field_errors }}{{ form.username }}
{{ form.password }}<button>Log in</button></form>"""


class FakeClock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


CLOCK = FakeClock()
CLOCKED_THROTTLE = LoginThrottle(store=MemoryStore(), attempts=3, window=300, clock=CLOCK)
urlpatterns = [
    path(TEST_LOGIN.strip("/") + "/", ThrottledLoginView.as_view(throttle=CLOCKED_THROTTLE)),
    path("", include("dashboard.urls")),
]


class RecordingBackend:
    """An authentication backend that notes every password it is asked to check."""

    checked: list[str] = []

    def authenticate(self, request, username=None, password=None, **kwargs):
        self.checked.append(password)

    def get_user(self, user_id):
        return None


@pytest.fixture(autouse=True)
def _isolated_throttle(tmp_path: Path, settings) -> None:
    settings.LOGIN_THROTTLE_DIR = tmp_path / "throttle"
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    settings.LOGIN_THROTTLE_WINDOW = 300
    real = Path(settings.BASE_DIR) / "templates" / "registration" / "login.html"
    if not real.exists():
        fallback = tmp_path / "templates"
        (fallback / "registration").mkdir(parents=True)
        (fallback / "registration" / "login.html").write_text(FALLBACK_LOGIN_TEMPLATE)
        templates = [dict(t) for t in settings.TEMPLATES]
        templates[0]["DIRS"] = [*templates[0]["DIRS"], fallback]
        settings.TEMPLATES = templates
    CLOCKED_THROTTLE.store = MemoryStore()


@pytest.fixture
def manager(django_user_model):
    return django_user_model.objects.create_user(username="manager", password=PASSWORD)


def attempt(
    client,
    password: str,
    *,
    username: str = "manager",
    address: str = "203.0.113.7",
    url: str = LOGIN,
):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client, times: int, **kwargs) -> None:
    for _ in range(times):
        response = attempt(client, "wrong-password", **kwargs)
        assert response.status_code == 200, "a plain failure is an ordinary 200 form"


# --- Through the real login URL ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_attempt_after_the_allowed_failures_gets_429_and_the_message(client, manager):
    fail(client, 3)
    response = attempt(client, "wrong-password")
    assert response.status_code == 429
    assert "Too many failed attempts. Try again in 5 minutes." in response.content.decode()
    assert 290 <= int(response["Retry-After"]) <= 300  # real clock here: a moment has passed


@pytest.mark.django_db
def test_a_throttled_username_is_refused_even_with_the_right_password(client, manager):
    fail(client, 3)
    response = attempt(client, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_password_is_not_even_checked_when_throttled(client, manager, settings):
    checked = RecordingBackend.checked
    checked.clear()
    settings.AUTHENTICATION_BACKENDS = [f"{__name__}.RecordingBackend"]
    fail(client, 3)
    assert len(checked) == 3
    assert attempt(client, "another-guess").status_code == 429
    assert len(checked) == 3, "a throttled attempt must not reach authenticate()"


@pytest.mark.django_db
def test_failures_are_counted_per_username_from_one_address(client, manager):
    fail(client, 3, address="198.51.100.1")
    assert attempt(client, PASSWORD, address="198.51.100.1").status_code == 429


@pytest.mark.django_db
def test_strangers_failing_as_the_manager_elsewhere_cannot_lock_the_manager_out(client, manager):
    """The review's lockout: failures for ``manager`` from five addresses, and in other
    spellings, must not make the right password fail from the manager's own address."""
    for n, name in enumerate(("manager", "MANAGER", " manager", "Manager", "manager ")):
        attempt(client, "wrong", username=name, address=f"198.51.100.{n + 1}")
    response = attempt(client, PASSWORD, address="203.0.113.50")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(manager.pk)


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_one_bad_try_a_minute_from_elsewhere_never_locks_the_manager_out(client, manager):
    for minute in range(12):
        CLOCK.advance(60)
        attempt(client, "wrong", address=f"198.51.100.{minute % 3 + 1}", url=TEST_LOGIN)
    assert attempt(client, PASSWORD, address="203.0.113.50", url=TEST_LOGIN).status_code == 302


@pytest.mark.django_db
def test_failures_are_counted_per_address_across_usernames(client, manager):
    for name in ("alice", "bob", "carol"):
        attempt(client, "wrong", username=name, address="192.0.2.50")
    assert attempt(client, PASSWORD, address="192.0.2.50").status_code == 429
    # The same manager from another address is not affected by that address's guessing.
    response = attempt(client, PASSWORD, address="192.0.2.51")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(manager.pk)


@pytest.mark.django_db
def test_username_case_and_spaces_do_not_make_a_fresh_allowance(client, manager, settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    for name in ("manager", "MANAGER", " Manager "):
        attempt(client, "wrong", username=name, address="198.51.100.1")
    # Only two other usernames from this address: the address's own count is not what blocks.
    assert attempt(client, PASSWORD, username=" MANAGER", address="198.51.100.1").status_code == 429


@pytest.mark.django_db
def test_a_success_clears_the_username_counter(client, manager):
    fail(client, 2)
    assert attempt(client, PASSWORD).status_code == 302
    client.logout()
    fail(client, 2, address="203.0.113.8")  # two more: four in all, but two after the success
    assert attempt(client, PASSWORD, address="203.0.113.9").status_code == 302


@pytest.mark.django_db
def test_a_success_does_not_clear_the_address_counter(client, manager):
    for name in ("alice", "bob"):
        attempt(client, "wrong", username=name)
    assert attempt(client, PASSWORD).status_code == 302
    client.logout()
    attempt(client, "wrong", username="carol")
    assert attempt(client, "wrong", username="dave").status_code == 429


@pytest.mark.django_db
def test_an_empty_password_is_a_form_error_not_a_counted_failure(client, manager):
    for _ in range(5):
        response = client.post(LOGIN, {"username": "manager", "password": ""})
        assert response.status_code == 200
    assert attempt(client, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_throttled_attempt_is_logged_without_the_password(client, manager, caplog):
    fail(client, 3)
    with caplog.at_level(logging.INFO, logger="orders_app.login"):
        attempt(client, "Secret-Guess-42")
    lines = [r.getMessage() for r in caplog.records if r.name == "orders_app.login"]
    assert any("login throttled" in line and 'username="manager"' in line for line in lines)
    assert any("address=203.0.113.7" in line for line in lines)
    assert not any("Secret-Guess-42" in line for line in lines)


@pytest.mark.django_db
def test_a_hostile_username_cannot_forge_log_lines(client, manager, caplog):
    evil = 'x"\nlevel=INFO msg=login ok'
    with caplog.at_level(logging.INFO, logger="orders_app.login"):
        for _ in range(4):
            attempt(client, "wrong", username=evil)
    assert any("login throttled" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert "\n" not in record.getMessage()


@pytest.mark.django_db
def test_the_login_form_still_demands_a_csrf_token(manager):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(LOGIN, {"username": "manager", "password": PASSWORD})
    assert response.status_code == 403


CHILD = """
import sys
from pathlib import Path
from django.conf import settings
settings.configure(SECRET_KEY=sys.argv[2])
from orders_app.services.throttle import FileStore, LoginThrottle
store = FileStore(Path(sys.argv[1]), ttl=300, sweep_probability=0)
throttle = LoginThrottle(store=store, attempts=3, window=300)
for _ in range(int(sys.argv[3])):
    throttle.record_failure(username="manager", address="203.0.113.7")
"""


@pytest.mark.django_db
@pytest.mark.real_clock
def test_counts_are_shared_by_separate_worker_processes(manager, settings, tmp_path):
    """Gunicorn workers share one count: failures recorded at the same moment by other
    processes all count here (the file lock loses no update)."""
    directory = tmp_path / "shared"
    argv = [sys.executable, "-c", CHILD, str(directory), settings.SECRET_KEY, "25"]
    children = [subprocess.Popen(argv, cwd=settings.BASE_DIR) for _ in range(3)]
    assert [child.wait(timeout=60) for child in children] == [0, 0, 0]
    settings.LOGIN_THROTTLE_DIR = directory
    throttle = LoginThrottle.from_settings()
    assert len(throttle.store.failures("ua:manager\n203.0.113.7", since=0)) == 75
    assert len(throttle.store.failures("a:203.0.113.7", since=0)) == 75
    assert throttle.check(username="manager", address="203.0.113.7").blocked
    assert throttle.check(username="someone", address="203.0.113.7").blocked
    assert not throttle.check(username="manager", address="192.0.2.1").blocked


# --- Through a login view with an injected clock ----------------------------------------------


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_the_window_expires_and_attempts_are_allowed_again(client, manager):
    fail(client, 3, url=TEST_LOGIN)
    CLOCK.advance(120)
    response = attempt(client, PASSWORD, url=TEST_LOGIN)
    assert response.status_code == 429
    assert "Try again in 3 minutes." in response.content.decode()
    CLOCK.advance(180)
    response = attempt(client, PASSWORD, url=TEST_LOGIN)
    assert response.status_code == 302


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_the_window_slides_so_old_failures_stop_counting(client, manager):
    fail(client, 2, url=TEST_LOGIN)
    CLOCK.advance(250)
    fail(client, 1, url=TEST_LOGIN)  # three inside 300 s
    assert attempt(client, "wrong", url=TEST_LOGIN).status_code == 429
    CLOCK.advance(51)  # the first two are now older than 300 s
    response = attempt(client, "wrong", url=TEST_LOGIN)
    assert response.status_code == 200


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_the_last_minute_says_one_minute(client, manager):
    fail(client, 3, url=TEST_LOGIN)
    CLOCK.advance(299)
    response = attempt(client, "wrong", url=TEST_LOGIN)
    assert response.status_code == 429
    assert "Try again in 1 minute." in response.content.decode()
    assert response["Retry-After"] == "1"


# --- The throttle and its stores on their own --------------------------------------------------


@pytest.mark.parametrize("store_kind", ["memory", "file", "cache"])
def test_every_store_counts_inside_the_window_and_clears(store_kind, tmp_path, settings):
    store = {
        "memory": lambda: MemoryStore(),
        "file": lambda: FileStore(tmp_path / "f", ttl=60),
        "cache": lambda: CacheStore(LocMemCache("throttle-test", {}), ttl=60),
    }[store_kind]()
    assert store.failures("k", since=0) == []
    store.add("k", 100.0, since=40.0)
    store.add("k", 130.0, since=70.0)
    assert store.failures("k", since=70.0) == [100.0, 130.0]
    assert store.failures("k", since=120.0) == [130.0]
    assert store.failures("other", since=0) == []
    store.clear("k")
    assert store.failures("k", since=0) == []


def test_the_file_store_keeps_no_readable_username_on_disk(tmp_path):
    store = FileStore(tmp_path, ttl=60)
    store.add("u:manager", 1.0, since=0)
    names = [p.name for p in tmp_path.iterdir()]
    assert len(names) == 1
    assert "manager" not in names[0]


def test_the_file_store_sweeps_files_untouched_for_the_window(tmp_path):
    import os
    import time

    store = FileStore(tmp_path, ttl=60, sweep_probability=0)
    store.add("u:old", 1.0, since=0)
    store.add("u:new", 1.0, since=0)
    old = store._path("u:old")
    os.utime(old, (time.time() - 120, time.time() - 120))
    assert store.sweep() == 1
    assert not old.exists()
    assert store._path("u:new").exists()


@pytest.mark.django_db
def test_an_unwritable_store_lets_people_log_in_and_says_so(tmp_path, caplog, client, manager):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the directory should be")
    with (
        override_settings(LOGIN_THROTTLE_DIR=blocker / "throttle"),
        caplog.at_level(logging.ERROR, logger="orders_app.login"),
    ):
        assert attempt(client, "wrong").status_code == 200
        assert attempt(client, PASSWORD).status_code == 302
    assert any("throttle store unavailable" in r.getMessage() for r in caplog.records)


def test_a_username_with_no_text_is_not_a_shared_bucket():
    throttle = LoginThrottle(store=MemoryStore(), attempts=2, window=60, clock=FakeClock())
    for n in range(3):
        throttle.record_failure(username="", address=f"10.0.0.{n}")
    assert not throttle.check(username="", address="10.0.0.9").blocked


# --- Which address is throttled ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("203.0.113.7", "", "203.0.113.7"),
        # A client talking to us directly cannot choose its address with the header.
        ("203.0.113.7", "10.9.9.9", "203.0.113.7"),
        # Our nginx on loopback: its word is believed.
        ("127.0.0.1", "198.51.100.4", "198.51.100.4"),
        # A forged left part of the chain is ignored: the right-most untrusted hop counts.
        ("127.0.0.1", "6.6.6.6, 198.51.100.4", "198.51.100.4"),
        ("::1", "2001:db8::5", "2001:db8::5"),
        ("127.0.0.1", "", "127.0.0.1"),
        ("127.0.0.1", "not-an-ip", "127.0.0.1"),
    ],
)
def test_client_address_believes_forwarded_for_only_from_trusted_proxies(
    remote: str, forwarded: str, expected: str
):
    request = RequestFactory().post("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request, trusted_proxies=["127.0.0.1", "::1"]) == expected


def test_client_address_trusts_a_configured_proxy_network():
    request = RequestFactory().post(
        "/", REMOTE_ADDR="10.0.0.3", HTTP_X_FORWARDED_FOR="198.51.100.4, 10.0.0.2"
    )
    assert client_address(request, trusted_proxies=["10.0.0.0/24"]) == "198.51.100.4"
    assert client_address(request, trusted_proxies=[]) == "10.0.0.3"


def test_the_stored_password_hash_is_untouched_by_throttling(db, manager, client):
    fail(client, 3)
    assert attempt(client, "wrong").status_code == 429
    manager.refresh_from_db()
    assert check_password(PASSWORD, manager.password)
