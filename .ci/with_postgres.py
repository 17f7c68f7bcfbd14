"""Run a command against a throwaway PostgreSQL server on a loopback port.

    python .ci/with_postgres.py -- pytest ...

Finds initdb/pg_ctl (PATH or /usr/lib/postgresql/*/bin), initialises a cluster in a temporary
folder (as root, owned by and run as the `postgres` user), starts it on a free 127.0.0.1 port,
runs the command with DATABASE_URL pointing at it, then stops the server and removes the folder.
No server found: says so and exits 0, unless REQUIRE_POSTGRES=1, then exits 1.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path


def find_bin(name: str) -> str | None:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if candidates:
        return candidates[0]
    return shutil.which(name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        print("usage: with_postgres.py -- COMMAND ...", file=sys.stderr)
        return 2
    initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
    if not initdb or not pg_ctl:
        message = "PostgreSQL server binaries (initdb, pg_ctl) not found"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            print(f"with_postgres: {message}, and REQUIRE_POSTGRES=1: failing", file=sys.stderr)
            return 1
        print(f"with_postgres: {message}: skipping the PostgreSQL run (apt-get install postgresql)")
        return 0

    as_root = os.geteuid() == 0
    run_as: list[str] = []
    workdir = Path(tempfile.mkdtemp(prefix="pass-pg-"))
    if as_root:
        user = pwd.getpwnam("postgres")
        os.chown(workdir, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, sockets, log = workdir / "data", workdir / "sock", workdir / "server.log"
    port = free_port()
    try:
        subprocess.run(
            [*run_as, initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
             "--locale=C.UTF-8", "--no-sync"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        subprocess.run([*run_as, "mkdir", "-p", str(sockets)], check=True)
        options = (
            f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            [*run_as, pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "start"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        env = dict(os.environ)
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{port}/postgres"
        env["PASS_POSTGRES_BIN"] = str(Path(pg_ctl).parent)
        print(f"with_postgres: PostgreSQL on 127.0.0.1:{port} ({Path(pg_ctl).parent})", flush=True)
        return subprocess.call(argv, env=env)
    except subprocess.CalledProcessError as exc:
        print(f"with_postgres: could not start PostgreSQL: {exc}", file=sys.stderr)
        if log.exists():
            print(log.read_text(errors="replace")[-2000:], file=sys.stderr)
        return 1
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
            )  # fmt: skip
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
