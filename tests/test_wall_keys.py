"""Kiosk keys: the wall_key command, the service, the admin, and log redaction."""

from __future__ import annotations

import logging
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from orders_app.models import WallKey
from orders_app.services.wall_keys import (
    RedactWallKeyFilter,
    WallKeyError,
    hash_key,
    redact_keys,
    wall_key_bumper,
    wall_key_can_bump,
    wall_key_check,
    wall_key_create,
    wall_key_revoke,
    wall_key_set_bump,
)

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("wall_key", *args, stdout=out)
    return out.getvalue()


def test_create_prints_the_kiosk_url_on_its_last_line_and_stores_only_the_hash():
    output = run("create", "--name", "kitchen")
    last = output.strip().splitlines()[-1]
    assert last.startswith("http://127.0.0.1:8000/wall/?key=")
    key = last.split("key=", 1)[1]
    row = WallKey.objects.get(name="kitchen")
    assert row.key_hash == hash_key(key)
    assert key not in row.key_hash
    assert wall_key_check(key=key).ok


def test_create_uses_the_base_url_option():
    output = run("create", "--name", "bar", "--base-url", "https://pass.example.com/")
    assert output.strip().splitlines()[-1].startswith("https://pass.example.com/wall/?key=")


def test_create_puts_the_screens_language_in_its_url(client):
    output = run("create", "--name", "grill", "--lang", "az")
    last = output.strip().splitlines()[-1]
    assert last.startswith("http://127.0.0.1:8000/wall/?key=") and last.endswith("&lang=az")
    opened = client.get(last.removeprefix("http://127.0.0.1:8000"))
    assert opened["Location"] == "/wall/?lang=az"  # the key leaves the address, lang stays
    with pytest.raises(CommandError):
        run("create", "--name", "bar", "--lang", "fr")


def test_create_refuses_a_duplicate_name_and_a_bad_base_url():
    run("create", "--name", "kitchen")
    with pytest.raises(CommandError, match="already exists"):
        run("create", "--name", "kitchen")
    with pytest.raises(CommandError, match="base-url"):
        run("create", "--name", "other", "--base-url", "pass.example.com")


def test_list_shows_names_and_states_but_never_keys_or_hashes():
    created = wall_key_create(name="kitchen")
    wall_key_create(name="front-desk")
    wall_key_revoke(name="front-desk")
    output = run("list")
    assert "kitchen" in output and "active" in output
    assert "front-desk" in output and "revoked" in output
    assert created.key not in output
    assert created.wall_key.key_hash not in output


def test_list_when_empty_says_how_to_create_one():
    assert "wall_key create" in run("list")


def test_revoke_marks_the_key_and_the_key_stops_working():
    created = wall_key_create(name="kitchen")
    output = run("revoke", "kitchen")
    assert "Revoked" in output
    assert WallKey.objects.get(name="kitchen").revoked_at is not None
    assert wall_key_check(key=created.key).state == "revoked"
    with pytest.raises(CommandError, match="No kiosk key"):
        run("revoke", "nobody")


def test_a_key_is_read_only_unless_created_with_bump():
    run("create", "--name", "pass")
    output = run("create", "--name", "grill", "--bump")
    assert "may bump tickets" in output
    assert output.strip().splitlines()[-1].startswith("http://127.0.0.1:8000/wall/?key=")
    assert WallKey.objects.get(name="grill").can_bump
    assert not WallKey.objects.get(name="pass").can_bump


def test_set_allows_and_stops_bumping_on_an_existing_key_without_a_new_url():
    created = wall_key_create(name="grill")
    key_hash = created.wall_key.key_hash
    assert "may bump tickets" in run("set", "grill", "--bump")
    row = WallKey.objects.get(name="grill")
    assert row.can_bump and row.key_hash == key_hash
    assert wall_key_check(key=created.key).ok
    assert "read-only" in run("set", "grill", "--no-bump")
    assert not WallKey.objects.get(name="grill").can_bump
    with pytest.raises(CommandError):
        run("set", "grill")  # one of --bump / --no-bump is required
    with pytest.raises(CommandError):
        run("set", "grill", "--bump", "--no-bump")
    with pytest.raises(CommandError, match="No kiosk key"):
        run("set", "nobody", "--bump")


def test_list_shows_which_keys_may_bump():
    wall_key_create(name="grill", can_bump=True)
    wall_key_create(name="pass")
    lines = run("list").splitlines()
    assert "BUMP" in lines[0]
    grill = next(line for line in lines if line.startswith("grill"))
    pass_ = next(line for line in lines if line.startswith("pass"))
    assert grill.split()[2] == "yes" and pass_.split()[2] == "no"


