"""/healthz: how fresh the cache is, for monitors. No login, no secrets."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from orders_app.selectors.sync import cached_order_count, skipped_order_count, sync_health
from orders_app.services.outbox import outbox_health
from orders_app.views.http import no_store_view


@no_store_view
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    health = sync_health()
    outbox = outbox_health()
    status = health.status
    # A tap that has waited past SYNC_STALE_AFTER to reach Clopos: the kitchen's changes are
    # not getting through, whatever the reads say.
    stuck = (outbox["oldest_age_seconds"] or 0) > settings.SYNC_STALE_AFTER
    if stuck:
        status = "failing"
    body = {
        "status": status,
        "last_success_at": health.last_success_at.isoformat() if health.last_success_at else None,
        "age_seconds": None if health.age_seconds is None else round(health.age_seconds, 1),
        "consecutive_failures": health.consecutive_failures,
        "last_error": health.last_error or None,
        "orders": cached_order_count(),
        # Orders Clopos sent that Pass could not use (kept with their reason, see the admin).
        "skipped": skipped_order_count(),
        # Writes to Clopos (bumps, ignores) not yet delivered: how many, and the oldest's wait.
        "outbox": outbox,
    }
    return JsonResponse(body, status=503 if health.is_stale or stuck else 200)
