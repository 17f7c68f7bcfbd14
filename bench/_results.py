"""Writing one benchmark's section of bench/RESULTS.md without touching the others."""

from __future__ import annotations

import platform
import re
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = (
    "# Benchmark results\n\n"
    "Written by `make bench` (each benchmark replaces its own section). Machine: "
    "2 cores, 24 GiB, Debian 12, Python 3.11.\n"
)


def record(section: str, body: str) -> None:
    """Replace the section named ``section`` (between its markers) with ``body``."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = (
        f"<!-- begin {section} -->\n## {section}\n\n"
        f"_Run {stamp} on {platform.node() or 'this machine'}, "
        f"Python {platform.python_version()}._\n\n{body.rstrip()}\n<!-- end {section} -->\n"
    )
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    pattern = re.compile(
        rf"<!-- begin {re.escape(section)} -->.*?<!-- end {re.escape(section)} -->\n?", re.S
    )
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n" + block
    RESULTS.write_text(text, encoding="utf-8")