def test_only_an_active_key_with_bump_lets_its_screen_bump(django_assert_num_queries):
    grill = wall_key_create(name="grill", can_bump=True).wall_key
    reader = wall_key_create(name="pass").wall_key
    with django_assert_num_queries(1):
        assert wall_key_bumper(key_id=grill.id) == "grill"
    assert wall_key_can_bump(key_id=grill.id)
    assert not wall_key_can_bump(key_id=reader.id)
    assert wall_key_bumper(key_id=reader.id) is None
    for nothing in (None, "1", True, 10**9):
        assert not wall_key_can_bump(key_id=nothing)
    wall_key_revoke(name="grill")
    assert not wall_key_can_bump(key_id=grill.id)
    assert wall_key_set_bump(name="pass", can_bump=True).can_bump
    assert wall_key_can_bump(key_id=reader.id)


def test_service_rejects_an_empty_name():
    with pytest.raises(WallKeyError):
        wall_key_create(name="  ")


def test_keys_are_unique_and_long():
    keys = {wall_key_create(name=f"screen-{n}").key for n in range(5)}
    assert len(keys) == 5
    assert all(len(k) >= 43 for k in keys)


def test_redaction_filter_removes_keys_from_access_log_lines():
    assert redact_keys('"GET /wall/?key=abc_DEF-123&venue=1 HTTP/1.1" 302') == (
        '"GET /wall/?key=[redacted]&venue=1 HTTP/1.1" 302'
    )
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s',
        ("GET /wall/?key=secret123 HTTP/1.1", 302),
        None,
    )
    RedactWallKeyFilter().filter(record)
    assert "secret123" not in record.getMessage()


# --- Admin ----------------------------------------------------------------------------------


@pytest.fixture
def admin_client_logged_in(client, django_user_model):
    user = django_user_model.objects.create_superuser(
        username="admin", password="a-long-password-1"
    )
    client.force_login(user)
    return client


def test_admin_create_shows_the_kiosk_url_once_and_never_the_hash(admin_client_logged_in):
    response = admin_client_logged_in.post(
        "/admin/orders_app/wallkey/add/", {"name": "kitchen"}, follow=False
    )
    assert response.status_code == 200
    html = response.content.decode()
    match = re.search(r'value="([^"]+)"[^>]*id="kiosk-url"', html).group(1)
    assert "/wall/?key=" in match
    key = match.split("key=", 1)[1]
    row = WallKey.objects.get(name="kitchen")
    assert row.key_hash == hash_key(key)
    assert "shown only this once" in html
    # The list and the detail page show neither the key nor the hash.
    listing = admin_client_logged_in.get("/admin/orders_app/wallkey/").content.decode()
    detail = admin_client_logged_in.get(
        f"/admin/orders_app/wallkey/{row.id}/change/"
    ).content.decode()
    for page in (listing, detail):
        assert "kitchen" in page
        assert key not in page
        assert row.key_hash not in page


def test_admin_revoke_action(admin_client_logged_in):
    created = wall_key_create(name="kitchen")
    response = admin_client_logged_in.post(
        "/admin/orders_app/wallkey/",
        {"action": "revoke_keys", "_selected_action": [created.wall_key.id]},
    )
    assert response.status_code == 302
    assert WallKey.objects.get(name="kitchen").revoked_at is not None


def test_admin_refuses_a_duplicate_name(admin_client_logged_in):
    wall_key_create(name="kitchen")
    response = admin_client_logged_in.post("/admin/orders_app/wallkey/add/", {"name": "kitchen"})
    assert response.status_code == 200
    assert WallKey.objects.count() == 1
    assert "already exists" in response.content.decode()


def test_admin_creates_a_bump_key_and_toggles_it_without_touching_the_hash(
    admin_client_logged_in,
):
    response = admin_client_logged_in.post(
        "/admin/orders_app/wallkey/add/", {"name": "grill", "can_bump": "on"}
    )
    assert response.status_code == 200
    row = WallKey.objects.get(name="grill")
    assert row.can_bump
    change_url = f"/admin/orders_app/wallkey/{row.id}/change/"
    page = admin_client_logged_in.get(change_url).content.decode()
    assert 'name="can_bump"' in page and 'name="name"' not in page  # only can_bump is editable
    response = admin_client_logged_in.post(change_url, {"name": "renamed"})  # box unticked
    assert response.status_code == 302
    after = WallKey.objects.get(id=row.id)
    assert (after.name, after.can_bump, after.key_hash) == ("grill", False, row.key_hash)
    listing = admin_client_logged_in.get("/admin/orders_app/wallkey/?can_bump__exact=0")
    assert "grill" in listing.content.decode()


def test_admin_actions_allow_and_stop_bumping(admin_client_logged_in):
    ids = [wall_key_create(name=name).wall_key.id for name in ("grill", "fryer")]
    response = admin_client_logged_in.post(
        "/admin/orders_app/wallkey/", {"action": "allow_bumping", "_selected_action": ids}
    )
    assert response.status_code == 302
    assert WallKey.objects.filter(can_bump=True).count() == 2
    admin_client_logged_in.post(
        "/admin/orders_app/wallkey/", {"action": "stop_bumping", "_selected_action": ids[:1]}
    )
    assert list(WallKey.objects.filter(can_bump=True).values_list("name", flat=True)) == ["fryer"]
