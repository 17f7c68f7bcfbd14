"""make bench: run every bench/bench_*.py in turn; each prints numbers and records its section."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Also run against a throwaway PostgreSQL server, results recorded beside SQLite's.
ON_POSTGRES = {"bench_views.py", "bench_wall.py", "bench_insights.py"}


def main() -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if len(sys.argv) > 1:
        scripts = [s for s in scripts if any(name in s.name for name in sys.argv[1:])]
    failed = []
    root = HERE.parent
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        code = subprocess.call([sys.executable, str(script)], cwd=root)
        if code:
            failed.append(script.name)
        if script.name in ON_POSTGRES:
            print(f"\n=== {script.name} on PostgreSQL ===", flush=True)
            code = subprocess.call(
                [
                    sys.executable,
                    str(root / ".ci" / "with_postgres.py"),
                    "--",
                    sys.executable,
                    str(script),
                    "--env-database",
                ],
                cwd=root,
            )
            if code:
                failed.append(f"{script.name} (PostgreSQL)")
    print(f"\nResults: {HERE / 'RESULTS.md'}")
    if failed:
        print("Failed: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
