"""What a simulator is started with: its settings and the credentials it accepts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from orders_app.clopos.simulator.faults import FAULT_KINDS


def _demo_credentials() -> dict[str, str]:
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        return dict(settings.CLOPOS_DEMO_CREDENTIALS)
    except ImproperlyConfigured:  # Django not configured: the same defaults settings.py ships
        return {
            "client_id": "pass-demo",
            "client_secret": "pass-demo-secret",
            "brand": "pass-demo",
            "integrator_id": "pass-demo-integrator",
        }


@dataclass(frozen=True)
class SimClient:
    """One set of API credentials the simulator accepts."""

    client_id: str
    client_secret: str
    brand: str
    integrator_id: str
    integrator_is_test: bool = False
    brand_is_test: bool = False
    venue_id: int = 1  # the token's default venue (a claim, like the real JWT)

    @classmethod
    def demo(cls) -> SimClient:
        return cls(**_demo_credentials())


def _default_clients() -> tuple[SimClient, ...]:
    return (SimClient.demo(),)


@dataclass
class SimulatorConfig:
    seed: int = 1
    orders: int = 300  # seeded orders, spread over the last `days` days
    days: float = 7.0
    new_every: float = 0.0  # a new live order every S seconds of simulator time; 0 = off
    rate_limit: int = 300  # authenticated requests per minute per integrator:brand
    auth_rate_limit: int = 60  # POST /auth per minute per client address
    token_ttl: int = 3600
    faults: tuple[str, ...] = ()  # kinds drawn by fault_rate / fault_every
    fault_rate: float = 0.0  # probability per authenticated request
    fault_every: int = 0  # every Nth authenticated request; 0 = off
    slow_seconds: float = 12.0
    fault_429_reset: int = 2  # RateLimit-Reset sent with an injected 429
    now: datetime | None = None  # clock start; None = the real time
    frozen: bool = False  # True: the clock moves only through clock.advance()/set()
    clients: tuple[SimClient, ...] = field(default_factory=_default_clients)
    extra_clients: tuple[SimClient, ...] = ()
    hostile: bool = False  # seed one order whose text is hostile HTML/JS
    restrict_to_token_venue: bool = False  # no x-venue: only the token's venue (else all)
    date_timezone: str = "Asia/Baku"  # how date[0]/date[1] are read
    first_order_id: int = 10_001
    # Receipts and the kitchen (docs/clopos.md §5, §6; receipts.py)
    pos_writes_order_status: bool = True  # False: receipts stay NEW until they close [I]
    tables_per_hour: float = 1.0  # dine-in tables opened per venue-hour at a busy hour; 0 = off
    receipt_timezone: str = "Asia/Baku"  # the zone receipt times are printed in [I]
    first_table_receipt_id: int = 900_001
    auto_stop_list: bool = True  # products go on and off the stop list through the day
    request_log_size: int = 10_000
    jwt_secret: str = "pass-simulator-hs256-key"  # noqa: S105 (a fake API signs fake tokens)

    def __post_init__(self) -> None:
        unknown = [k for k in self.faults if k not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; known: {', '.join(FAULT_KINDS)}")
        if self.orders < 0 or self.days <= 0:
            raise ValueError("orders must be >= 0 and days > 0")
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError("fault_rate is a probability between 0 and 1")
        if self.new_every < 0 or self.fault_every < 0 or self.slow_seconds < 0:
            raise ValueError("new_every, fault_every and slow_seconds must be >= 0")
        if self.tables_per_hour < 0:
            raise ValueError("tables_per_hour must be >= 0")
        if self.rate_limit < 1 or self.auth_rate_limit < 1 or self.token_ttl < 1:
            raise ValueError("rate_limit, auth_rate_limit and token_ttl must be >= 1")
