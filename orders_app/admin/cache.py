"""Admin: cached Clopos data is read-only here; Clopos is the source of truth."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from orders_app.models import (
    Order,
    OrderEvent,
    OrderItem,
    OrderItemModifier,
    SaleType,
    SkippedOrder,
    SyncLease,
    SyncState,
    Venue,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class OrderItemInline(ReadOnlyInline):
    model = OrderItem
    fields = ["position", "name", "count", "portion_size", "price", "line_total", "status", "note"]


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["kind", "from_status", "to_status", "observed_at", "remote_updated_at"]


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "status",
        "created_at",
        "updated_at",
        "type",
        "integration",
        "venue_id",
        "customer_name",
        "customer_phone",
        "item_count",
    ]
    list_filter = ["status", "type", "integration", "venue_id", "created_at"]
    search_fields = ["=id", "customer_name", "customer_phone", "search_text"]
    date_hierarchy = "created_at"
    list_per_page = 50
    show_full_result_count = False
    inlines = [OrderItemInline, OrderEventInline]


@admin.register(OrderItemModifier)
class OrderItemModifierAdmin(ReadOnlyAdmin):
    list_display = ["id", "item", "name", "count", "price", "shape"]
    list_filter = ["shape"]
    list_select_related = ["item"]


@admin.register(SkippedOrder)
class SkippedOrderAdmin(ReadOnlyAdmin):
    list_display = ["remote_id", "reason", "times_seen", "first_seen_at", "last_seen_at"]
    search_fields = ["remote_id", "reason"]


@admin.register(SyncState)
class SyncStateAdmin(ReadOnlyAdmin):
    list_display = [
        "source",
        "last_success_at",
        "consecutive_failures",
        "last_error_at",
        "data_version",
        "watermark",
    ]


@admin.register(SyncLease)
class SyncLeaseAdmin(ReadOnlyAdmin):
    list_display = ["name", "holder", "acquired_at", "expires_at"]


@admin.register(Venue)
class VenueAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "synced_at"]


@admin.register(SaleType)
class SaleTypeAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "system_type", "channel", "synced_at"]
