"""The outbox: every write Pass asks of Clopos, kept in Pass's database first
(services/outbox.py enqueues and delivers them).

A tap on the wall is answered only once its entry has committed here; the process holding the
sync lease then delivers it. So a Clopos outage, a crash or a restart loses no tap, and each
entry's end (confirmed, superseded by the POS, failed with its reason) stays readable: the
audit trail of what Pass wrote to the restaurant's POS, and the order's timeline of bumps.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# An idempotency key as the client makes it (a UUID is 36 characters).
KEY_MAX = 64


class OutboxEntry(models.Model):
    """One requested write to Clopos: a receipt's ``order_status`` (a bump, an undo, a
    recall) or an order ignored (``PUT /orders/{id}`` with IGNORE)."""

    class Kind(models.TextChoices):
        RECEIPT_STATUS = "receipt_status", _("Kitchen status")
        ORDER_IGNORE = "order_ignore", _("Order ignored")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to reach Clopos")
        CONFIRMED = "confirmed", _("Confirmed by Clopos")
        SUPERSEDED = "superseded", _("Changed in POS")
        FAILED = "failed", _("Failed")

    class ActorKind(models.TextChoices):
        SCREEN = "screen", _("Screen")
        MANAGER = "manager", _("Manager")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # The Clopos receipt a kitchen-status entry writes to; not a foreign key: the cache may
    # lose or not yet hold it, the audit trail must not.
    receipt_id = models.BigIntegerField(_("receipt"), null=True, blank=True)
    # The order concerned, when Pass knows it (the ignored order; a receipt's order).
    order = models.ForeignKey(
        "orders_app.Order",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbox_entries",
        verbose_name=_("order"),
    )
    # The Clopos order id, kept even if the cached order goes (the ignore's target).
    order_remote_id = models.BigIntegerField(_("Clopos order"), null=True, blank=True)
    # Clopos order_status values (vocabulary.RECEIPT_ORDER_STATUSES); IGNORE for an ignore,
    # whose from_status is the order's status (PENDING).
    from_status = models.CharField(_("from"), max_length=32, blank=True)
    to_status = models.CharField(_("to"), max_length=32)
    # The client's idempotency key: the same key twice is one change.
    key = models.CharField(_("idempotency key"), max_length=KEY_MAX, unique=True)
    actor = models.CharField(_("by"), max_length=150)  # a kiosk key's name or a username
    actor_kind = models.CharField(_("by whom"), max_length=16, choices=ActorKind.choices)
    tapped_at = models.DateTimeField(_("tapped at"), default=timezone.now)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)  # the client's redacted words
    reason = models.TextField(_("reason"), blank=True)  # why it ended superseded or failed
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)  # any end state
    clopos_status = models.CharField(_("Clopos showed"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("outbox entry")
        verbose_name_plural = _("outbox")
        ordering = ["-id"]
        indexes = [
            # deliver() and outbox_health(): the pending entries in the order they were made.
            models.Index(fields=["id"], condition=Q(state="pending"), name="outbox_pending_idx"),
            # recent_bumps(): the last N of a screen (or manager).
            models.Index(fields=["actor_kind", "actor", "-id"], name="outbox_actor_idx"),
            # entries_for_receipt(): a receipt's timeline of bumps.
            models.Index(fields=["receipt_id", "id"], name="outbox_receipt_idx"),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.ORDER_IGNORE:
            target = f"order {self.order_remote_id}"
        else:
            target = f"receipt {self.receipt_id}"
        return f"{target}: {self.from_status or '-'} -> {self.to_status} ({self.state})"
