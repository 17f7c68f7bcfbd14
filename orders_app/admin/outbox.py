"""Admin for the outbox: every write Pass asked of Clopos, read-only. Where a failed or
superseded entry's reason is read (issue: "a 4xx ... shown in the admin"); entries are made by
taps and ended by delivery (services/outbox.py), never edited by hand."""

from __future__ import annotations

from django.contrib import admin

from orders_app.admin.cache import ReadOnlyAdmin
from orders_app.models import OutboxEntry


@admin.register(OutboxEntry)
class OutboxEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "kind",
        "receipt_id",
        "order_remote_id",
        "from_status",
        "to_status",
        "state",
        "actor",
        "actor_kind",
        "tapped_at",
        "attempts",
        "ended_at",
        "clopos_status",
    ]
    list_filter = ["state", "kind", "actor_kind", "tapped_at"]
    search_fields = ["=receipt_id", "=order_remote_id", "actor", "=key", "reason"]
    date_hierarchy = "tapped_at"
    fields = [
        "kind",
        "receipt_id",
        "order",
        "order_remote_id",
        "from_status",
        "to_status",
        "actor",
        "actor_kind",
        "key",
        "tapped_at",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "reason",
        "clopos_status",
        "confirmed_at",
        "ended_at",
    ]
    readonly_fields = fields
