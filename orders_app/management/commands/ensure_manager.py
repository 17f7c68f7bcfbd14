"""Make sure a manager login exists: from MANAGER_USERNAME/MANAGER_PASSWORD, else generated once."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from orders_app.services.accounts import ensure_manager


class Command(BaseCommand):
    help = "Create the manager login if it does not exist yet and print how to log in."

    def handle(self, *args, **options) -> None:
        result = ensure_manager()
        self.stdout.write(result.message)
