"""Every screen in the language of the people in front of it: choosing it, and what it changes.

Expected texts are written out in each language (not computed with gettext), so a missing or
wrong translation fails here.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone, translation

from orders_app.formatting import ago_text, duration, money, qty
from orders_app.i18n import catalogue_version
from orders_app.services.throttle import ThrottleDecision
from orders_app.services.wall_keys import wall_key_create
from orders_app.vocabulary import status_label, wall_column_label
from tests.fixtures.orders import make_order, mark_synced


@pytest.fixture
def manager(client, django_user_model):
    user = django_user_model.objects.create_user("mgr", password="pw-long-enough-123")
    client.force_login(user)
    return user


def html_lang(response) -> str:
    text = response.content.decode()
    start = text.index('<html lang="') + len('<html lang="')
    return text[start : text.index('"', start)]


# --- Choosing the language --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [("ru-RU,ru;q=0.9,en;q=0.5", "ru"), ("az", "az"), ("de-DE,de", "en"), ("", "en")],
)
def test_the_board_follows_the_browsers_accept_language(client, manager, header, expected):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=header)
    assert response.status_code == 200
    assert html_lang(response) == expected
    assert response["Content-Language"] == expected
    assert "Accept-Language" in response["Vary"]


def test_a_manager_whose_browser_speaks_russian_sees_the_board_in_russian(client, manager):
    make_order(status="PENDING")
    mark_synced()
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Заказы" in body
    assert "Новый" in body  # the PENDING chip
    assert ">Orders<" not in body


def test_the_language_menu_remembers_the_choice_in_a_cookie_over_the_browser(client, manager):
    response = client.post("/i18n/setlang/", {"language": "az", "next": "/?status=PENDING"})
    assert response.status_code == 302
    assert response["Location"] == "/?status=PENDING"
    cookie = response.cookies["django_language"]
    assert cookie.value == "az"
    assert cookie["samesite"] == "Lax"
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="ru")
    assert html_lang(page) == "az"


def test_the_language_menu_is_on_the_board_and_the_login_page(client, manager):
    board = client.get("/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert 'action="/i18n/setlang/"' in board and 'name="language"' in board
    assert "Azərbaycanca" in board and "Русский" in board and "English" in board
    client.logout()
    login = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="az").content.decode()
    assert 'action="/i18n/setlang/"' in login


def test_the_language_menu_needs_the_csrf_token(manager, django_user_model):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(manager)
    response = strict.post("/i18n/setlang/", {"language": "ru", "next": "/"})
    assert response.status_code == 403


def test_a_language_pass_does_not_speak_leaves_the_board_in_one_it_does(client, manager):
    # Django's set_language accepts any language Django itself knows; the board never shows it.
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert html_lang(client.get("/", HTTP_ACCEPT_LANGUAGE="ru")) == "ru"
    assert html_lang(client.get("/")) == "en"


def test_the_wall_follows_lang_in_its_url_not_the_browser(client, manager, settings):
    assert html_lang(client.get("/wall/?lang=az", HTTP_ACCEPT_LANGUAGE="ru")) == "az"
    assert html_lang(client.get("/wall/", HTTP_ACCEPT_LANGUAGE="ru")) == "en"
    client.cookies["django_language"] = "ru"
    assert html_lang(client.get("/wall/")) == "en"
    settings.LANGUAGE_CODE = "ru"
    assert html_lang(client.get("/wall/", HTTP_ACCEPT_LANGUAGE="az")) == "ru"


def test_the_walls_poll_keeps_its_language(client, manager):
    mark_synced()
    page = client.get("/wall/?lang=ru").content.decode()
    assert "lang=ru" in page.split('hx-get="', 1)[1].split('"', 1)[0]
    fragment = client.get("/wall/poll/?lang=ru&token=old").content.decode()
    assert "Новые" in fragment or "Новый" in fragment
    english = client.get("/wall/poll/?token=old").content.decode()
    assert ">New<" in english


def test_a_wall_with_an_unknown_lang_says_so_and_falls_back(client, manager):
    body = client.get("/wall/?lang=fr").content.decode()
    assert '<html lang="en"' in body
    assert "Ignored lang=fr" in body


@pytest.mark.django_db
def test_a_kiosk_link_keeps_its_language_through_the_key_redirect(client):
    created = wall_key_create(name="grill")
    response = client.get(f"/wall/?key={created.key}&lang=az")
    assert response.status_code == 302
    assert response["Location"] == "/wall/?lang=az"
    assert html_lang(client.get(response["Location"])) == "az"


def test_the_wall_column_titles_and_the_sound_notice_are_azerbaijani(client, manager):
    mark_synced()
    body = client.get("/wall/?lang=az").content.decode()
    assert "Yeni" in body  # the New column
    assert "Səs" in body  # "Sound is off, tap to enable"
    assert ">Mute<" not in body


# --- The JavaScript catalogue -----------------------------------------------------------------


def test_the_javascript_catalogue_is_a_long_lived_same_origin_script(client):
    response = client.get(f"/i18n/ru.js?v={catalogue_version()}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "immutable" in response["Cache-Control"]
    body = response.content.decode()
    assert "назад".encode("unicode_escape").decode() in body  # "… ago" in Russian, escaped
    assert "pluralidx" in body


def test_an_old_or_missing_catalogue_version_is_kept_briefly(client):
    response = client.get("/i18n/az.js?v=old")
    assert response["Cache-Control"] == "public, max-age=300"


def test_the_catalogue_of_an_unknown_language_is_not_found(client):
    assert client.get("/i18n/fr.js").status_code == 404


def test_pages_load_the_catalogue_of_their_language(client, manager):
    board = client.get("/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert f'src="/i18n/ru.js?v={catalogue_version()}"' in board
    wall = client.get("/wall/?lang=az").content.decode()
    assert f'src="/i18n/az.js?v={catalogue_version()}"' in wall


# --- Words, plural forms and formats ----------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", {1: "1 min ago", 2: "2 min ago", 5: "5 min ago", 21: "21 min ago"}),
        (
            "ru",
            {1: "1 минуту назад", 2: "2 минуты назад", 5: "5 минут назад", 21: "21 минуту назад"},
        ),
        ("az", {1: "1 dəq əvvəl", 2: "2 dəq əvvəl", 5: "5 dəq əvvəl", 21: "21 dəq əvvəl"}),
    ],
)
def test_relative_times_take_each_languages_plural_forms(language, expected):
    with translation.override(language):
        assert {n: ago_text(n * 60) for n in expected} == expected


@pytest.mark.parametrize(
    ("language", "days"),
    [("ru", {1: "1 день назад", 2: "2 дня назад", 5: "5 дней назад", 21: "21 день назад"})],
)
def test_days_ago_in_russian_take_three_forms(language, days):
    with translation.override(language):
        assert {n: ago_text(n * 86400) for n in days} == days


def test_the_login_throttle_message_counts_minutes_in_russian():
    with translation.override("ru"):
        messages = {n: ThrottleDecision(True, retry_after=n * 60).message for n in (1, 2, 5, 21)}
    assert "1 минуту" in messages[1]
    assert "2 минуты" in messages[2]
    assert "5 минут" in messages[5]
    assert "21 минуту" in messages[21]


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "₼1,250.50"), ("az", "1\xa0250,50\xa0₼"), ("ru", "1\xa0250,50\xa0₼")],
)
def test_money_is_written_as_each_language_writes_it(language, expected, settings):
    settings.CURRENCY = "₼"
    with translation.override(language):
        assert money(Decimal("1250.5")) == expected


def test_quantities_take_a_decimal_comma_in_azerbaijani_and_russian():
    with translation.override("en"):
        assert qty(Decimal("0.5")) == "0.5"
    for language in ("az", "ru"):
        with translation.override(language):
            assert qty(Decimal("0.5")) == "0,5"
            assert qty(Decimal("2")) == "2"


def test_durations_read_in_the_language():
    with translation.override("ru"):
        assert duration(timedelta(hours=2, minutes=5)) == "+2 ч 5 мин"


def test_order_dates_are_dd_mm_yyyy_and_24_hour_in_azerbaijani_and_russian(client, manager):
    created = timezone.now().replace(hour=15, minute=7, second=9, microsecond=0)
    order = make_order(status="RECEIVED", created_at=created)
    local = timezone.localtime(created)
    day = local.strftime("%d.%m.%Y")
    for language in ("az", "ru"):
        body = client.get(f"/orders/{order.id}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert f"{day}, {local:%H:%M}" in body
        assert " PM" not in body and " AM" not in body
    english = client.get(f"/orders/{order.id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert local.strftime("%d %b %Y, %H:%M") in english


def test_the_board_date_filters_still_take_iso_dates_in_every_language(client, manager):
    make_order(status="PENDING", created_at=timezone.now())
    today = timezone.localdate().isoformat()
    for language in ("az", "ru"):
        response = client.get(f"/?from={today}&to={today}", HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        assert 'class="form-errors"' not in response.content.decode()


def test_a_bad_date_filter_is_explained_in_russian(client, manager):
    body = client.get("/?from=yesterday", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert 'class="form-errors"' in body
    assert "2026-03-01" in body  # the example date stays ISO: that is what the URL takes
    assert "Use a date like" not in body


def test_an_operators_status_labels_win_in_every_language(settings):
    settings.STATUS_LABELS = {"PENDING": "Waiting"}
    for language in ("en", "az", "ru"):
        with translation.override(language):
            assert status_label("PENDING") == "Waiting"
    with translation.override("ru"):
        assert status_label("RECEIVED") == "Принят"
        assert wall_column_label("DELIVERED") == "Завершено"
    settings.STATUS_LABELS = {"DELIVERED": "Handed over"}
    with translation.override("az"):
        assert wall_column_label("DELIVERED") == "Handed over"


def test_statuses_clopos_sends_that_pass_does_not_know_are_shown_as_given():
    with translation.override("ru"):
        assert status_label("LUNCH") == "LUNCH"
        assert status_label("") == "Неизвестно"
        assert status_label("", missing="") == ""
