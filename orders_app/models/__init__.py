"""The local cache of Clopos orders, and the state of the sync that fills it.

Orders are keyed on the Clopos id. The raw payload is kept whole in ``Order.raw``; the columns
beside it are what the board and the wall filter, sort and show, parsed once at sync time.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Venue(models.Model):
    id = models.BigIntegerField(primary_key=True)
    name = models.CharField(max_length=255, blank=True)
    raw = models.JSONField(default=dict)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name or gettext("Venue %(id)s") % {"id": self.id}


class SaleType(models.Model):
    id = models.BigIntegerField(primary_key=True)
    name = models.CharField(max_length=255, blank=True)
    # IN, DELIVERY or TAKEAWAY as Clopos gives it; kept as text for unknown values.
    system_type = models.CharField(max_length=32, blank=True)
    channel = models.CharField(max_length=64, blank=True)
    raw = models.JSONField(default=dict)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("sale type")
        verbose_name_plural = _("sale types")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name or gettext("Sale type %(id)s") % {"id": self.id}


class Order(models.Model):
    # Clopos order id.
    id = models.BigIntegerField(primary_key=True)
    venue_id = models.BigIntegerField(null=True, blank=True)
    sale_type_id = models.BigIntegerField(null=True, blank=True)
    type = models.CharField(max_length=64, blank=True)  # e.g. CALL_CENTER_ORDER
    integration = models.CharField(max_length=64, blank=True)  # e.g. call_center_new
    integration_uuid = models.CharField(max_length=255, null=True, blank=True)
    integration_id = models.CharField(max_length=255, null=True, blank=True)
    integration_status = models.CharField(max_length=64, blank=True)
    customer_ref_id = models.CharField(max_length=255, null=True, blank=True)
    # orders_app.vocabulary.ORDER_STATUSES; statuses Pass does not know are kept as given.
    status = models.CharField(max_length=32)

    # The customer as shown on the order (payload.customer), not a customer record.
    customer_remote_id = models.CharField(max_length=64, blank=True)
    customer_name = models.CharField(max_length=255, blank=True)
    customer_phone = models.CharField(max_length=64, blank=True)
    customer_address = models.TextField(blank=True)

    comment = models.TextField(blank=True)
    # Discount as given: Clopos does not publish what discount_type means.
    discount_type = models.CharField(max_length=32, blank=True)
    discount_value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    service_charge_enabled = models.BooleanField(null=True, blank=True)
    service_charge_value = models.DecimalField(
        max_digits=14, decimal_places=4, null=True, blank=True
    )
    delivery_fee = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    # Sum of item counts, and sum of count x unit price over items that carry a price.
    # items_total is our arithmetic, never shown as the order's total.
    item_count = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    items_total = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)

    created_at = models.DateTimeField()  # in Clopos
    updated_at = models.DateTimeField()  # in Clopos
    first_seen_at = models.DateTimeField(default=timezone.now)  # by Pass
    synced_at = models.DateTimeField(default=timezone.now)  # last time its content changed here

    # Folded text (see orders_app.text.fold) of id, customer, phone digits, address, products,
    # modifiers and comments: what the board's free-text search looks in.
    search_text = models.TextField(blank=True)
    raw = models.JSONField(default=dict)
    # sha256 of the canonical raw JSON: an unchanged order costs no write.
    content_hash = models.CharField(max_length=64, blank=True)
    # Things in the payload we could not use (an unknown modifier shape, a bad number).
    parse_warnings = models.JSONField(default=list, blank=True)
    # The Clopos receipt this order became (services/sync/receipts.py links them); not a
    # foreign key: either may reach the cache first.
    receipt_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # When Pass last asked Clopos for this order's receipt (GET /orders/{id}?with[0]=receipt):
    # an order whose receipt never comes is asked again only now and then.
    receipt_checked_at = models.DateTimeField(null=True, blank=True)
    # The kitchen stage (vocabulary.order_stage of the status and the receipt), kept current by
    # the sync (services/sync/stages.py) so the board and the wall filter on one column.
    stage = models.CharField(max_length=16, blank=True)
    # When the stage last changed (first derived: the order's own updated_at): Done cards leave
    # the wall WALL_DONE_MINUTES after it.
    stage_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        indexes = [
            # Board default list and date filters: newest first within a created_at range.
            models.Index(fields=["-created_at", "-id"], name="order_created_idx"),
            # Board status chips / status filter with a date range; wall columns.
            models.Index(fields=["status", "-created_at"], name="order_status_created_idx"),
            # Board stage filter; the wall's stage columns; the sync's open-stage refresh.
            models.Index(fields=["stage", "-created_at"], name="order_stage_created_idx"),
            # Board sort=updated; sync watermark reads.
            models.Index(fields=["-updated_at", "-id"], name="order_updated_idx"),
            # Board venue and channel filters.
            models.Index(fields=["venue_id", "-created_at"], name="order_venue_created_idx"),
            models.Index(fields=["type", "-created_at"], name="order_type_created_idx"),
            models.Index(
                fields=["integration", "-created_at"], name="order_integration_created_idx"
            ),
            # Board status counts under a venue / channel filter, read from the index alone.
            models.Index(
                fields=["venue_id", "status", "created_at"], name="order_venue_status_idx"
            ),
            models.Index(fields=["type", "status", "created_at"], name="order_type_status_idx"),
            models.Index(
                fields=["integration", "status", "created_at"], name="order_integration_status_idx"
            ),
        ]

    def __str__(self) -> str:
        return gettext("Order #%(id)s") % {"id": self.id}


class OrderItem(models.Model):
    # No index of its own: the unique (order, position) constraint's index serves the lookups by
    # order (its first column), and a backfill then keeps one B-tree fewer per row.
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items", db_index=False)
    position = models.PositiveIntegerField()
    product_id = models.BigIntegerField(null=True, blank=True)
    name = models.CharField(max_length=255, blank=True)
    count = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    portion_size = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    line_total = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    status = models.CharField(max_length=64, blank=True)
    note = models.TextField(blank=True)
    raw = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("order item")
        verbose_name_plural = _("order items")
        ordering = ["order_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="orderitem_unique_position")
        ]

    def __str__(self) -> str:
        return f"{self.name} x {self.count}"


class OrderItemModifier(models.Model):
    # Served by the unique (item, position) constraint's index, as OrderItem.order is.
    item = models.ForeignKey(
        OrderItem, on_delete=models.CASCADE, related_name="modifiers", db_index=False
    )
    position = models.PositiveIntegerField()
    modifier_id = models.BigIntegerField(null=True, blank=True)
    name = models.CharField(max_length=255, blank=True)
    count = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    # Which published shape it came in ("modifier", "modificator", "id_name", "nested",
    # or "unknown": shown as raw text, never dropped).
    shape = models.CharField(max_length=32, blank=True)
    raw = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("item modifier")
        verbose_name_plural = _("item modifiers")
        ordering = ["item_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["item", "position"], name="modifier_unique_position")
        ]

    def __str__(self) -> str:
        return self.name or gettext("Modifier %(id)s") % {"id": self.modifier_id}


class OrderEvent(models.Model):
    class Kind(models.TextChoices):
        SEEN = "seen", "First seen by Pass"
        STATUS = "status", "Status changed"

    # Served by orderevent_order_idx (order, observed_at).
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    from_status = models.CharField(max_length=32, blank=True)
    to_status = models.CharField(max_length=32, blank=True)
    observed_at = models.DateTimeField(default=timezone.now)  # when Pass saw it
    remote_updated_at = models.DateTimeField(null=True, blank=True)  # order.updated_at then

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["order_id", "observed_at", "id"]
        # Order detail timeline.
        indexes = [models.Index(fields=["order", "observed_at"], name="orderevent_order_idx")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.from_status}->{self.to_status}"


class SkippedOrder(models.Model):
    """An order payload sync could not parse: kept with its reason, never silently dropped."""

    remote_id = models.CharField(max_length=64, unique=True)
    reason = models.TextField()
    raw = models.JSONField(default=dict)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    times_seen = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("skipped order")
        verbose_name_plural = _("skipped orders")
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return gettext("Skipped order %(id)s") % {"id": self.remote_id}


class SyncState(models.Model):
    """One row (pk=1): what the pages say about how fresh the cache is."""

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID)
    source = models.CharField(max_length=16, blank=True)  # "demo" (simulator) or "live"
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    # Moves only when cached data changes; pages poll with it and get 204 while it stands.
    data_version = models.PositiveBigIntegerField(default=0)
    # Highest Clopos updated_at seen; incremental passes read back to it minus an overlap.
    watermark = models.DateTimeField(null=True, blank=True)
    backfill_completed_at = models.DateTimeField(null=True, blank=True)
    last_reconcile_at = models.DateTimeField(null=True, blank=True)
    last_pass = models.JSONField(default=dict, blank=True)  # counts and timing of the last pass
    # Receipts (services/sync/receipts.py): their own watermark and backfill, like orders'.
    receipts_watermark = models.DateTimeField(null=True, blank=True)
    receipts_backfill_completed_at = models.DateTimeField(null=True, blank=True)
    # Why receipts are not synced ("" while they are): SYNC_RECEIPTS=0 or Clopos refused them.
    receipts_off_reason = models.CharField(max_length=255, blank=True)
    receipts_refused_at = models.DateTimeField(null=True, blank=True)
    kitchen_reference_synced_at = models.DateTimeField(null=True, blank=True)  # stations, products
    stop_list_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sync state")
        verbose_name_plural = _("sync states")

    def __str__(self) -> str:
        return gettext("Sync state")

    @classmethod
    def get(cls) -> SyncState:
        state, _ = cls.objects.get_or_create(id=cls.SINGLETON_ID)
        return state


class SyncLease(models.Model):
    """A lease row: one sync runner at a time per database, across processes and hosts."""

    name = models.CharField(max_length=64, primary_key=True)
    holder = models.CharField(max_length=255, blank=True)
    acquired_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sync lease")
        verbose_name_plural = _("sync leases")

    def __str__(self) -> str:
        return gettext("%(name)s held by %(holder)s") % {
            "name": self.name,
            "holder": self.holder or gettext("nobody"),
        }


class WallKey(models.Model):
    """A kiosk key that opens the wall screen without a login (read-only unless ``can_bump``).
    Stored hashed."""

    name = models.CharField(max_length=100, unique=True)
    key_hash = models.CharField(max_length=128, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # May this screen bump tickets (with WALL_BUMP on)? Off: the wall stays read-only.
    can_bump = models.BooleanField(_("can bump"), default=False)

    class Meta:
        verbose_name = _("kiosk key")
        verbose_name_plural = _("kiosk keys")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# The kitchen's models live in their own module; Django finds them through this package.
from orders_app.models.insights import InsightDay, InsightRow  # noqa: E402, F401 - re-exported
from orders_app.models.kitchen import (  # noqa: E402, F401 - re-exported
    Product,
    Receipt,
    ReceiptEvent,
    ReceiptItem,
    Station,
    StopListEntry,
)
from orders_app.models.outbox import OutboxEntry  # noqa: E402, F401 - re-exported
