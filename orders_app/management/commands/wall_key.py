"""Kiosk keys for wall screens.

    python manage.py wall_key create --name kitchen [--base-url https://pass.example.com] [--lang az]
        [--bump]
    python manage.py wall_key set kitchen --bump | --no-bump
    python manage.py wall_key list
    python manage.py wall_key revoke kitchen

``create`` prints the kiosk URL on its last line; the key is shown only this once. ``--bump``
lets the key's screens bump tickets when WALL_BUMP is on (default: read-only); ``set`` changes
that on an existing key without a new URL.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from orders_app.services.wall_keys import (
    DEFAULT_BASE_URL,
    WallKeyError,
    wall_key_create,
    wall_key_list,
    wall_key_revoke,
    wall_key_set_bump,
)

BUMP_HELP = "Let the key's screens bump tickets when WALL_BUMP=1 (default: read-only)"


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "never"


class Command(BaseCommand):
    help = (
        "Create, list and revoke kiosk keys that open the wall screen without a login, and say "
        "which may bump tickets."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, title="actions")
        create = sub.add_parser("create", help="Create a key and print its kiosk URL (once).")
        create.add_argument("--name", required=True, help="A name for the screen, e.g. kitchen")
        create.add_argument(
            "--base-url",
            default=DEFAULT_BASE_URL,
            help=f"How the screen reaches Pass (default {DEFAULT_BASE_URL})",
        )
        create.add_argument(
            "--lang",
            choices=[code for code, _name in settings.LANGUAGES],
            help="The screen's language, kept in its URL (default LANGUAGE_CODE)",
        )
        create.add_argument("--bump", action="store_true", help=BUMP_HELP)
        change = sub.add_parser("set", help="Allow or stop bumping on an existing key.")
        change.add_argument("name")
        choice = change.add_mutually_exclusive_group(required=True)
        choice.add_argument("--bump", dest="bump", action="store_true", help=BUMP_HELP)
        choice.add_argument(
            "--no-bump", dest="bump", action="store_false", help="Make the key's screens read-only"
        )
        sub.add_parser("list", help="List keys: name, state, bump, created, last used.")
        revoke = sub.add_parser("revoke", help="Revoke a key: its screens stop at once.")
        revoke.add_argument("name")

    def handle(self, *args, **options) -> None:
        action = options["action"]
        try:
            if action == "create":
                self._create(
                    options["name"], options["base_url"], options.get("lang"), options["bump"]
                )
            elif action == "set":
                self._set(options["name"], options["bump"])
            elif action == "list":
                self._list()
            else:
                self._revoke(options["name"])
        except WallKeyError as exc:
            raise CommandError(str(exc)) from None

    def _create(
        self, name: str, base_url: str, lang: str | None = None, bump: bool = False
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise CommandError(f"--base-url must start with http:// or https://; got {base_url!r}")
        created = wall_key_create(name=name, can_bump=bump)
        can = " Its screens may bump tickets (with WALL_BUMP=1)." if bump else ""
        self.stdout.write(
            f"Created kiosk key {created.wall_key.name!r}.{can} Open this URL on the screen; it is "
            "shown only now (Pass keeps a hash). Revoke with: "
            f"python manage.py wall_key revoke {created.wall_key.name}"
        )
        url = created.url(base_url)
        self.stdout.write(f"{url}&{urlencode({'lang': lang})}" if lang else url)

    def _list(self) -> None:
        keys = wall_key_list()
        if not keys:
            self.stdout.write("No kiosk keys yet. Create one with: wall_key create --name NAME")
            return
        width = max(len(k.name) for k in keys)
        self.stdout.write(f"{'NAME':<{width}}  STATE    BUMP  CREATED           LAST USED")
        for k in keys:
            state = "revoked" if k.revoked_at else "active"
            bump = "yes" if k.can_bump else "no"
            self.stdout.write(
                f"{k.name:<{width}}  {state:<7}  {bump:<4}  {_when(k.created_at):<16}  "
                f"{_when(k.last_used_at)}"
            )

    def _set(self, name: str, bump: bool) -> None:
        wall_key = wall_key_set_bump(name=name, can_bump=bump)
        if bump:
            self.stdout.write(
                f"Kiosk key {wall_key.name!r} may bump tickets from its next tap (with "
                "WALL_BUMP=1); its URL is unchanged."
            )
        else:
            self.stdout.write(
                f"Kiosk key {wall_key.name!r} is read-only from its next tap; its URL is unchanged."
            )

    def _revoke(self, name: str) -> None:
        wall_key = wall_key_revoke(name=name)
        self.stdout.write(
            f"Revoked kiosk key {wall_key.name!r} at {_when(wall_key.revoked_at)}; "
            "its screens show 'This screen's key was revoked' on their next poll."
        )
