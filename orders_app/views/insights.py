"""/insights/ (speed of service and demand, in charts with their tables) and its CSV export.

Managers only. The query string is the board's (``from``, ``to``, ``venue``, ``channel``); every
bar, cell and row links to the board with its filters, plus the ``hour``, ``weekday``,
``sale_type``, ``status`` or ``q`` that picks the orders behind it.
"""

from __future__ import annotations

import csv
from datetime import date
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from orders_app import charts
from orders_app.formatting import percent, span
from orders_app.forms.insights import EXPORT_TABLES, InsightsForm
from orders_app.selectors.board import channel_choices, venue_choices
from orders_app.selectors.insights import InsightFilters, Insights, insights, rollup_days
from orders_app.selectors.sync import sync_health
from orders_app.services.insight_rollups import ensure_days
from orders_app.views.board import manager_required
from orders_app.views.http import HtmxHttpRequest, no_store


def board_link(filters: InsightFilters, **more) -> str:
    """The board, showing the orders behind a figure: the range and filters, and ``more``."""
    params = [("from", filters.date_from.isoformat()), ("to", filters.date_to.isoformat())]
    if filters.venue is not None:
        params.append(("venue", str(filters.venue)))
    if filters.channel:
        params.append(("channel", filters.channel))
    for name, value in more.items():
        if value is not None and value != "":
            params.append((name, str(value)))
    return f"{reverse('board')}?{urlencode(params)}"


def _today() -> date:
    return timezone.localdate()


def _box_text(dist) -> str:
    return gettext("median %(median)s · p90 %(p90)s") % {
        "median": span(dist.median),
        "p90": span(dist.p90),
    }


def _charts(data: Insights) -> dict:
    f = data.filters
    one_day = f.days == 1
    hourly = charts.column_chart(
        [
            (
                str(row.hour),
                f"{row.hour:02d}" if row.hour % 3 == 0 else "",
                row.count if one_day else row.per_day,
                row.baseline,
                board_link(f, hour=row.hour),
            )
            for row in data.hourly
        ]
    )
    accept_hours = charts.column_chart(
        [
            (
                str(row.hour),
                f"{row.hour:02d}" if row.hour % 3 == 0 else "",
                (row.accept.median or 0) / 60,
                row.baseline.median / 60 if row.baseline.median is not None else None,
                board_link(f, hour=row.hour),
            )
            for row in data.accept_hours
        ]
    )
    heat = charts.heatmap(
        [
            (
                str(WEEKDAYS_ABBR[weekday - 1]),
                [
                    (cell.count, cell.level, board_link(f, weekday=weekday, hour=cell.hour))
                    for cell in row
                ],
            )
            for weekday, row in zip(range(1, 8), data.heatmap, strict=True)
        ]
    )
    boxes = charts.box_chart(
        [
            (c.label, c.accept.box, _box_text(c.accept), board_link(f, channel=c.channel))
            for c in data.channels
            if c.accept.box
        ],
        threshold=data.late_minutes * 60,
    )

    def share_text(orders: int, share: float) -> str:
        return f"{orders} · {percent(share)}"

    channel_mix = charts.bar_chart(
        [
            (
                c.label,
                c.orders,
                share_text(c.orders, c.orders / data.orders),
                board_link(f, channel=c.channel),
            )
            for c in data.channels
        ]
    )
    sale_mix = charts.bar_chart(
        [
            (m.label, m.orders, share_text(m.orders, m.share), board_link(f, sale_type=m.key))
            for m in data.sale_types
        ]
    )
    items = charts.bar_chart(
        [(i.name, float(i.count), f"{i.count:g}", board_link(f, q=i.name)) for i in data.items]
    )
    modifiers = charts.bar_chart(
        [(m.name, float(m.count), f"{m.count:g}", board_link(f, q=m.name)) for m in data.modifiers]
    )
    return {
        "hour_rows": [(row, board_link(f, hour=row.hour)) for row in data.hourly],
        "hour_numbers": range(24),
        "heat_rows": [(str(WEEKDAYS[n]), row.cells) for n, row in enumerate(heat.rows)],
        "channel_rows": [(c, board_link(f, channel=c.channel)) for c in data.channels],
        "venue_rows": [
            (v, board_link(f, venue=v.venue_id) if v.venue_id is not None else board_link(f))
            for v in data.venues
        ],
        "late_minutes": round(data.late_minutes),
        "precision_seconds": round(data.precision_seconds),
        "hourly_chart": hourly,
        "accept_hours_chart": accept_hours,
        "accept_hour_rows": [
            (row, board_link(f, hour=row.hour)) for row in data.accept_hours if row.accept.count
        ],
        "heat_chart": heat,
        "box_chart": boxes,
        "channel_chart": channel_mix,
        "sale_chart": sale_mix,
        "items_chart": items,
        "modifiers_chart": modifiers,
    }


