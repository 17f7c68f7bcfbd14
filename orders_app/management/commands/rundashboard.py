"""Start the whole dashboard: simulator (demo), sync loop and web server. Used by `make run`."""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from orders_app.devstack import Stack, make_private, reset_demo_cache, sqlite_database
from orders_app.services.accounts import ensure_manager


class Command(BaseCommand):
    help = "Run Pass: web server, sync loop and (with no Clopos credentials) the demo simulator."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--bind", default=os.environ.get("PASS_BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--keep-demo-cache",
            action="store_true",
            help="Demo mode: keep the cached demo orders from the last run.",
        )

    def handle(self, *args, bind: str, keep_demo_cache: bool, **options) -> None:
        make_private(settings.VAR_DIR, sqlite_database())
        manager = ensure_manager()
        demo = settings.CLOPOS_DEMO
        if demo and not keep_demo_cache:
            removed = reset_demo_cache()
            if removed:
                self.stdout.write(f"pass: cleared {removed} demo orders from the last run")
        stack = Stack(base_dir=settings.BASE_DIR, out=self.stdout._out)
        code = stack.run(bind=bind, demo=demo, login_line=manager.message)
        sys.exit(code)
