"""The kitchen's endpoints of the Clopos client (docs/clopos.md §4–§6): receipts, stations,
products and the stop list, and the two writes the outbox delivers (a receipt's
``order_status``, an order ignored). A mixin of ``CloposClient`` (client.py): the same session,
sign-in, rate budget, retries and typed errors as the orders.

Both writes set a value rather than add one, so the client's retry of a 5xx or a timeout
cannot apply them twice; services/outbox.py still re-reads before and after writing."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from orders_app.clopos.config import MAX_LIMIT
from orders_app.clopos.errors import CloposBadResponse
from orders_app.clopos.paging import OrdersPage, walk_pages

# What a receipt needs for the kitchen: its items, their modifiers, and each item's station.
RECEIPT_RELATIONS = (
    "receipt_products",
    "receipt_products.modificators",
    "receipt_products.product.station",
)


# Page sizes: /stations documents limit 1-200; /products documents none, so a page size most
# list endpoints accept [I].
STATIONS_LIMIT = 200
PRODUCTS_LIMIT = 100


class KitchenEndpoints:
    """Receipts, stations, products, stop list; ``self`` is a CloposClient."""

    def receipts_page(
        self: Any,
        *,
        page: int = 1,
        limit: int | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        sort: str = "updated_at",
        direction: int = -1,
        with_: Sequence[str] = RECEIPT_RELATIONS,
        filters: Sequence[tuple[str, object]] = (),
    ) -> OrdersPage:
        """One page of ``GET /receipts`` (same parameters as ``GET /orders``: page, limit,
        date[], sort[], with[], filters), newest ``updated_at`` first by default."""
        return self._query_page(
            "/receipts",
            page=page,
            limit=limit,
            date_from=date_from,
            date_to=date_to,
            sort=sort,
            direction=direction,
            with_=with_,
            filters=filters,
        )

    def iter_receipt_pages(self: Any, **kwargs: Any) -> Iterator[OrdersPage]:
        """Pages 1, 2, … of ``GET /receipts`` under the one stop rule (paging.walk_pages)."""
        if "page" in kwargs:
            raise TypeError("iter_receipt_pages walks the pages itself; do not pass page=")
        kwargs["limit"] = self._limit(kwargs.get("limit"))
        yield from walk_pages(
            lambda number: self.receipts_page(page=number, **kwargs), max_pages=self.max_pages
        )

    def get_receipt(
        self: Any, receipt_id: int, *, with_: Sequence[str] = RECEIPT_RELATIONS
    ) -> dict:
        """``GET /receipts/{id}`` with its items and stations."""
        query = [(f"with[{n}]", relation) for n, relation in enumerate(with_)]
        body = self._request("GET", f"/receipts/{int(receipt_id)}", query=query)
        data = body.get("data")
        if not isinstance(data, dict):
            raise CloposBadResponse(
                f"Clopos answered GET /receipts/{int(receipt_id)} without a receipt object "
                f"(data was {type(data).__name__})",
                status=200,
            )
        return data

    def set_receipt_order_status(self: Any, receipt_id: int, order_status: str) -> dict:
        """``PATCH /receipts/{id}`` with ``{"order_status": ...}`` (works on closed receipts
        too, docs/clopos.md §5); the receipt as Clopos now has it."""
        path = f"/receipts/{int(receipt_id)}"
        body = self._request("PATCH", path, json_body={"order_status": str(order_status)})
        return _object(body, f"PATCH {path}", "a receipt")

    def ignore_order(self: Any, order_id: int) -> dict:
        """``PUT /orders/{id}`` with ``{"status": "IGNORE"}``, the one transition the API
        offers (docs/clopos.md §4); ``{id, status}`` or the order without its payload."""
        path = f"/orders/{int(order_id)}"
        body = self._request("PUT", path, json_body={"status": "IGNORE"})
        return _object(body, f"PUT {path}", "an order")

    def stations(self: Any) -> list[dict]:
        """Every station: ``{id, name, status, type (1 kitchen, 0 other), printable}``."""
        return self._list_all("/stations", limit=STATIONS_LIMIT)

    def products(self: Any) -> list[dict]:
        """Every product with its station: ``{id, name, type, station_id, cooking_time, …}``."""
        return self._list_all("/products", with_=("station",), limit=PRODUCTS_LIMIT)

    def stop_list(self: Any) -> list[dict]:
        """``GET /products/stop-list``: ``[{id (product), limit (0 = out), timestamp (ms)}]``;
        an empty list is normal (nothing restricted)."""
        body = self._request("GET", "/products/stop-list", query=[])
        data = body.get("data")
        if data is None:
            return []
        if not isinstance(data, list):
            raise CloposBadResponse(
                f"Clopos answered GET /products/stop-list without a list "
                f"(data was {type(data).__name__})",
                status=200,
            )
        return data


def _object(body: dict, where: str, what: str) -> dict:
    """``data`` of a write's answer, which must be an object."""
    data = body.get("data")
    if not isinstance(data, dict):
        raise CloposBadResponse(
            f"Clopos answered {where} without {what} (data was {type(data).__name__})",
            status=200,
        )
    return data


def list_query(
    number: int, with_: Sequence[str] = (), limit: int = MAX_LIMIT
) -> list[tuple[str, str]]:
    """A reference list's page query: page, limit, relations."""
    query = [("page", str(number)), ("limit", str(limit))]
    query += [(f"with[{n}]", relation) for n, relation in enumerate(with_)]
    return query
