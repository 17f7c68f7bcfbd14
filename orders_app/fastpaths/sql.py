"""The raw SQL fast paths, each with its ORM twin below it (see orders_app/fastpaths).

Identifiers come from model metadata and are quoted; values are always parameters.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import BigIntegerField, CharField, F, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat

from orders_app.models import Order, SyncState, WallKey
from orders_app.timestamps import aware

# --- The sync state row, for poll tokens -------------------------------------------------------


@cache
def _sync_state_sql(vendor: str) -> str:
    meta = SyncState._meta
    version, success, failures, pk = (
        meta.get_field(f).column
        for f in ("data_version", "last_success_at", "consecutive_failures", "id")
    )
    q = connection.ops.quote_name
    return (
        f"SELECT {q(version)}, {q(success)}, {q(failures)} FROM {q(meta.db_table)} "  # noqa: S608
        f"WHERE {q(pk)} = %s"
    )


def sync_state_poll_row() -> tuple[int, datetime | None, int]:
    """(data_version, last_success_at, consecutive_failures) of the sync state, one indexed
    query; (0, None, 0) before the first pass."""
    with connection.cursor() as cursor:
        cursor.execute(_sync_state_sql(connection.vendor), [SyncState.SINGLETON_ID])
        row = cursor.fetchone()
    if row is None:
        return 0, None, 0
    version, last_success, failures = row
    return version, aware(last_success), failures


def sync_state_poll_row_plain() -> tuple[int, datetime | None, int]:
    """The ORM twin of ``sync_state_poll_row``."""
    row = (
        SyncState.objects.filter(id=SyncState.SINGLETON_ID)
        .values_list("data_version", "last_success_at", "consecutive_failures")
        .first()
    )
    return row if row is not None else (0, None, 0)


# --- A kiosk's key, re-checked on every wall request -------------------------------------------


@cache
def _wall_key_sql(vendor: str) -> str:
    meta = WallKey._meta
    revoked, used, pk = (meta.get_field(f).column for f in ("revoked_at", "last_used_at", "id"))
    q = connection.ops.quote_name
    # Revocation as 0/1 and last_used_at compared by the caller in Python: no datetime
    # parameter crosses the SQL boundary.
    return (
        f"SELECT CASE WHEN {q(revoked)} IS NULL THEN 0 ELSE 1 END, {q(used)} "  # noqa: S608
        f"FROM {q(meta.db_table)} WHERE {q(pk)} = %s"
    )


def wall_key_grant_row(key_id: int) -> tuple[bool, datetime | None] | None:
    """(revoked, last_used_at) of a kiosk key by id, or None if there is no such key."""
    with connection.cursor() as cursor:
        cursor.execute(_wall_key_sql(connection.vendor), [key_id])
        row = cursor.fetchone()
    if row is None:
        return None
    revoked, last_used_at = row
    return bool(revoked), aware(last_used_at)


def wall_key_grant_row_plain(key_id: int) -> tuple[bool, datetime | None] | None:
    """The ORM twin of ``wall_key_grant_row``."""
    row = WallKey.objects.filter(id=key_id).values_list("revoked_at", "last_used_at").first()
    if row is None:
        return None
    revoked_at, last_used_at = row
    return revoked_at is not None, last_used_at


# --- A kiosk's poll: its grant and the sync state in one round trip ---------------------------


@cache
def _kiosk_poll_sql(vendor: str) -> str:
    state, key = SyncState._meta, WallKey._meta
    version, success, failures, state_pk = (
        state.get_field(f).column
        for f in ("data_version", "last_success_at", "consecutive_failures", "id")
    )
    revoked, used, key_pk = (key.get_field(f).column for f in ("revoked_at", "last_used_at", "id"))
    q = connection.ops.quote_name
    # LEFT JOINs from one constant row: an answer even before the first sync or for a key that
    # is gone (then the key's columns are NULL).
    return (
        f"SELECT s.{q(version)}, s.{q(success)}, s.{q(failures)}, "  # noqa: S608
        f"CASE WHEN k.{q(key_pk)} IS NULL THEN NULL WHEN k.{q(revoked)} IS NULL THEN 0 ELSE 1 END, "
        f"k.{q(used)} "
        f"FROM (SELECT 1 AS one) base "
        f"LEFT JOIN {q(state.db_table)} s ON s.{q(state_pk)} = %s "
        f"LEFT JOIN {q(key.db_table)} k ON k.{q(key_pk)} = %s"
    )


KioskPollRow = tuple[tuple[int, datetime | None, int], tuple[bool, datetime | None] | None]


def kiosk_poll_row(key_id: int) -> KioskPollRow:
    """A polling kiosk's two reads in one query: ``sync_state_poll_row()`` and
    ``wall_key_grant_row(key_id)`` (PostgreSQL's round trip is the poll's main cost)."""
    with connection.cursor() as cursor:
        cursor.execute(_kiosk_poll_sql(connection.vendor), [SyncState.SINGLETON_ID, key_id])
        version, success, failures, revoked, used = cursor.fetchone()
    state = (0, None, 0) if version is None else (version, aware(success), failures)
    grant = None if revoked is None else (bool(revoked), aware(used))
    return state, grant


def kiosk_poll_row_plain(key_id: int) -> KioskPollRow:
    """The ORM twin of ``kiosk_poll_row``: its two reads, one after the other."""
    return sync_state_poll_row_plain(), wall_key_grant_row_plain(key_id)


# --- A board search's matches ------------------------------------------------------------------


def order_search_hits(orders: QuerySet[Order], sort_field: str) -> list[tuple[int, str, Any]]:
    """(id, status, sort key) of every order in ``orders``, through the bare cursor.

    The key is never a datetime: building thousands of them is most of a common search's cost
    (a surname matching 6,000 of 100,000 orders: 49 ms of 58 on PostgreSQL, its driver parsing
    each timestamp in Python). On SQLite it is the stored text (ISO in UTC, "2026-10-10
    02:40:40.969805"), which sorts as the times do; on PostgreSQL the microseconds since the
    epoch, an integer. Compare keys only with each other: their type depends on the database.
    Newest first (key, then id, descending), sorted by the database."""
    key: Any = F(sort_field)
    if connection.vendor == "sqlite":
        # As text ("created_at || ''"): the expression has no declared type, so sqlite3 hands
        # back the stored string instead of converting it.
        key = Concat(key, Value(""), output_field=CharField())
    elif connection.vendor == "postgresql":
        column = Order._meta.get_field(sort_field).column
        quoted = f"{connection.ops.quote_name(Order._meta.db_table)}."
        quoted += connection.ops.quote_name(column)
        # Identifiers from model metadata, quoted; no value is interpolated.
        key = RawSQL(  # noqa: S611
            f"(EXTRACT(EPOCH FROM {quoted}) * 1000000)::bigint", [], output_field=BigIntegerField()
        )
    sql, params = (
        orders.annotate(sort_key=key)
        .order_by("-sort_key", "-id")
        .values_list("id", "status", "sort_key")
        .query
    ).sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def order_search_hits_plain(
    orders: QuerySet[Order], sort_field: str
) -> list[tuple[int, str, datetime]]:
    """The ORM twin of ``order_search_hits`` (keys always datetimes)."""
    return list(orders.order_by(f"-{sort_field}", "-id").values_list("id", "status", sort_field))


# --- A text search's matches on PostgreSQL, from the narrow search rows -------------------------

# Migration 0010: id, status, both sort keys in microseconds and the folded text, kept by
# triggers. Not a model: only this read uses it.
SEARCH_ROWS_TABLE = "orders_app_order_search"
SEARCH_ROWS_KEYS = {"created_at": "created_us", "updated_at": "updated_us"}


def _search_rows_match(terms: list[str]) -> tuple[str, list[Any]]:
    """The search rows' WHERE for ``terms`` (any of them; every row for none) and its
    parameters: the same match as the ORM's ``search_text__contains`` (its escaping of %, _
    and \\)."""
    where = " OR ".join("search_text LIKE %s" for _ in terms) or "TRUE"
    return where, [f"%{connection.ops.prep_for_like_query(term)}%" for term in terms]


def order_search_rows_hits(terms: list[str], sort_field: str) -> list[tuple[int, str, int]]:
    """``order_search_hits`` of a search alone (no other filter), PostgreSQL only: the orders
    whose search_text contains any of ``terms`` (all orders when there are none), read from the
    narrow search rows instead of the wide order rows. A common surname matches thousands of
    orders spread over most of the order table's pages; the narrow table holds them in a
    fraction of the pages (migration 0010 says how many). Same keys (microseconds since the
    epoch) and order (key, then id, descending) as ``order_search_hits`` on PostgreSQL."""
    if connection.vendor != "postgresql":
        raise RuntimeError("the search rows exist on PostgreSQL only (migration 0010)")
    key = SEARCH_ROWS_KEYS[sort_field]
    where, params = _search_rows_match(terms)
    # Table and column names are constants; the terms are parameters.
    sql = f"SELECT id, status, {key} FROM {SEARCH_ROWS_TABLE} WHERE {where}"  # noqa: S608
    sql += f" ORDER BY {key} DESC, id DESC"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def order_search_rows_page(
    terms: list[str], sort_field: str, *, statuses: tuple[str, ...], start: int, limit: int
) -> tuple[dict[str, int], list[int]]:
    """One page of a search alone, PostgreSQL only: (matches per status, the ids of the page).

    The same matches and order as ``order_search_rows_hits``, but the database counts them and
    picks the page (a top-N sort), so a common surname's thousands of matches never travel to
    Python: one query (the board's surname search 30.9 -> 26.6 ms p50, hand-run). The
    page holds the matches of ``statuses`` (all when empty) from ``start``; the counts are of
    every status, as the board's chips show them."""
    if connection.vendor != "postgresql":
        raise RuntimeError("the search rows exist on PostgreSQL only (migration 0010)")
    key = SEARCH_ROWS_KEYS[sort_field]
    where, params = _search_rows_match(terms)
    wanted = "WHERE status = ANY(%s)" if statuses else ""
    if statuses:
        params.append(list(statuses))
    params += [limit, start]
    # Table and column names are constants; the terms, statuses and bounds are parameters.
    # A status row: (status, count); a page row: (NULL, id), in page order after the counts.
    sql = (
        f"WITH hits AS MATERIALIZED (SELECT id, status, {key} AS k FROM {SEARCH_ROWS_TABLE} "  # noqa: S608
        f"WHERE {where}) "
        "SELECT status, count(*) FROM hits GROUP BY status "
        f"UNION ALL (SELECT NULL, id FROM hits {wanted} ORDER BY k DESC, id DESC "
        "LIMIT %s OFFSET %s)"
    )
    counts: dict[str, int] = {}
    ids: list[int] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for status, value in cursor.fetchall():
            if status is None:
                ids.append(value)
            else:
                counts[status] = value
    return counts, ids
