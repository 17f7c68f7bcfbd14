"""Security of what the server sends: CSP, framing and sniffing headers, who may open what,
and, under the production HTTPS settings, secure HttpOnly cookies, HSTS and the redirect to
https (checked in a subprocess, because those settings are decided when settings.py loads).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from orders_app.models import WallKey
from tests.fixtures.orders import make_order

PASSWORD = "a-long-test-password"
# logout only accepts POST and ends a session; set_language (the language menu) only sets a
# cookie; javascript-catalog holds Pass's own words, no data.
PUBLIC_URL_NAMES = {"healthz", "login", "logout", "set_language", "javascript-catalog"}
# Placeholder views answer 501 "Not built yet" until their issue lands.
PLACEHOLDER = (501, b"Not built yet")


@pytest.fixture
def manager(django_user_model):
    return django_user_model.objects.create_user(
        username="manager", password=PASSWORD, is_staff=True, is_superuser=True
    )


@pytest.fixture(autouse=True)
def _throttle_in_tmp(tmp_path, settings):
    settings.LOGIN_THROTTLE_DIR = tmp_path / "throttle"


def skip_if_placeholder(response) -> None:
    if response.status_code == PLACEHOLDER[0] and PLACEHOLDER[1] in response.content:
        pytest.skip(f"{response.wsgi_request.path} is still a 501 placeholder")


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def make_wall_key(name: str = "Kitchen screen") -> str:
    """A kiosk key as `wall_key create` makes one: only its sha256 is stored."""
    key = secrets.token_urlsafe(32)
    WallKey.objects.create(name=name, key_hash=hashlib.sha256(key.encode()).hexdigest())
    return key


# --- Headers on every page --------------------------------------------------------------------


def pages_for(client, manager) -> dict[str, object]:
    anonymous = {
        "login": client.get(reverse("login")),
        "healthz": client.get(reverse("healthz")),
    }
    client.force_login(manager)
    return {
        **anonymous,
        "board": client.get(reverse("board")),
        "order-detail (404)": client.get(reverse("order-detail", args=[424242])),
        "wall": client.get(reverse("wall")),
    }


@pytest.mark.django_db
def test_every_page_sends_a_csp_that_allows_only_its_own_origin(client, manager):
    for name, response in pages_for(client, manager).items():
        header = response.get("Content-Security-Policy", "")
        assert header, f"{name} has no Content-Security-Policy"
        directives = csp_directives(header)
        assert directives.get("default-src") == ["'self'"], name
        assert directives.get("script-src") == ["'self'"], name
        assert directives.get("style-src") == ["'self'"], name
        assert directives.get("object-src") == ["'none'"], name
        assert directives.get("frame-ancestors") == ["'none'"], name
        assert directives.get("base-uri") == ["'self'"], name
        assert directives.get("form-action") == ["'self'"], name
        assert "unsafe-inline" not in header and "unsafe-eval" not in header, name
        for sources in directives.values():
            for source in sources:
                assert source in {"'self'", "'none'", "data:"}, f"{name} allows {source}"


@pytest.mark.django_db
def test_every_page_refuses_framing_and_sniffing(client, manager):
    for name, response in pages_for(client, manager).items():
        assert response.get("X-Frame-Options") == "DENY", name
        assert response.get("X-Content-Type-Options") == "nosniff", name
        assert response.get("Referrer-Policy") == "same-origin", name
        assert response.get("Cross-Origin-Opener-Policy") == "same-origin", name


class InlineCodeFinder(HTMLParser):
    """Collects what a 'self'-only CSP would block: inline scripts, styles and handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {k.lower(): v for k, v in attrs}
        if tag == "script" and not names.get("src") and names.get("type") != "application/json":
            self._in_inline_script = True
        if tag == "style":
            self.problems.append("<style> block")
        for attr in names:
            if attr == "style":
                self.problems.append(f'<{tag} style="...">')
            if attr.startswith("on"):
                self.problems.append(f"<{tag} {attr}=...>")
            if attr.startswith("hx-on"):
                self.problems.append(f"<{tag} {attr}=...> (needs eval)")
        if names.get("href", "") and names["href"].strip().lower().startswith("javascript:"):
            self.problems.append(f"<{tag} href=javascript:...>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False

    def handle_data(self, data: str) -> None:
        if self._in_inline_script and data.strip():
            self.problems.append(f"inline <script>: {data.strip()[:40]!r}")


@pytest.mark.django_db
def test_pages_need_no_inline_scripts_or_styles(client, manager):
    for name, response in pages_for(client, manager).items():
        if "text/html" not in response.get("Content-Type", "") or response.status_code == 501:
            continue
        finder = InlineCodeFinder()
        finder.feed(response.content.decode())
        assert finder.problems == [], f"{name}: {finder.problems}"


@pytest.mark.django_db
def test_pages_load_htmx_from_our_own_origin(client, manager):
    client.force_login(manager)
    response = client.get(reverse("board"))
    skip_if_placeholder(response)
    html = response.content.decode()
    sources = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)
    assert any("htmx" in src for src in sources), sources
    assert all(src.startswith("/") and not src.startswith("//") for src in sources), sources
    assert 'name="htmx-config"' in html


