"""The data version: the one counter every cached page and poll keys on."""

from __future__ import annotations

from django.db.models import F

from orders_app.models import SyncState


def data_version_bump() -> None:
    """Move ``SyncState.data_version`` on by one: the only place it moves.

    Call it inside the transaction that wrote the change, so the version moves if and only if
    the change commits; a pass that changed nothing leaves it (and every page's cache) alone.
    The pass keeps its own copy level with PassResult.data_version_moved().
    """
    SyncState.objects.get_or_create(id=SyncState.SINGLETON_ID)
    SyncState.objects.filter(id=SyncState.SINGLETON_ID).update(data_version=F("data_version") + 1)