@require_GET
@manager_required
def insights_page(request: HtmxHttpRequest) -> HttpResponse:
    today = _today()
    form = InsightsForm(request.GET, today=today)
    valid = form.is_valid()
    filters = form.filters()
    ensure_days(rollup_days(filters))  # the days' rollups, filled where out of date
    data = insights(filters, today=today)
    health = sync_health()
    context = {
        "form": form,
        "filters": filters,
        "data": data,
        "sync": health,
        "channels": channel_choices(data_version=health.data_version),
        "venues": venue_choices(),
        "board_url": board_link(filters),
        "late_url": board_link(filters, status="RECEIVED"),
        "ignored_url": board_link(filters, status="IGNORE"),
        "pending_url": board_link(filters, status="PENDING"),
        "export": {
            table: f"{reverse('insights-export')}?{urlencode(_query(filters, table=table))}"
            for table in EXPORT_TABLES
        },
        **_charts(data),
    }
    response = render(request, "orders_app/insights.html", context, status=200 if valid else 400)
    return no_store(response)


def _query(filters: InsightFilters, **more) -> list[tuple[str, str]]:
    params = [("from", filters.date_from.isoformat()), ("to", filters.date_to.isoformat())]
    if filters.venue is not None:
        params.append(("venue", str(filters.venue)))
    if filters.channel:
        params.append(("channel", filters.channel))
    return params + [(k, str(v)) for k, v in more.items()]


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def export_rows(data: Insights, table: str) -> list[list[str]]:
    """The table of the page named ``table``, as CSV rows (machine-readable: the first row
    names the columns in English; durations in seconds; shares from 0 to 1)."""
    if table == "hourly":
        rows = [["hour", "orders", "orders_per_day", "baseline_per_day"]]
        rows += [
            [str(h.hour), str(h.count), f"{h.per_day:.4f}", _share(h.baseline)] for h in data.hourly
        ]
        return rows
    if table in ("channels", "venues"):
        entries = data.channels if table == "channels" else data.venues
        key = "channel" if table == "channels" else "venue_id"
        rows = [
            [key, "name", "orders", "ignored", "accept_measured", "accept_median_seconds",
             "accept_p90_seconds", "accepted_late", "late_share"]
        ]  # fmt: skip
        for e in entries:
            rows.append(
                [
                    str(e.channel if table == "channels" else (e.venue_id or "")),
                    e.label if table == "channels" else e.name,
                    str(e.orders),
                    str(e.ignored),
                    str(e.accept.count),
                    _seconds(e.accept.median),
                    _seconds(e.accept.p90),
                    str(e.late),
                    _share(e.late_share),
                ]
            )
        return rows
    rows = [["kind", "name", "count", "orders"]]
    rows += [["item", i.name, f"{i.count:g}", str(i.orders)] for i in data.items]
    rows += [["modifier", m.name, f"{m.count:g}", str(m.orders)] for m in data.modifiers]
    return rows


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
@manager_required
def insights_export(request: HtmxHttpRequest) -> HttpResponse:
    today = _today()
    form = InsightsForm(request.GET, today=today)
    table = request.GET.get("table", "")
    problems = [f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()]
    if table not in EXPORT_TABLES:
        problems.append(
            gettext("table: pick one of %(tables)s") % {"tables": ", ".join(EXPORT_TABLES)}
        )
    if problems:
        return no_store(
            HttpResponse(
                gettext("Invalid filter: %(problems)s") % {"problems": "; ".join(problems)},
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        )
    filters = form.filters()
    ensure_days(rollup_days(filters))
    writer = csv.writer(_Echo())
    body = "\ufeff" + "".join(
        writer.writerow(row) for row in export_rows(insights(filters, today=today), table)
    )
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    name = f"pass-insights-{table}-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return no_store(response)
