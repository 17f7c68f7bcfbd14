"""An index for the board's free-text search (``q``), which matches anywhere in
``Order.search_text``: a plain B-tree cannot serve ``LIKE '%…%'``.

- SQLite: an FTS5 table with the trigram tokenizer over ``search_text`` (external content:
  the text lives only in ``orders_app_order``), kept current by triggers on insert, update of
  search_text, and delete. Substring queries of three or more characters are answered from it.
  NOTE for future migrations: Django rebuilds a SQLite table to alter some columns, and that
  drops these triggers. tests/test_search_index.py fails if they are gone: recreate them
  (``create_sqlite`` below) in the migration that rebuilt the table.
- PostgreSQL: a GIN trigram index (pg_trgm, a trusted extension since PostgreSQL 13), which
  the planner uses for ``LIKE '%…%'`` by itself. Where the extension cannot be created the
  migration says so and goes on: search still works, by a scan.
"""

from django.db import DatabaseError, migrations, transaction

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE orders_app_order_fts USING fts5("
    "search_text, content='orders_app_order', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER orders_app_order_fts_ai AFTER INSERT ON orders_app_order BEGIN "
    "INSERT INTO orders_app_order_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER orders_app_order_fts_ad AFTER DELETE ON orders_app_order BEGIN "
    "INSERT INTO orders_app_order_fts(orders_app_order_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER orders_app_order_fts_au AFTER UPDATE OF search_text ON orders_app_order BEGIN "
    "INSERT INTO orders_app_order_fts(orders_app_order_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO orders_app_order_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO orders_app_order_fts(orders_app_order_fts) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS orders_app_order_fts_ai",
    "DROP TRIGGER IF EXISTS orders_app_order_fts_ad",
    "DROP TRIGGER IF EXISTS orders_app_order_fts_au",
    "DROP TABLE IF EXISTS orders_app_order_fts",
]
PG_INDEX = (
    "CREATE INDEX IF NOT EXISTS orders_app_order_search_trgm "
    "ON orders_app_order USING gin (search_text gin_trgm_ops)"
)


def create_sqlite(schema_editor) -> None:
    for statement in SQLITE_CREATE:
        schema_editor.execute(statement)


def forwards(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        create_sqlite(schema_editor)
    elif vendor == "postgresql":
        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                schema_editor.execute(PG_INDEX)
        except DatabaseError as exc:
            print(
                f"\n  Pass: no trigram index for order search ({exc}).\n"
                "  Search works without it, by a scan. To add it, as a superuser: "
                "CREATE EXTENSION pg_trgm; then run migrate again after migrating back to 0002."
            )


def backwards(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS orders_app_order_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("orders_app", "0002_board_filter_indexes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
