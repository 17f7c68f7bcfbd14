"""The wall at every listed size: no scrolling, nothing cut silently, screenshots to look at."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.fixtures.browser import busy_kitchen
from tests.fixtures.orders import make_order, mark_synced


@pytest.fixture(autouse=True)
def _fresh_fragment_cache():
    cache.clear()  # rendered fragments are cached per token; tokens repeat across tests


SIZES = {
    "1280x720": (1280, 720),
    "1920x1080": (1920, 1080),
    "3840x2160": (3840, 2160),
    "portrait-1080x1920": (1080, 1920),
}


def page_metrics(page) -> dict:
    return page.evaluate(
        """() => ({
            scrollW: document.documentElement.scrollWidth, clientW: document.documentElement.clientWidth,
            scrollH: document.documentElement.scrollHeight, clientH: document.documentElement.clientHeight,
            columns: [...document.querySelectorAll('#wall-live .column')].map(c => {
                const list = c.querySelector('.cards');
                const items = [...list.children].filter(x => !x.classList.contains('more') && !x.classList.contains('empty'));
                const shown = items.filter(x => !x.hidden).length;
                const marker = list.querySelector('.more');
                return {
                    name: c.getAttribute('aria-label'),
                    overflowing: list.scrollHeight > list.clientHeight + 1,
                    shown, total: items.length + (parseInt(list.dataset.omitted) || 0),
                    more: marker.hidden ? 0 : parseInt(marker.textContent.replace(/[^0-9]/g, '')),
                };
            }),
        })"""
    )


@pytest.fixture
def wall_ready(settings, reference_data, manager_user, browser_context_factory):
    settings.WALL_POLL_SECONDS = 1
    mark_synced()

    def open_wall(width: int, height: int, query: str = ""):
        context = browser_context_factory(width=width, height=height, user=manager_user)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
        page.goto(f"/wall/{query}")
        page.wait_for_selector("#wall-live")
        page.wait_for_timeout(400)
        page.errors = errors  # type: ignore[attr-defined]
        return page

    return open_wall


@pytest.mark.parametrize("size", list(SIZES))
def test_wall_fits_every_screen_without_scrolling_or_silent_cuts(wall_ready, screenshot, size):
    busy_kitchen()
    page = wall_ready(*SIZES[size])
    metrics = page_metrics(page)
    screenshot(page, f"wall-{size}")
    assert metrics["scrollW"] <= metrics["clientW"]
    assert metrics["scrollH"] <= metrics["clientH"]
    for column in metrics["columns"]:
        assert not column["overflowing"], column
        assert column["shown"] + column["more"] == column["total"], column
    assert page.errors == []


def test_thirty_open_orders_at_1920x1080_do_not_scroll(wall_ready, screenshot):
    busy_kitchen(open_orders=30, done=0)
    page = wall_ready(1920, 1080)
    metrics = page_metrics(page)
    assert metrics["scrollH"] <= metrics["clientH"]
    assert metrics["scrollW"] <= metrics["clientW"]
    pending, received = metrics["columns"][0], metrics["columns"][1]
    assert pending["total"] == 10 and received["total"] == 20
    assert pending["shown"] + pending["more"] == 10
    assert received["shown"] + received["more"] == 20
    screenshot(page, "wall-1920x1080-30-open")


def test_quiet_wall_and_light_theme_screenshots(wall_ready, screenshot):
    make_order(status="PENDING", comment="Allergic to nuts")
    page = wall_ready(1920, 1080, "?theme=light")
    screenshot(page, "wall-1920x1080-light-quiet")
    assert page.errors == []
