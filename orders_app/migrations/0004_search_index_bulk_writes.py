"""SQLite: the sync indexes each page's new orders in one statement, not row by row.

Migration 0003's per-row trigger cost ~150 µs an order during a backfill (a trigger program and
an FTS5 write for each row), against ~40 µs for one ``INSERT INTO orders_app_order_fts ...
SELECT`` per page: most of the write stage. The triggers now stand aside while a row sits in
``orders_app_order_fts_batch``, which the sync writes and deletes again inside the page's own
transaction (so no other connection ever sees it, and a rollback removes it); every other write
(the admin, a shell, a future code path) is still indexed by the triggers. The update trigger
also skips updates that leave ``search_text`` as it was (most are status changes).

Same NOTE as 0003: a migration that rebuilds orders_app_order on SQLite drops these triggers and
must recreate them; tests/test_search_index.py fails until it does.
"""

from django.db import migrations

# The same names as orders_app/services/search_index.py (a migration keeps its own copy).
FTS_TABLE = "orders_app_order_fts"
BATCH_TABLE = "orders_app_order_fts_batch"
ORDER = "orders_app_order"
NOT_BATCHED = f"NOT EXISTS (SELECT 1 FROM {BATCH_TABLE})"
INSERT_TRIGGER = (
    f"CREATE TRIGGER {FTS_TABLE}_ai AFTER INSERT ON {ORDER} WHEN {NOT_BATCHED} BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END"
)
UPDATE_TRIGGER = (
    f"CREATE TRIGGER {FTS_TABLE}_au AFTER UPDATE OF search_text ON {ORDER} "
    f"WHEN old.search_text IS NOT new.search_text AND {NOT_BATCHED} BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END"
)
# 0003's, for migrating back.
OLD_INSERT_TRIGGER = (
    f"CREATE TRIGGER {FTS_TABLE}_ai AFTER INSERT ON {ORDER} BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END"
)
OLD_UPDATE_TRIGGER = (
    f"CREATE TRIGGER {FTS_TABLE}_au AFTER UPDATE OF search_text ON {ORDER} BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END"
)


def forwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(f"CREATE TABLE {BATCH_TABLE} (id integer NOT NULL PRIMARY KEY)")
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_ai")
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_au")
    schema_editor.execute(INSERT_TRIGGER)
    schema_editor.execute(UPDATE_TRIGGER)


def backwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_ai")
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_au")
    schema_editor.execute(OLD_INSERT_TRIGGER)
    schema_editor.execute(OLD_UPDATE_TRIGGER)
    schema_editor.execute(f"DROP TABLE IF EXISTS {BATCH_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("orders_app", "0003_order_search_index")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
