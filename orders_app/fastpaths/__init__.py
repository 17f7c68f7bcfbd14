"""Fast paths: second implementations of reads and renders on the busiest requests, together.

Each one does what a plain ORM query or template does, faster; its plain twin sits beside it,
and tests/test_fastpaths.py pins the two to the same answer on the same data, so a change to
one cannot silently skip the other. What each saves is measured in bench/RESULTS.md.

- ``sync_state_poll_row`` (sql.py): every poll of every wall screen reads the sync state row;
  building the query through the ORM costs many times the query itself.
- ``wall_key_grant_row`` (sql.py): every request of every kiosk screen re-checks its key, for
  the same reason.
- ``kiosk_poll_row`` (sql.py): a polling kiosk's two reads (its grant, the sync state) in one
  query: on PostgreSQL each round trip is most of an unchanged poll's cost.
- ``order_search_hits`` (sql.py): a board search can match thousands of orders; each is read
  as a bare tuple (on SQLite its sort key as the stored text) instead of through Django's row
  and datetime conversion, which is most of the search's cost.
- ``order_search_rows_page`` (sql.py): a search alone on PostgreSQL, counted and cut to its page
  by the database from the narrow search rows; its twin is ``order_search_rows_hits`` (every
  match, counted and cut in Python), pinned by tests/test_search_postgres.py.
- ``order_rows_html`` (board_rows.py): the board's fifty rows built in Python instead of by the
  template partial board.html#order-rows (see there why).
"""

from orders_app.fastpaths.board_rows import order_rows_html
from orders_app.fastpaths.sql import (
    kiosk_poll_row,
    kiosk_poll_row_plain,
    order_search_hits,
    order_search_hits_plain,
    sync_state_poll_row,
    sync_state_poll_row_plain,
    wall_key_grant_row,
    wall_key_grant_row_plain,
)

__all__ = [
    "kiosk_poll_row",
    "kiosk_poll_row_plain",
    "order_rows_html",
    "order_search_hits",
    "order_search_hits_plain",
    "sync_state_poll_row",
    "sync_state_poll_row_plain",
    "wall_key_grant_row",
    "wall_key_grant_row_plain",
]
