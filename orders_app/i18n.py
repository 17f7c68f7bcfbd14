"""What the pages need to know about Pass's translations (a leaf: anyone may import it).

The JavaScript catalogue is served like a static file: its URL carries the language and a
version made from the compiled catalogues, so a browser may keep it for a year and a new
release (new .mo files) gets a new URL.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"


@cache
def catalogue_version() -> str:
    """A short hash of every compiled catalogue Pass ships (computed once per process)."""
    digest = hashlib.sha256()
    for path in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.mo")):
        digest.update(path.parent.parent.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