# --- Who may open what ------------------------------------------------------------------------


def _sample_path(pattern: str) -> str:
    """Turn 'orders/<int:order_id>/' into 'orders/1/'."""
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: "1" if m.group(1) == "int" else "x", pattern)


def app_urls() -> list[tuple[str, str]]:
    """(name, path) of every route outside the admin, from the real URLconf."""
    found: list[tuple[str, str]] = []

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace == "admin":
                    continue
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                found.append((entry.name or str(entry.pattern), prefix + str(entry.pattern)))

    walk(get_resolver().url_patterns, "")
    return [(name, "/" + _sample_path(route.lstrip("^").rstrip("$"))) for name, route in found]


APP_URLS = app_urls()
PROTECTED = [(n, p) for n, p in APP_URLS if n not in PUBLIC_URL_NAMES]
# Fragment endpoints polled by htmx may refuse (401/403) instead of redirecting: a login page
# swapped into a wall or a list would be worse than an error the page's script can notice.
FRAGMENTS = {"wall-poll", "pickup-poll", "board-rows", "order-panel", "wall-recall"}
# A screen's writes (POST only: a GET is 405); who may, CSRF and the rest: tests/test_bump_views.py.
SCREEN_WRITES = {"wall-bump"}
# A manager's writes (POST only): a visitor's or a kiosk's POST goes to the login.
MANAGER_WRITES = {"order-ignore"}
# Django's password-reset pages come with `include("django.contrib.auth.urls")` and open to
# anyone; dashboard/urls.py should route only logout and password change (asked of the lead).
OPEN_BY_MISTAKE = {
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "path"), PROTECTED, ids=[name for name, _ in PROTECTED])
def test_anonymous_visitors_are_sent_to_the_login(client, name, path):
    make_order(id=1, status="PENDING", customer_name="Canary Customer")
    response = client.get(path)
    skip_if_placeholder(response)
    if name in OPEN_BY_MISTAKE and response.status_code == 200:
        pytest.xfail(
            f"{path} is open to anyone: dashboard/urls.py should not route it (deploy report)"
        )
    if name in FRAGMENTS and response.status_code in {401, 403}:
        assert b"Canary" not in response.content, f"{path} refused but still showed an order"
        return
    if name in SCREEN_WRITES:
        assert response.status_code == 405
        assert client.post(path, {"receipt": "1", "to": "NEW", "key": "k"}).status_code == 403
        return
    if name in MANAGER_WRITES:
        assert response.status_code == 405
        response = client.post(path, {"key": "k"})
    assert response.status_code in {301, 302}, f"{path} answered {response.status_code}"
    location = response["Location"]
    assert location.startswith(django_settings.LOGIN_URL), location
    if not path.startswith("/admin/"):  # pages say where to come back to
        assert location.startswith(django_settings.LOGIN_URL + "?next="), location


