"""The insights' daily rollups: what /insights/ adds up, one local day at a time.

``InsightRow`` holds a day's aggregates in a few narrow kinds (orders by hour, acceptance
buckets, sale types, items, modifiers, kitchen timings), each keyed by the dimensions the page
filters on (order type, integration, venue). ``InsightDay`` says whether a day's rows are
current: the sync bumps ``dirty`` in the transaction that changes any order of that day
(services/sync/store.py, receipts.py); a fill (services/insight_rollups.py) records the
``dirty`` it started from in ``filled``. A day is current when ``filled == dirty`` and its
``fingerprint`` (time zone, late threshold, bucket sizes, format) is today's.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class InsightDay(models.Model):
    day = models.DateField(primary_key=True)  # a local date in TIME_ZONE
    dirty = models.BigIntegerField(default=0)
    filled = models.BigIntegerField(null=True, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("insights day")
        verbose_name_plural = _("insights days")

    def __str__(self) -> str:
        return f"{self.day} dirty={self.dirty} filled={self.filled}"


class InsightRow(models.Model):
    class Kind(models.TextChoices):
        HOUR = "hour", "orders by hour"
        ACCEPT = "accept", "acceptance"
        SALE = "sale", "sale types"
        ITEM = "item", "items"
        MODIFIER = "mod", "modifiers"
        KITCHEN = "kitchen", "kitchen timings"

    day = models.DateField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    type = models.CharField(max_length=64, blank=True)
    integration = models.CharField(max_length=64, blank=True)
    venue_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=32, blank=True)
    hour = models.SmallIntegerField(null=True, blank=True)
    sale_type_id = models.BigIntegerField(null=True, blank=True)
    bucket = models.IntegerField(null=True, blank=True)  # a duration's bucket start (s)
    bucket2 = models.IntegerField(null=True, blank=True)  # kitchen: ready -> done
    late = models.BooleanField(default=False)
    name = models.CharField(max_length=255, blank=True)
    count = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    orders = models.IntegerField(default=0)
    amount_count = models.IntegerField(default=0)  # kitchen: receipts with a total
    amount = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)

    class Meta:
        verbose_name = _("insights row")
        verbose_name_plural = _("insights rows")
        indexes = [models.Index(fields=["kind", "day"], name="insightrow_kind_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.name or self.hour or self.bucket}"
