"""The one way Pass takes secrets out of text before it is shown or logged.

Two kinds of secret turn up in text: values Pass knows (the Clopos client secret, a token),
which the server may echo back in an error; and query parameters that carry a secret (the
wall's kiosk ``key=``), which access logs print with the URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

MASK = "***"
REDACTED = "[redacted]"
# Shorter values are too likely to occur by chance in ordinary text.
MIN_SECRET_LENGTH = 4


@lru_cache(maxsize=8)
def _query_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(name) for name in names)
    return re.compile(rf"([?&](?:{alternatives})=)[^&\s\"']+")


def redact(
    text: str, *, secrets: Iterable[str | None] = (), query_params: Iterable[str] = ()
) -> str:
    """``text`` with every known secret value (at least ``MIN_SECRET_LENGTH`` characters)
    replaced by ``***``, and the value of every named query parameter by ``[redacted]``:
    ``/wall/?key=abc&venue=1`` -> ``/wall/?key=[redacted]&venue=1``."""
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, MASK)
    names = tuple(query_params)
    if names:
        text = _query_pattern(names).sub(rf"\1{REDACTED}", text)
    return text
