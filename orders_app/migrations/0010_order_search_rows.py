"""PostgreSQL: a narrow copy of what the board's search reads, kept by triggers (issue 13).

A common surname matches some 6,600 of 100,000 orders. Its matches were read from
``orders_app_order`` itself, a wide row (the raw payload inline): the trigram index names the
candidates, and then about 5,900 heap pages are visited to recheck the LIKE and read the
status and sort key. ``orders_app_order_search`` holds only the id, status, both sort keys
(microseconds since the epoch, what ``fastpaths.order_search_hits`` sorts on) and the folded
text, with its own trigram index: the same matches from about 2,500 pages of a 21 MB table.
Timings in bench/RESULTS.md.

Kept by statement-level triggers with transition tables, so a bulk write of a page of orders
costs one extra statement, not one per row. The table is no model: Django never writes it.
A TRUNCATE of the orders (a test database flush) empties it too. SQLite has its own index
(FTS5, migration 0003): nothing changes there.
"""

from django.db import migrations

KEYS = (
    "(EXTRACT(EPOCH FROM {t}.created_at) * 1000000)::bigint, "
    "(EXTRACT(EPOCH FROM {t}.updated_at) * 1000000)::bigint"
)
UPSERT = (
    "INSERT INTO orders_app_order_search (id, status, created_us, updated_us, search_text) "
    f"SELECT n.id, n.status, {KEYS.format(t='n')}, n.search_text FROM new_rows n "
    "ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, "
    "created_us = EXCLUDED.created_us, updated_us = EXCLUDED.updated_us, "
    "search_text = EXCLUDED.search_text "
    "WHERE (orders_app_order_search.status, orders_app_order_search.created_us, "
    "orders_app_order_search.updated_us, orders_app_order_search.search_text) "
    "IS DISTINCT FROM (EXCLUDED.status, EXCLUDED.created_us, EXCLUDED.updated_us, "
    "EXCLUDED.search_text)"
)

FORWARDS = [
    "CREATE TABLE orders_app_order_search ("
    "id bigint PRIMARY KEY, status varchar(32) NOT NULL, created_us bigint NOT NULL, "
    "updated_us bigint NOT NULL, search_text text NOT NULL)",
    "INSERT INTO orders_app_order_search (id, status, created_us, updated_us, search_text) "
    f"SELECT o.id, o.status, {KEYS.format(t='o')}, o.search_text FROM orders_app_order o",
    # Inserts (an ON CONFLICT DO UPDATE fires both: its new rows here, its updated rows below).
    "CREATE FUNCTION orders_app_order_search_ins() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN {UPSERT}; RETURN NULL; END $$",
    "CREATE TRIGGER orders_app_order_search_ai AFTER INSERT ON orders_app_order "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION orders_app_order_search_ins()",
    # Updates: the rows whose searched columns changed are written, the others left alone.
    "CREATE FUNCTION orders_app_order_search_upd() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN DELETE FROM orders_app_order_search WHERE id IN "
    "(SELECT id FROM old_rows EXCEPT SELECT id FROM new_rows); "
    f"{UPSERT}; RETURN NULL; END $$",
    "CREATE TRIGGER orders_app_order_search_au AFTER UPDATE ON orders_app_order "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION orders_app_order_search_upd()",
    "CREATE FUNCTION orders_app_order_search_del() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN DELETE FROM orders_app_order_search WHERE id IN (SELECT id FROM old_rows); "
    "RETURN NULL; END $$",
    "CREATE TRIGGER orders_app_order_search_ad AFTER DELETE ON orders_app_order "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION orders_app_order_search_del()",
    "CREATE FUNCTION orders_app_order_search_trunc() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN TRUNCATE orders_app_order_search; RETURN NULL; END $$",
    "CREATE TRIGGER orders_app_order_search_at AFTER TRUNCATE ON orders_app_order "
    "FOR EACH STATEMENT EXECUTE FUNCTION orders_app_order_search_trunc()",
]
# Only where pg_trgm is installed (migration 0003 says so when it is not): without it the
# narrow table is still scanned instead of the wide one.
TRIGRAM_INDEX = (
    "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN "
    "CREATE INDEX orders_app_order_search_text_trgm ON orders_app_order_search "
    "USING gin (search_text gin_trgm_ops); END IF; END $$"
)
BACKWARDS = [
    "DROP TRIGGER IF EXISTS orders_app_order_search_ai ON orders_app_order",
    "DROP TRIGGER IF EXISTS orders_app_order_search_au ON orders_app_order",
    "DROP TRIGGER IF EXISTS orders_app_order_search_ad ON orders_app_order",
    "DROP TRIGGER IF EXISTS orders_app_order_search_at ON orders_app_order",
    "DROP FUNCTION IF EXISTS orders_app_order_search_ins()",
    "DROP FUNCTION IF EXISTS orders_app_order_search_upd()",
    "DROP FUNCTION IF EXISTS orders_app_order_search_del()",
    "DROP FUNCTION IF EXISTS orders_app_order_search_trunc()",
    "DROP TABLE IF EXISTS orders_app_order_search",
]


def forwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in [*FORWARDS, TRIGRAM_INDEX, "ANALYZE orders_app_order_search"]:
        schema_editor.execute(statement)


def backwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BACKWARDS:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("orders_app", "0009_outbox")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
