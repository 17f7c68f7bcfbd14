"""Multi-row INSERT and UPDATE of plain tuples for one model, for the page writes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.backends.base.operations import BaseDatabaseOperations

from orders_app.clopos.jsontext import EncodedJSON, compact_json


class BulkWriter:
    """Multi-row INSERT and UPDATE of plain tuples for one model, through Django's connection
    (so SQLite and PostgreSQL alike), without building a model instance per row.

    Values are adapted with the backend's own adapters (``adapt_datetimefield_value``,
    ``adapt_decimalfield_value``, ``adapt_json_value``), exactly as the ORM would; columns the
    caller does not give get the field's default. Skipping the model instances is what brings
    the write stage of a backfill close to a raw ``executemany`` (bench/bench_sync.py measures
    both).
    """

    def __init__(self, model: type, fields: Sequence[str]) -> None:
        self.model = model
        self.field_names = list(fields)

    def _fields(self) -> list[Any]:
        meta = self.model._meta
        return [meta.get_field(name) for name in self.field_names]

    def _adapters(self, fields: Sequence[Any]) -> list[tuple[int, Callable[[Any], Any]]]:
        """(column index, adapter) for the columns whose values need adapting."""
        ops = connection.ops
        sqlite = connection.vendor == "sqlite"
        decimal_is_identity = (
            type(ops).adapt_decimalfield_value is BaseDatabaseOperations.adapt_decimalfield_value
        )
        adapters: list[tuple[int, Callable[[Any], Any]]] = []
        for index, f in enumerate(fields):
            kind = f.get_internal_type()
            adapter: Callable[[Any], Any] | None = None
            if kind == "DateTimeField":
                adapter = (
                    _sqlite_datetime
                    if sqlite and settings.USE_TZ
                    else ops.adapt_datetimefield_value
                )
            elif kind == "DecimalField" and not decimal_is_identity:

                def adapter(v: Any, f: Any = f) -> Any:
                    return ops.adapt_decimalfield_value(v, f.max_digits, f.decimal_places)

            elif kind == "JSONField":

                def adapter(v: Any, encoder: Any = f.encoder) -> Any:
                    if isinstance(v, EncodedJSON):
                        if sqlite and encoder is None and v.text:
                            return v.text  # what adapt_json_value makes, without a second dump
                        v = v.value
                    if sqlite and encoder is None:
                        # SQLite stores the text as it is: orjson's text, far cheaper to make
                        # than json.dumps's, reads back as the same value.
                        return compact_json(v)
                    return ops.adapt_json_value(v, encoder)

            if adapter is not None:
                adapters.append((index, adapter))
        return adapters

    @staticmethod
    def _adapt(values: list[Any], adapters: list[tuple[int, Callable[[Any], Any]]]) -> list[Any]:
        for index, adapter in adapters:
            value = values[index]
            if value is not None:
                values[index] = adapter(value)
        return values

    def _missing(self) -> list[Any]:
        given = set(self.field_names)
        return [
            f
            for f in self.model._meta.concrete_fields
            if f.name not in given and f.attname not in given and not f.primary_key
        ]

    def insert(self, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        fields = self._fields()
        missing = self._missing()
        fields_all = [*fields, *missing]
        defaults = [f.get_default() for f in missing]
        adapters = self._adapters(fields_all)
        quote = connection.ops.quote_name
        # Identifiers come from model metadata, quoted by the backend; values are parameters.
        sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
            quote(self.model._meta.db_table),
            ", ".join(quote(f.column) for f in fields_all),
            ", ".join(["%s"] * len(fields_all)),
        )
        width = len(fields)
        params = []
        for row in rows:
            if len(row) != width:
                raise ValueError(f"{self.model.__name__} row has {len(row)} values, not {width}")
            params.append(self._adapt([*row, *defaults], adapters))
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)

    def update(self, rows: Sequence[Sequence[Any]]) -> None:
        """UPDATE by the first field (the key: the first value of each row)."""
        if not rows:
            return
        fields = self._fields()
        adapters = self._adapters(fields)
        quote = connection.ops.quote_name
        sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
            quote(self.model._meta.db_table),
            ", ".join(f"{quote(f.column)} = %s" for f in fields[1:]),
            quote(fields[0].column),
        )
        params = []
        for row in rows:
            values = self._adapt(list(row), adapters)
            params.append([*values[1:], values[0]])
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)


def _sqlite_datetime(value: datetime) -> str:
    """What Django's SQLite adapter stores with USE_TZ: naive UTC as text."""
    if value.tzinfo is UTC:
        return value.isoformat(" ")[:-6]  # drop "+00:00"
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return str(value)