@pytest.mark.django_db
def test_healthz_and_the_login_page_open_without_a_login(client):
    assert client.get(reverse("healthz")).status_code in {200, 503}
    assert client.get(reverse("login")).status_code == 200


@pytest.mark.django_db
def test_the_admin_sends_anonymous_visitors_to_a_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.django_db
def test_the_admin_login_goes_through_the_throttled_login(client):
    response = client.get("/admin/login/", {"next": "/admin/"})
    if response.status_code == 200:
        pytest.xfail(
            "/admin/login/ is Django's own, unthrottled login: dashboard/urls.py should redirect it (deploy report)"
        )
    assert response.status_code in {301, 302}
    assert response["Location"].startswith(django_settings.LOGIN_URL)
    assert "next=/admin/" in response["Location"] or "next=%2Fadmin%2F" in response["Location"]


@pytest.mark.django_db
def test_a_kiosk_key_opens_the_screens_and_nothing_else(client):
    key = make_wall_key()
    response = client.get(reverse("wall"), {"key": key}, follow=True)
    skip_if_placeholder(response)
    assert response.status_code == 200
    assert key not in response.request.get("QUERY_STRING", ""), "the key stays in the address"
    for name, path in PROTECTED:
        # The screens a key opens: the wall and the pickup screen, read-only.
        if name in {"wall", "wall-poll", "pickup", "pickup-poll"} or name in OPEN_BY_MISTAKE:
            continue
        if name in SCREEN_WRITES:  # a key's own rights decide (tests/test_bump_views.py)
            continue
        if name in MANAGER_WRITES:
            assert client.get(path).status_code == 405
            other = client.post(path, {"key": "k"})
        else:
            other = client.get(path)
        if other.status_code == 501:
            continue
        if name in FRAGMENTS and other.status_code in {401, 403}:
            continue
        assert other.status_code == 302, f"a kiosk session opened {path}"
        assert other["Location"].startswith(django_settings.LOGIN_URL)


@pytest.mark.django_db
def test_a_wrong_kiosk_key_does_not_open_the_wall(client):
    make_wall_key()
    response = client.get(reverse("wall"), {"key": "not-the-key"})
    skip_if_placeholder(response)
    assert response.status_code in {302, 403}
    if response.status_code == 302:
        assert response["Location"].startswith(django_settings.LOGIN_URL)


@pytest.mark.django_db
def test_every_form_post_needs_a_csrf_token(manager):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert (
        strict.post(reverse("login"), {"username": "manager", "password": PASSWORD}).status_code
        == 403
    )
    assert strict.post(reverse("set_language"), {"language": "ru"}).status_code == 403
    strict.force_login(manager)
    assert strict.post(reverse("logout")).status_code == 403


# --- Production HTTPS settings, in a fresh process --------------------------------------------

