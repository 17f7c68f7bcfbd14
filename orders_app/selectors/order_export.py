"""The board's CSV export: every order a filter matches (all pages), one row each.

Cells are text a spreadsheet will not run as a formula; money is divided by MONEY_DIVISOR but
carries no currency sign, so the column stays numeric. ``total_clopos`` is the order's total:
its receipt's, as Clopos computed it (empty while the order has no receipt in the cache);
``items_subtotal_computed`` is Pass's own arithmetic, kept beside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from orders_app.models import Order, SaleType, Venue
from orders_app.selectors.order_filters import (
    BoardFilters,
    ChannelChoices,
    order_filter_q,
    receipt_total_subquery,
    sort_fields,
)
from orders_app.vocabulary import status_label

EXPORT_HEADER = [
    "order_id",
    "created_at",
    "updated_at",
    "status",
    "status_label",
    "type",
    "integration",
    "venue_id",
    "venue",
    "sale_type",
    "customer_name",
    "customer_phone",
    "customer_address",
    "item_count",
    "items_subtotal_computed",
    "total_clopos",
    "receipt_id",
    "delivery_fee",
    "comment",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """A cell a spreadsheet will not run: text starting with = + - @ gets a leading quote."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _money_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    amount = Decimal(value) / Decimal(settings.MONEY_DIVISOR)
    return f"{amount:.{settings.MONEY_DECIMALS}f}"


def _count_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    number = Decimal(value)
    return str(int(number)) if number == number.to_integral_value() else format(number, "f")


def order_export_rows(
    *, filters: BoardFilters, chunk_size: int = 2000, channels: ChannelChoices | None = None
) -> Iterator[list[str]]:
    """The header, then one row per order matching ``filters`` (every page), sort kept."""
    yield EXPORT_HEADER
    venues = dict(Venue.objects.values_list("id", "name"))
    sale_types = dict(SaleType.objects.values_list("id", "name"))
    local = ZoneInfo(settings.TIME_ZONE)
    qs = (
        Order.objects.filter(order_filter_q(filters, channels=channels))
        .order_by(*sort_fields(filters.sort))
        .annotate(receipt_total=receipt_total_subquery())
        .values_list(
            "id",
            "created_at",
            "updated_at",
            "status",
            "type",
            "integration",
            "venue_id",
            "sale_type_id",
            "customer_name",
            "customer_phone",
            "customer_address",
            "item_count",
            "items_total",
            "receipt_total",
            "receipt_id",
            "delivery_fee",
            "comment",
        )
    )
    for (
        oid,
        created,
        updated,
        status,
        type_,
        integration,
        venue_id,
        sale_type_id,
        name,
        phone,
        address,
        item_count,
        items_total,
        receipt_total,
        receipt_id,
        delivery_fee,
        comment,
    ) in qs.iterator(chunk_size=chunk_size):
        yield [
            str(oid),
            created.astimezone(local).isoformat(timespec="seconds"),
            updated.astimezone(local).isoformat(timespec="seconds"),
            csv_safe(status),
            csv_safe(status_label(status, missing="")),
            csv_safe(type_),
            csv_safe(integration),
            "" if venue_id is None else str(venue_id),
            csv_safe(venues.get(venue_id, "")),
            csv_safe(sale_types.get(sale_type_id, "")),
            csv_safe(name),
            csv_safe(phone),
            csv_safe(address),
            _count_text(item_count),
            _money_text(items_total),
            _money_text(receipt_total),
            "" if receipt_id is None else str(receipt_id),
            _money_text(delivery_fee),
            csv_safe(comment),
        ]
