"""The kitchen's cache: receipts and their items and events, stations, products, the stop
list (docs/clopos.md §5–§6; services/sync/receipts.py fills it)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Receipt(models.Model):
    """A Clopos receipt (docs/clopos.md §5): what a RECEIVED order became, or a table's bill
    opened at the POS. Amounts as Clopos gives them (shown divided by MONEY_DIVISOR)."""

    id = models.BigIntegerField(primary_key=True)  # Clopos receipt id
    cid = models.CharField(max_length=64, blank=True)
    venue_id = models.BigIntegerField(null=True, blank=True)
    sale_type_id = models.BigIntegerField(null=True, blank=True)
    customer_id = models.BigIntegerField(null=True, blank=True)
    source = models.CharField(max_length=32, blank=True)  # web, pos, ...
    # 1 open, 2 closed (vocabulary.RECEIPT_OPEN, RECEIPT_CLOSED); other values kept as given.
    status = models.IntegerField(null=True, blank=True)
    order_status = models.CharField(max_length=32, blank=True)  # NEW … CANCELLED, as given
    order_number = models.CharField(max_length=64, blank=True)
    daily_number = models.CharField(max_length=32, blank=True)  # properties.daily_id
    table_id = models.BigIntegerField(null=True, blank=True)
    hall_id = models.BigIntegerField(null=True, blank=True)
    guests = models.IntegerField(null=True, blank=True)
    total = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    subtotal = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    total_discount = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    service_charge_value = models.DecimalField(
        max_digits=16, decimal_places=4, null=True, blank=True
    )
    delivery_fee = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    total_tax = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    payment_methods = models.JSONField(default=list, blank=True)  # [{id, name, amount}]
    created_at = models.DateTimeField(null=True, blank=True)  # in Clopos
    updated_at = models.DateTimeField(null=True, blank=True)  # in Clopos
    closed_at = models.DateTimeField(null=True, blank=True)  # in Clopos
    first_seen_at = models.DateTimeField(default=timezone.now)  # by Pass
    synced_at = models.DateTimeField(default=timezone.now)
    raw = models.JSONField(default=dict)
    content_hash = models.CharField(max_length=64, blank=True)
    parse_warnings = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The wall's open receipts (tables) and the stage columns: open ones, newest first.
            models.Index(fields=["status", "-created_at"], name="receipt_status_created_idx"),
            # The receipts watermark and reconcile reads.
            models.Index(fields=["-updated_at", "-id"], name="receipt_updated_idx"),
        ]

    def __str__(self) -> str:
        return gettext("Receipt %(id)s") % {"id": self.id}


class ReceiptItem(models.Model):
    receipt = models.ForeignKey(
        Receipt, on_delete=models.CASCADE, related_name="items", db_index=False
    )
    position = models.PositiveIntegerField()
    remote_id = models.BigIntegerField(null=True, blank=True)
    product_id = models.BigIntegerField(null=True, blank=True)
    name = models.CharField(max_length=255, blank=True)
    count = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    total = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    # The station the receipt routes it to (meta.product.station), else the product's.
    station_id = models.BigIntegerField(null=True, blank=True)
    station_name = models.CharField(max_length=255, blank=True)
    modifiers = models.JSONField(default=list, blank=True)  # [{id, name, count, price}]
    raw = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("receipt item")
        verbose_name_plural = _("receipt items")
        ordering = ["receipt_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["receipt", "position"], name="receiptitem_position")
        ]

    def __str__(self) -> str:
        return f"{self.name} x {self.count}"


class ReceiptEvent(models.Model):
    """A change Pass observed on a receipt: opened, each order_status seen, closed."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Receipt opened")
        ORDER_STATUS = "order_status", _("Kitchen status changed")
        CLOSED = "closed", _("Receipt closed")
        REOPENED = "reopened", _("Receipt reopened")

    receipt = models.ForeignKey(
        Receipt, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    from_value = models.CharField(max_length=32, blank=True)
    to_value = models.CharField(max_length=32, blank=True)
    observed_at = models.DateTimeField()  # by Pass
    remote_at = models.DateTimeField(null=True, blank=True)  # the receipt's own time for it

    class Meta:
        verbose_name = _("receipt event")
        verbose_name_plural = _("receipt events")
        ordering = ["receipt_id", "observed_at", "id"]
        indexes = [models.Index(fields=["receipt", "observed_at"], name="receiptevent_receipt_idx")]

    def __str__(self) -> str:
        return f"{self.receipt_id} {self.kind} {self.from_value}->{self.to_value}"


class Station(models.Model):
    """A Clopos station (/stations): where items are made; ``kitchen`` False for a bar."""

    id = models.BigIntegerField(primary_key=True)
    name = models.CharField(max_length=255, blank=True)
    kitchen = models.BooleanField(default=True)  # type 1 kitchen, 0 other
    active = models.BooleanField(default=True)
    raw = models.JSONField(default=dict)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name or gettext("Station %(id)s") % {"id": self.id}


class Product(models.Model):
    """A Clopos product (/products): its station and cooking time route and time the items."""

    id = models.BigIntegerField(primary_key=True)
    name = models.CharField(max_length=255, blank=True)
    type = models.CharField(max_length=32, blank=True)  # DISH, GOODS, ...
    station_id = models.BigIntegerField(null=True, blank=True)
    cooking_time = models.PositiveIntegerField(null=True, blank=True)  # minutes
    raw = models.JSONField(default=dict)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name or gettext("Product %(id)s") % {"id": self.id}


class StopListEntry(models.Model):
    """A product on Clopos's stop list (/products/stop-list): ``limit`` 0 is out ("86"),
    more is how many are left. A product not listed is unrestricted."""

    product_id = models.BigIntegerField(primary_key=True)
    limit = models.IntegerField(default=0)
    clopos_at = models.DateTimeField(null=True, blank=True)  # the entry's timestamp (ms)
    seen_at = models.DateTimeField(default=timezone.now)  # first seen on the list by Pass

    class Meta:
        verbose_name = _("stop-list entry")
        verbose_name_plural = _("stop list")
        ordering = ["product_id"]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.limit}"