HTTPS_PROBE = r"""
import json, re
import django
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client

call_command("migrate", verbosity=0, interactive=False)
call_command("collectstatic", verbosity=0, interactive=False)
get_user_model().objects.create_user(username="manager", password="a-long-test-password")
out = {}
host = {"HTTP_HOST": "pass.example.com"}

def cookie(jar, name):
    c = jar.get(name)
    if c is None:
        return None
    return {"secure": bool(c["secure"]), "httponly": bool(c["httponly"]), "samesite": c["samesite"]}

plain = Client()
r = plain.get("/accounts/login/", **host)
out["http_login"] = [r.status_code, r.get("Location")]
r = plain.get("/healthz", **host)
out["http_healthz"] = r.status_code

browser = Client()
r = browser.get("/accounts/login/", secure=True, **host)
out["https_login"] = r.status_code
out["hsts"] = r.get("Strict-Transport-Security")
out["csrf_cookie"] = cookie(r.cookies, "csrftoken")
token = r.cookies["csrftoken"].value
r = browser.post("/accounts/login/", {"username": "manager", "password": "a-long-test-password",
                 "csrfmiddlewaretoken": token}, secure=True, **host)
out["https_post_login"] = r.status_code
out["session_cookie"] = cookie(r.cookies, "sessionid")

proxied = Client()
r = proxied.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https", **host)
out["proxied_login"] = r.status_code
r = proxied.get("/accounts/login/", HTTP_HOST="evil.example.net", secure=True)
out["bad_host"] = r.status_code

r = proxied.get("/no-such-page/", HTTP_X_FORWARDED_PROTO="https", **host)
body = r.content.decode()
out["not_found"] = [r.status_code, any(w in body for w in ("Traceback", "URLconf", "SECRET_KEY", "DEBUG"))]

url = staticfiles_storage.url("admin/css/base.css")
out["static_url"] = url
r = proxied.get(url, HTTP_X_FORWARDED_PROTO="https", HTTP_ACCEPT_ENCODING="gzip", **host)
out["static"] = [r.status_code, r.get("Cache-Control"), r.get("Content-Encoding")]
print("PROBE " + json.dumps(out))
"""


@pytest.fixture(scope="module")
def https_probe(tmp_path_factory) -> dict:
    var = tmp_path_factory.mktemp("https-var")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_HTTPS": "1",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "pass.example.com",
        "PASS_IGNORE_DOTENV": "1",
        "PASS_TESTING": "1",
        "PASS_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'probe.sqlite3'}",
        "LOG_LEVEL": "ERROR",
    }
    result = subprocess.run(
        [sys.executable, "-c", HTTPS_PROBE],
        cwd=Path(django_settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(x for x in result.stdout.splitlines() if x.startswith("PROBE "))
    return json.loads(line.removeprefix("PROBE "))


def test_https_plain_http_is_redirected_to_https(https_probe):
    status, location = https_probe["http_login"]
    assert status == 301
    assert location == "https://pass.example.com/accounts/login/"


def test_https_healthz_still_answers_over_plain_http_for_local_monitors(https_probe):
    assert https_probe["http_healthz"] in {200, 503}


def test_https_the_proxy_header_marks_requests_as_secure(https_probe):
    assert https_probe["proxied_login"] == 200


def test_https_hsts_is_sent_for_a_year_with_subdomains(https_probe):
    hsts = https_probe["hsts"] or ""
    assert "max-age=31536000" in hsts
    assert "includeSubDomains" in hsts


def test_https_csrf_cookie_is_secure_and_httponly(https_probe):
    assert https_probe["csrf_cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}


def test_https_session_cookie_is_secure_and_httponly(https_probe):
    assert https_probe["https_post_login"] == 302
    assert https_probe["session_cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}


def test_https_an_unknown_page_is_a_plain_404_without_debug_details(https_probe):
    assert https_probe["not_found"] == [404, False]


def test_https_unknown_host_names_are_refused(https_probe):
    assert https_probe["bad_host"] == 400


def test_https_static_files_are_fingerprinted_compressed_and_cached_for_a_year(https_probe):
    status, cache_control, encoding = https_probe["static"]
    assert re.search(r"base\.[0-9a-f]{12}\.css$", https_probe["static_url"])
    assert status == 200
    assert "max-age=31536000" in cache_control and "immutable" in cache_control
    assert encoding in {"gzip", "br"}


# --- In a real browser: the CSP is enforced, and htmx still works under it --------------------

CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_htmx_works_under_the_csp_in_a_real_browser(browser_context_factory, live_server, settings):
    from django.contrib.auth import get_user_model
    from playwright.sync_api import expect

    from tests.fixtures.orders import mark_synced

    settings.BOARD_POLL_SECONDS = 1
    get_user_model().objects.create_user(username="manager", password=PASSWORD, is_staff=True)
    make_order(id=7001, customer_name="First Canary")
    mark_synced()
    page = browser_context_factory().new_page()
    page.add_init_script(CSP_LISTENER)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))

    # Log in through the real form: CSRF token, throttled view, redirect to the board.
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_text("First Canary").first).to_be_visible()
    assert page.evaluate("typeof window.htmx") == "object", "htmx did not load under the CSP"

    # htmx polls and swaps: a new order shows up without a reload.
    with page.expect_request(
        lambda r: "/orders/rows/" in r.url and r.headers.get("hx-request") == "true",
        timeout=10_000,
    ):
        pass
    make_order(id=7002, customer_name="Second Canary")
    mark_synced()
    expect(page.get_by_text("Second Canary").first).to_be_visible(timeout=10_000)

    # The wall's held poll keeps a request open (the network never idles): wait for the page
    # and for its first poll to have gone out under the CSP.
    with page.expect_request(lambda r: "/wall/poll/" in r.url, timeout=10_000):
        page.goto("/wall/")
    page.wait_for_load_state("load")
    assert page.evaluate("window.__cspViolations") == []
    assert [m for m in console if "Content Security Policy" in m] == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_throttled_login_says_when_to_try_again_in_a_real_browser(
    browser_context_factory, live_server, settings, screenshot
):
    from django.contrib.auth import get_user_model
    from playwright.sync_api import expect

    get_user_model().objects.create_user(username="manager", password=PASSWORD)
    page = browser_context_factory(width=390, height=844).new_page()
    page.goto("/accounts/login/")
    for attempt in range(settings.LOGIN_THROTTLE_ATTEMPTS + 1):
        page.fill("input[name=username]", "manager")
        page.fill("input[name=password]", f"wrong-{attempt}")
        with page.expect_navigation():
            page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text(
        "Too many failed attempts. Try again in 5 minutes."
    )
    screenshot(page, "login-throttled-phone")


# --- The policy is built once, and follows the settings and the per-view decorators -------------


@pytest.mark.django_db
def test_the_policy_follows_a_change_of_settings(client, settings):
    before = client.get(reverse("login"))["Content-Security-Policy"]
    directives = {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], "img-src": ["'self'"]}
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": directives}
    after = client.get(reverse("login"))["Content-Security-Policy"]

    assert csp_directives(before)["img-src"] == ["'self'", "data:"]
    assert csp_directives(after)["img-src"] == ["'self'"]


