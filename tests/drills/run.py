"""Run a management command the way ``manage.py`` does, with two extras for drills.

    python -m tests.drills.run [--at EPOCH] [--setting NAME=JSON ...] -- COMMAND [ARGS ...]

``--at`` loads Django first, then sleeps until that wall-clock time before running the
command, so two processes started a moment apart reach their first database query within a
millisecond or so of each other (it says on stderr how early it was ready; negative: late). ``--setting`` overrides a Django setting after start-up, the
way pytest's ``settings`` fixture does in-process (e.g. a request budget above the 300/minute
an operator may configure, so a drill can push 1,000 faults through in seconds).

Exit codes and output are those of the command itself (``ManagementUtility.execute``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def main(argv: list[str]) -> None:
    if "--" not in argv:
        raise SystemExit(
            "usage: python -m tests.drills.run [--at EPOCH] [--setting N=JSON] -- COMMAND ..."
        )
    cut = argv.index("--")
    parser = argparse.ArgumentParser(prog="python -m tests.drills.run")
    parser.add_argument("--at", type=float, default=None)
    parser.add_argument("--setting", action="append", default=[])
    options = parser.parse_args(argv[:cut])
    command = argv[cut + 1 :]
    if not command:
        parser.error("name a management command after --")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import ManagementUtility

    for pair in options.setting:
        name, _, value = pair.partition("=")
        setattr(settings, name, json.loads(value))
    if options.at is not None:
        early = options.at - time.time()
        # Said on stderr so a test can tell a real race from a runner that arrived late.
        sys.stderr.write(f"drill-run: ready {early:.3f} s before the start\n")
        sys.stderr.flush()
        time.sleep(max(early, 0.0))
    ManagementUtility(["manage.py", *command]).execute()


if __name__ == "__main__":
    main(sys.argv[1:])
