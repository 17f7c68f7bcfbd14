"""Venues and sale types: the reference data the board's filters and labels read."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from orders_app.clopos.errors import CloposError
from orders_app.clopos.payloads import PayloadError, parse_sale_type, parse_venue
from orders_app.models import SaleType, Venue
from orders_app.services.sync.results import PassResult, quote
from orders_app.services.sync.version import data_version_bump

logger = logging.getLogger("orders_app.sync")

T = TypeVar("T")


def parse_each(raws: Iterable[Any], parse: Callable[[Any], T], *, kind: str) -> list[T]:
    """Every row that parses; one that does not is logged (``sync_skipped_<kind>``) and left
    out, so one bad venue cannot keep the others from refreshing."""
    parsed = []
    for raw in raws:
        try:
            parsed.append(parse(raw))
        except PayloadError as exc:
            logger.warning("sync_skipped_%s reason=%s", kind, quote(exc.reason))
    return parsed


def sync_reference_data(*, client: Any, now: datetime | None = None) -> bool:
    """Refresh venues and sale types; True when anything changed."""
    now = now or timezone.now()
    changed = False
    venues = parse_each(client.venues(), parse_venue, kind="venue")
    sale_types = parse_each(client.sale_types(), parse_sale_type, kind="sale_type")
    with transaction.atomic():
        current_venues = {v.id: v for v in Venue.objects.filter(id__in=[v.id for v in venues])}
        for venue in venues:
            row = current_venues.get(venue.id)
            if row is None:
                Venue.objects.create(id=venue.id, name=venue.name, raw=venue.raw, synced_at=now)
                changed = True
            elif row.name != venue.name or row.raw != venue.raw:
                Venue.objects.filter(id=venue.id).update(
                    name=venue.name, raw=venue.raw, synced_at=now
                )
                changed = True
        current_types = {
            s.id: s for s in SaleType.objects.filter(id__in=[s.id for s in sale_types])
        }
        for sale_type in sale_types:
            row = current_types.get(sale_type.id)
            values = {
                "name": sale_type.name,
                "system_type": sale_type.system_type,
                "channel": sale_type.channel,
                "raw": sale_type.raw,
            }
            if row is None:
                SaleType.objects.create(id=sale_type.id, synced_at=now, **values)
                changed = True
            elif any(getattr(row, k) != v for k, v in values.items()):
                SaleType.objects.filter(id=sale_type.id).update(synced_at=now, **values)
                changed = True
        if changed:
            data_version_bump()
    return changed


def reference_refresh(client: Any, *, now: datetime, result: PassResult) -> bool:
    """Venues and sale types within a pass; a failure here is a warning, never a failed pass
    (the orders are what the pages are for; the labels can wait for the next reconcile)."""
    try:
        changed = sync_reference_data(client=client, now=now)
    except CloposError as exc:
        result.warnings.append(f"venues and sale types not refreshed: {exc}")
        logger.warning("sync_reference_failed error=%s", quote(str(exc)))
        return False
    if changed:
        result.data_version_moved()
    return True
