"""The board's rows as HTML built in Python: the fast twin of board.html#order-rows.

Why it exists: the list fragment is polled by every open board, and fifty rows of a dozen
cells, each a few variable lookups and filters in the template engine, are the largest part
of the fragment's cost. The rows were tried again as the template partial alone: bench_views
then put two filters (a channel over all dates, a surname searched within one day) over the
list target of 50 ms p50 on a busy machine, and the slowest (a surname over all dates) within
a few ms of it on a quiet one; this renderer keeps every filter well within it (figures in
bench/RESULTS.md). The markup is the partial's, byte for byte: tests/test_fastpaths.py renders
both on the same orders.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from orders_app.formatting import age, ago, money, qty, shows_stage, stage_badge, status_badge
from orders_app.localized import localized
from orders_app.models import Order
from orders_app.vocabulary import order_type_label

_ROW = (
    '<tbody class="order" data-order-id="{id}" data-stage="{stage}" data-updated="{updated_iso}">'
    '<tr class="order-row" tabindex="0" aria-level="1" aria-expanded="false" '
    'aria-controls="panel-{id}" data-panel-url="{panel_url}">'
    '<td class="c-toggle"><span class="chev" aria-hidden="true"></span></td>'
    '<td class="c-id"><a href="{detail_url}">#{id}</a></td>'
    '<td class="c-created"><time datetime="{created_iso}" title="{created_title}">{created_text}'
    '</time><span class="sub"><time datetime="{created_iso}" data-ago>{ago}</time></span></td>'
    '<td class="c-status">{badge}{stage_badge}{flag}</td>'
    '<td class="c-channel"><span class="cell-label">{channel_label} </span>{channel}{integration}</td>'
    '<td class="c-venue"><span class="cell-label">{venue_label} </span>{venue}</td>'
    '<td class="c-sale"><span class="cell-label">{sale_label} </span>{sale}</td>'
    '<td class="c-customer"><span class="name">{name}</span>{phone}</td>'
    '<td class="c-items num"><span class="cell-label">{items_label} </span>{items}</td>'
    "{total_cell}"
    '<td class="c-age num"><span class="cell-label">{age_label} </span>'
    '<time datetime="{created_iso}" data-age>{age}</time></td>'
    "</tr>"
    '<tr class="order-panel" id="panel-{id}" aria-level="2" hidden>'
    '<td colspan="11"><div class="panel-slot" data-panel-slot></div></td></tr>'
    "</tbody>\n"
)


_CLOPOS_TOTAL = (
    '<td class="c-total num" data-total="clopos"><span class="cell-label">{label} </span>'
    '{total}<span class="total-mark"></span></td>'
)
_COMPUTED_TOTAL = (
    '<td class="c-total num" data-total="computed"><span class="cell-label">{label} </span>'
    '{total}<span class="total-mark">*</span></td>'
)
_FLAG = '<span class="flag86" title="{title}">{text}</span>'


def _named(name: str | None, fallback_id: int | None, what: str) -> str:
    """The name, else ``what`` (a translated text with %(id)s) for the id, else a dash."""
    if name:
        return escape(name)
    if fallback_id is not None:
        return escape(what % {"id": int(fallback_id)})
    return "—"


def _labels() -> dict[str, str]:
    """The cell labels (shown on narrow screens) in the active language, once per render."""
    return {
        "channel_label": escape(gettext("Channel")),
        "venue_label": escape(gettext("Venue")),
        "sale_label": escape(gettext("Sale type")),
        "items_label": escape(gettext("Items")),
        "age_label": escape(gettext("Age")),
    }


def _total_cell(order: Order, clopos_label: str, computed_label: str) -> str:
    """Clopos's total where the order has a receipt in the cache, else Pass's subtotal with *."""
    receipt_total = getattr(order, "receipt_total", None)
    if receipt_total is not None:
        return _CLOPOS_TOTAL.format(label=clopos_label, total=escape(money(receipt_total)))
    return _COMPUTED_TOTAL.format(label=computed_label, total=escape(money(order.items_total)))


def _flag(names: tuple[str, ...], title: str, text: str) -> str:
    """ "86: Plov, Lahmacun" on an order the kitchen has not started (board.py sets
    ``out_names``)."""
    if not names:
        return ""
    return _FLAG.format(title=title, text=text % {"names": escape(", ".join(names))})


def order_rows_html(orders: Iterable[Order], *, now: datetime | None = None) -> SafeString:
    """The <tbody> of each order (with ``venue_name``, ``sale_type_name`` and
    ``receipt_total`` annotated, and ``out_names`` set by the board's selector): one row plus
    its closed detail panel row."""
    now = now or timezone.now()
    local = timezone.get_current_timezone()
    detail_prefix = reverse("order-detail", args=[0])[: -len("0/")]
    badges: dict[str, str] = {}
    labels = _labels()
    words = localized()
    venue_n, sale_type_n = gettext("Venue %(id)s"), gettext("Sale type %(id)s")
    clopos_label, computed_label = escape(gettext("Total (Clopos)")), escape(gettext("Subtotal"))
    flag_title = escape(gettext("On the stop list in Clopos: out, the kitchen cannot make it"))
    flag_text = gettext("86: %(names)s")
    parts = []
    for order in orders:
        status = order.status
        if status not in badges:
            badges[status] = str(status_badge(status))
        created_local = timezone.localtime(order.created_at, local)
        created_iso = order.created_at.isoformat()
        phone = order.customer_phone
        parts.append(
            _ROW.format(
                id=int(order.id),
                updated_iso=order.updated_at.isoformat(),
                panel_url=f"{detail_prefix}{int(order.id)}/panel/",
                detail_url=f"{detail_prefix}{int(order.id)}/",
                created_iso=created_iso,
                created_title=created_local.strftime("%Y-%m-%d %H:%M:%S %Z"),
                created_text=escape(words.datetime_short(created_local)),
                ago=ago(order.created_at, now),
                badge=badges[status],
                stage=escape(order.stage),
                stage_badge=f" {stage_badge(order.stage)}"
                if shows_stage(status, order.stage)
                else "",
                channel=escape(order_type_label(order.type)) or "—",
                integration=f'<span class="sub">{escape(order.integration)}</span>'
                if order.integration
                else "",
                venue=_named(getattr(order, "venue_name", None), order.venue_id, venue_n),
                sale=_named(
                    getattr(order, "sale_type_name", None), order.sale_type_id, sale_type_n
                ),
                name=escape(order.customer_name) or "—",
                phone=f'<span class="sub phone">{escape(phone)}</span>' if phone else "",
                items=escape(qty(order.item_count)),
                total_cell=_total_cell(order, clopos_label, computed_label),
                flag=_flag(getattr(order, "out_names", ()), flag_title, flag_text),
                age=age(order.created_at, now),
                **labels,
            )
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped or our own markup
