"""What a sync pass did: per page (StoreResult), per pass (PassResult), while it runs
(Progress), and the one summary line per pass that people and log collectors read."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from orders_app.services.sync.plan import INCREMENTAL


@dataclass
class StoreResult:
    """What writing one batch of parsed orders did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    status_changes: int = 0
    changed: bool = False  # whether the data version moved

    def add(self, other: StoreResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.skipped += other.skipped
        self.status_changes += other.status_changes
        self.changed = self.changed or other.changed


@dataclass
class Progress:
    """Told to ``progress`` after each page."""

    mode: str
    pages: int
    orders: int
    total: int | None
    elapsed: float


@dataclass
class PassResult:
    ok: bool = True
    mode: str = INCREMENTAL
    reconciled: bool = False
    reference_refreshed: bool = False
    stopped: bool = False  # should_stop asked us to stop between pages
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    status_changes: int = 0
    pages: int = 0
    orders_read: int = 0
    requests: int = 0
    seconds: float = 0.0
    fetch_seconds: float = 0.0
    parse_seconds: float = 0.0
    write_seconds: float = 0.0
    # SyncState.data_version as this pass left it: read when the pass starts, then moved by
    # data_version_moved() each time the pass bumps the stored one (sync/version.py).
    data_version: int = 0
    watermark: datetime | None = None
    error: str = ""
    # What kind of failure (failures.py: failure_kind; the pages translate it), "" when ok.
    error_kind: str = ""
    # Receipts (receipts.py), when the pass walked them (``receipts``): read, created, updated,
    # unchanged, refused; orders linked to theirs (kitchen.py); products they named that
    # /products has not told Pass about yet (a reason to refresh the kitchen's reference data);
    # stop-list entries added, changed or removed.
    receipts: bool = False
    receipts_read: int = 0
    receipts_created: int = 0
    receipts_updated: int = 0
    receipts_unchanged: int = 0
    receipts_skipped: int = 0
    receipts_linked: int = 0
    unknown_products: list[int] = field(default_factory=list)
    stop_list_changes: int = 0
    # The outbox's writes to Clopos delivered at the pass's start (services/outbox), when on.
    outbox_delivered: int = 0
    outbox_superseded: int = 0
    outbox_failed: int = 0
    outbox_retrying: int = 0
    warnings: list[str] = field(default_factory=list)

    def count(self, stored: StoreResult) -> None:
        self.created += stored.created
        self.updated += stored.updated
        self.unchanged += stored.unchanged
        self.skipped += stored.skipped
        self.status_changes += stored.status_changes
        if stored.changed:
            self.data_version_moved()

    def data_version_moved(self) -> None:
        """The stored data version was bumped once (sync/version.py): keep our copy level with
        it, so the summary line says the version without reading it back."""
        self.data_version += 1

    def summary_line(self) -> str:
        """One logfmt-ish line per pass, for people and log collectors alike."""
        if not self.ok:
            return (
                f"sync failed mode={self.mode} requests={self.requests} "
                f"seconds={self.seconds:.2f} error={quote(self.error)}"
            )
        word = "stopped" if self.stopped else "ok"
        line = (
            f"sync {word} created={self.created} updated={self.updated} "
            f"unchanged={self.unchanged} skipped={self.skipped} requests={self.requests} "
            f"seconds={self.seconds:.2f} version={self.data_version} mode={self.mode}"
        )
        if self.receipts:
            # After the order counts, so a line's start reads as it always has.
            line += (
                f" receipts_created={self.receipts_created}"
                f" receipts_updated={self.receipts_updated}"
                f" receipts_unchanged={self.receipts_unchanged}"
                f" receipts_skipped={self.receipts_skipped}"
                f" receipts_linked={self.receipts_linked}"
                f" stop_list_changes={self.stop_list_changes}"
            )
        if self.outbox_delivered or self.outbox_superseded or self.outbox_failed:
            line += (
                f" outbox_delivered={self.outbox_delivered}"
                f" outbox_superseded={self.outbox_superseded}"
                f" outbox_failed={self.outbox_failed}"
            )
        if self.outbox_retrying:
            line += f" outbox_retrying={self.outbox_retrying}"
        if self.reconciled:
            line += " reconciled=1"
        return line

    def count_delivery(self, delivery: Any) -> None:
        """An outbox delivery's counts (services/outbox.DeliveryResult); each entry it ended
        moved the data version once."""
        self.outbox_delivered += delivery.delivered
        self.outbox_superseded += delivery.superseded
        self.outbox_failed += delivery.failed
        self.outbox_retrying += delivery.retrying
        for _ in range(delivery.delivered + delivery.superseded + delivery.failed):
            self.data_version_moved()

    def as_state(self) -> dict[str, Any]:
        """What goes into SyncState.last_pass (JSON)."""
        data = asdict(self)
        data["watermark"] = self.watermark.isoformat() if self.watermark else None
        for key in ("seconds", "fetch_seconds", "parse_seconds", "write_seconds"):
            data[key] = round(data[key], 3)
        data["warnings"] = self.warnings[:10]
        return data


def quote(text: str) -> str:
    """A logfmt value: one line, in double quotes, backslashes and quotes escaped."""
    return '"' + " ".join(str(text).split()).replace("\\", "\\\\").replace('"', '\\"') + '"'
