"""The admin: the cached Clopos data read-only (``cache``), and the wall's kiosk keys
(``wall_keys``). Importing the modules registers their ModelAdmins."""

from orders_app.admin import cache, wall_keys  # noqa: F401
