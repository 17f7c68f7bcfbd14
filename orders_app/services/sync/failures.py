"""A failed pass: the exception that says so, its reason in plain words, and the one place a
failure is recorded on SyncState (for the pass itself and for the command, when a pass could
not even start)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from orders_app.clopos.errors import (
    CloposAuthError,
    CloposBadResponse,
    CloposConfigError,
    CloposError,
    CloposRateLimited,
    CloposUnavailable,
)
from orders_app.clopos.redaction import redact
from orders_app.models import SyncState
from orders_app.services.locks import LeaseLost
from orders_app.services.sync.results import PassResult

logger = logging.getLogger("orders_app.sync")


class SyncFailed(Exception):
    """A pass failed; ``result`` says how far it got and ``__cause__`` is what stopped it.
    ``str()`` is the plain-words reason recorded on SyncState."""

    def __init__(self, result: PassResult) -> None:
        super().__init__(result.error)
        self.result = result

    @property
    def internal(self) -> bool:
        """True when the cause is a bug or a database fault rather than Clopos or the lease."""
        return not isinstance(self.__cause__, CloposError | LeaseLost)


def failure_message(exc: BaseException) -> str:
    """Plain words for the sync state and the pages: the client's typed errors already say
    what to fix; anything else is named without internals. Configured secrets never appear."""
    if isinstance(exc, CloposError | LeaseLost):
        text = str(exc)
    else:
        text = (
            f"Sync stopped on an internal error ({type(exc).__name__}); "
            "the cache keeps what it had. See the sync_orders log for details."
        )
    secrets = [getattr(settings, name, "") for name in ("CLOPOS_TOKEN", "CLOPOS_CLIENT_SECRET")]
    return redact(text, secrets=secrets)[:1000]


def failure_kind(exc: BaseException) -> str:
    """Which of vocabulary.SYNC_ERROR_SUMMARIES a failure is (what the pages say about it)."""
    kinds = (
        (CloposRateLimited, "rate_limited"),
        (CloposUnavailable, "unavailable"),
        (CloposAuthError, "auth"),
        (CloposConfigError, "config"),
        (CloposBadResponse, "bad_response"),
        (CloposError, "rejected"),
        (LeaseLost, "lease"),
    )
    for kind_of, kind in kinds:
        if isinstance(exc, kind_of):
            return kind
    return "internal"


def failure_result(exc: BaseException) -> PassResult:
    """A failed pass that could not even start: its reason and kind."""
    return PassResult(ok=False, error=failure_message(exc), error_kind=failure_kind(exc))


def failure_record(result: PassResult, *, now: datetime | None = None) -> None:
    """Count a failed pass on SyncState; the cached data is left as it is.

    Never raises: the failure being recorded matters more than a second one while recording it
    (e.g. the database is away), which is logged as ``sync_record_failure_failed``.
    """
    now = now or timezone.now()
    try:
        SyncState.objects.get_or_create(id=SyncState.SINGLETON_ID)
        SyncState.objects.filter(id=SyncState.SINGLETON_ID).update(
            source="demo" if settings.CLOPOS_DEMO else "live",
            last_attempt_at=now,
            last_error=result.error,
            last_error_at=now,
            failing_since=Coalesce(F("failing_since"), Value(now, output_field=DateTimeField())),
            consecutive_failures=F("consecutive_failures") + 1,
            last_pass=result.as_state(),
        )
    except Exception:
        logger.exception("sync_record_failure_failed")