def _both_headers(rf, view, *, use_nonce=False):
    """(django-csp's header, ours) for one view."""
    from csp.middleware import CSPMiddleware as StockCSPMiddleware

    from dashboard.middleware import CSPMiddleware

    headers = []
    for middleware_class in (StockCSPMiddleware, CSPMiddleware):
        middleware = middleware_class(view)
        request = rf.get("/")
        middleware.process_request(request)
        nonce = str(request.csp_nonce) if use_nonce else ""
        header = middleware.process_response(request, view(request))["Content-Security-Policy"]
        headers.append(header.replace(nonce, "NONCE") if nonce else header)
    return headers


def test_a_view_that_updates_the_policy_still_gets_its_own(rf):
    from csp.decorators import csp_update
    from django.http import HttpResponse

    @csp_update({"img-src": ["https://img.example"]})
    def view(request):
        return HttpResponse("ok")

    stock, ours = _both_headers(rf, view)
    plain_stock, plain_ours = _both_headers(rf, lambda request: HttpResponse("ok"))

    assert "https://img.example" in ours
    assert ours == stock
    assert "https://img.example" not in plain_ours
    assert plain_ours == plain_stock


def test_a_nonce_asked_for_goes_into_the_header(rf, settings):
    from csp.constants import NONCE
    from django.http import HttpResponse

    directives = {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], "script-src": ["'self'", NONCE]}
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": directives}

    stock, ours = _both_headers(rf, lambda request: HttpResponse("ok"), use_nonce=True)

    assert "'nonce-NONCE'" in ours
    assert ours == stock
