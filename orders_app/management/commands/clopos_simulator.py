"""Run the bundled Clopos simulator (see orders_app/clopos/simulator/__init__.py)."""

from __future__ import annotations

import argparse
from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from orders_app.clopos.simulator import FAULT_KINDS, Simulator, SimulatorConfig, serve_forever


def _faults(value: str) -> tuple[str, ...]:
    kinds = tuple(k.strip() for k in value.split(",") if k.strip())
    unknown = [k for k in kinds if k not in FAULT_KINDS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown fault {unknown[0]!r}; known: {', '.join(FAULT_KINDS)}"
        )
    return kinds


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class Command(BaseCommand):
    help = "Serve a fake Clopos Open API v2 restaurant on loopback for demos and tests."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=settings.CLOPOS_SIMULATOR_PORT)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--orders", type=int, default=300, help="orders seeded at start")
        parser.add_argument("--days", type=float, default=7.0, help="spread over this many days")
        parser.add_argument(
            "--new-every", type=float, default=0.0, help="a new order every S seconds; 0 = off"
        )
        parser.add_argument("--rate-limit", type=int, default=300, help="requests per minute")
        parser.add_argument("--token-ttl", type=int, default=3600, help="token lifetime, seconds")
        parser.add_argument(
            "--faults", type=_faults, default=(), help=f"comma-separated: {','.join(FAULT_KINDS)}"
        )
        parser.add_argument("--fault-rate", type=float, default=0.0, help="probability per request")
        parser.add_argument("--fault-every", type=int, default=0, help="every Nth request")
        parser.add_argument("--slow-seconds", type=float, default=12.0)
        parser.add_argument("--now", type=_when, default=None, help="clock start (ISO 8601)")
        parser.add_argument(
            "--frozen", action="store_true", help="the clock moves only via POST /_sim/clock"
        )
        parser.add_argument("--hostile", action="store_true", help="include a hostile-text order")

    def handle(self, *args, **opts) -> None:
        if opts["faults"] and not (opts["fault_rate"] or opts["fault_every"]):
            raise CommandError("--faults needs --fault-rate and/or --fault-every to fire")
        try:
            config = SimulatorConfig(
                seed=opts["seed"],
                orders=opts["orders"],
                days=opts["days"],
                new_every=opts["new_every"],
                rate_limit=opts["rate_limit"],
                token_ttl=opts["token_ttl"],
                faults=opts["faults"],
                fault_rate=opts["fault_rate"],
                fault_every=opts["fault_every"],
                slow_seconds=opts["slow_seconds"],
                now=opts["now"],
                frozen=opts["frozen"],
                hostile=opts["hostile"],
            )
            simulator = Simulator(config)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc

        def ready(server) -> None:
            faults = (
                f"; faults {','.join(config.faults)} (rate {config.fault_rate}, every {config.fault_every})"
                if config.faults
                else ""
            )
            live = f", a new order every {config.new_every:g} s" if config.new_every else ""
            self.stdout.write(
                f"Clopos simulator at {server.base_url}: {config.orders} orders over "
                f"{config.days:g} days, seed {config.seed}{live}{faults}; credentials from "
                f"settings.CLOPOS_DEMO_CREDENTIALS (client_id={settings.CLOPOS_DEMO_CREDENTIALS['client_id']})"
            )
            self.stdout.flush()

        try:
            serve_forever(simulator, host=opts["host"], port=opts["port"], ready=ready)
        except OSError as exc:
            raise CommandError(f"cannot listen on {opts['host']}:{opts['port']}: {exc}") from exc
