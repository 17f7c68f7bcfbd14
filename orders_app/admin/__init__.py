"""The admin: the cached Clopos data read-only (``cache``), the wall's kiosk keys
(``wall_keys``) and the outbox of writes to Clopos, read-only (``outbox``). Importing the
modules registers their ModelAdmins."""

from orders_app.admin import cache, outbox, wall_keys  # noqa: F401
