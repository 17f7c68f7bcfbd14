"""Run a command with the wall clock at the next HH:MM of a time zone (Debian's faketime).

    python .ci/faketime_at.py 03:30 Asia/Baku -- pytest ...

The offset is the same for every process the command starts (``faketime -f +Ns``: relative to
the real clock, so a child process agrees with its parent), and it is never negative (the next
occurrence, not today's if that has passed). Only the wall clock moves; see
``.ci/faketime/sitecustomize.py`` for why. Without faketime installed: says so and fails.
"""

from __future__ import annotations

import os
import shutil
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo


def offset_to(hhmm: str, zone: str, *, now: datetime | None = None) -> int:
    """Whole seconds from ``now`` to the next ``hhmm`` in ``zone`` (0 <= offset < 1 day)."""
    tz = ZoneInfo(zone)
    now = (now or datetime.now(tz)).astimezone(tz)
    hour, minute = (int(part) for part in hhmm.split(":"))
    target = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target < now:
        target += timedelta(days=1)
    return int((target - now).total_seconds())


def main(argv: list[str]) -> int:
    if "--" not in argv or argv.index("--") != 2:
        print("usage: faketime_at.py HH:MM ZONE -- COMMAND ...", file=sys.stderr)
        return 2
    hhmm, zone, command = argv[0], argv[1], argv[3:]
    faketime = shutil.which("faketime")
    if faketime is None:
        print("faketime_at: faketime is not installed (apt-get install faketime)", file=sys.stderr)
        return 1
    seconds = offset_to(hhmm, zone)
    here = Path(__file__).resolve().parent / "faketime"
    env = dict(os.environ, FAKETIME_DONT_FAKE_MONOTONIC="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(here), env.get("PYTHONPATH")) if p)
    print(f"faketime_at: the clock at {hhmm} {zone} (+{seconds} s)", flush=True)
    os.execvpe(faketime, [faketime, "-f", f"+{seconds}s", *command], env)  # noqa: S606
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
