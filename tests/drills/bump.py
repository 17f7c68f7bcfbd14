"""What the bump drills share (tests/test_bump_drills.py, bench/bench_bump.py): a Clopos that
records every write it applies, taps made by other processes, and a score of taps lost and
duplicated against what Clopos shows.

- ``BumpClopos``: the simulator in this process over HTTP (optionally behind a ``TcpGate``)
  with test-side hooks around it, never inside Pass: ``writes`` (each applied
  ``PATCH /receipts/{id}``: receipt, order_status, when), ``patch_delay`` (the answer to a
  PATCH held back after the write is applied, so a drill can kill the deliverer in between),
  ``fault_on(kind, method, count)`` (the next PATCH, or the GET that re-reads a receipt just
  written, answered with a fault, and the requests to that receipt after it). Requests are
  served one at a time, so a fault queued as a request arrives is that request's, and the sync
  loop's own requests in between (orders, receipt lists) never take one.
- ``Tapper``: ``python -m tests.drills.bump tapper`` on the drill database, one JSON line per
  tap on stdin (``enqueue_bump``), one answer per line on stdout; ``at`` makes two tappers
  tap at the same instant. ``outbox_rows(env)``: every outbox entry, read in a subprocess.
- ``Screen``: a kiosk screen over HTTP (``/wall/?key=...`` then ``POST /wall/bump/`` with the
  CSRF token the page carries).
- ``bump_score(taps, rows, clopos)``: a tap is *lost* when its entry is missing, not ended as
  confirmed or superseded, or Clopos does not show what the receipt's last confirmed tap
  asked; a receipt is *duplicated* when Clopos applied more writes to it (or one value more
  often) than its taps asked; *out of order* when the writes it applied are not its confirmed
  taps in the order they were made.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.drills.harness import PYTHON, ROOT, TcpGate

DONE_STATES = ("confirmed", "superseded")


# --- Clopos, watched ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Write:
    receipt_id: int
    order_status: str
    at: float


class BumpClopos:
    """A simulator on loopback whose writes are recorded and whose PATCH answers can be held
    back or faulted (see the module docstring). ``base_url`` goes through the gate when one is
    asked for (``down()`` / ``up()``)."""

    def __init__(self, sim: Any, server: Any, *, gate: bool = False) -> None:
        self.sim = sim
        self.server = server
        self.gate = TcpGate(server.port) if gate else None
        port = self.gate.port if self.gate else server.port
        self.base_url = f"http://127.0.0.1:{port}/open-api/v2"
        self.writes: list[Write] = []
        self.patch_delay = 0.0
        self._lock = threading.Lock()
        # "PATCH" / "REREAD" -> [(kind, count)]: queued in the simulator when that request comes
        self._faults: dict[str, list[tuple[str, int]]] = defaultdict(list)
        self._reread: set[int] = set()  # receipts just written: their next GET is a re-read
        # receipt -> (fault, requests left): a fault follows its receipt's requests only, so the
        # sync loop's own requests in between (orders, receipts lists) never take one.
        self._failing: dict[int, tuple[str, int]] = {}
        # One request at a time: a fault queued in the simulator is answered to this request.
        self._serial = threading.Lock()
        self._patch = sim.receipts.patch
        sim.receipts.patch = self._recorded_patch
        self._handle = server.httpd.api.handle
        server.httpd.api.handle = self._handled

    def _recorded_patch(self, receipt_id: int, data: Any) -> Any:
        receipt = self._patch(receipt_id, data)
        if isinstance(data, dict) and "order_status" in data:
            with self._lock:
                self.writes.append(Write(receipt_id, str(data["order_status"]), time.time()))
        return receipt

    def _handled(self, method: str, target: str, headers: Any, body: bytes = b"", **kw: Any):
        match = re.search(r"/receipts/(\d+)$", target.split("?")[0])
        receipt_id = int(match.group(1)) if match else None
        with self._serial:
            fault = self._fault_for(method, receipt_id) if receipt_id is not None else None
            if fault:
                self.sim.inject(fault, 1)
            answer = self._handle(method, target, headers, body, **kw)
        if method == "PATCH" and receipt_id is not None and answer.status == 200:
            with self._lock:
                self._reread.add(receipt_id)
            if self.patch_delay:
                time.sleep(self.patch_delay)
        return answer

    def _fault_for(self, method: str, receipt_id: int) -> str | None:
        """The fault this request to ``receipt_id`` is answered with, if any."""
        with self._lock:
            slot = "PATCH" if method == "PATCH" else None
            if method == "GET" and receipt_id in self._reread:
                self._reread.discard(receipt_id)
                slot = "REREAD"
            if slot and self._faults[slot]:
                self._failing[receipt_id] = self._faults[slot].pop(0)
            if receipt_id not in self._failing:
                return None
            kind, left = self._failing.pop(receipt_id)
            if left > 1:
                self._failing[receipt_id] = (kind, left - 1)
            return kind

    def fault_on(self, kind: str, slot: str = "PATCH", count: int = 1) -> None:
        """The next PATCH (``slot="PATCH"``) or re-read after an applied write (``"REREAD"``)
        and the ``count - 1`` requests to the same receipt after it (the client's retries, then
        the outbox's next attempt) answered with the fault ``kind``."""
        with self._lock:
            self._faults[slot].append((kind, count))

    def faults_left(self) -> int:
        """Faults armed or queued and not yet served."""
        with self._lock:
            armed = sum(count for faults in self._faults.values() for _, count in faults)
            armed += sum(left for _, left in self._failing.values())
        return armed + self.sim.faults.pending()

    def writes_to(self, receipt_id: int) -> list[str]:
        with self._lock:
            return [w.order_status for w in self.writes if w.receipt_id == receipt_id]

    def shown(self, receipt_id: int) -> str:
        return self.sim.receipt(receipt_id, relations=())["order_status"]

    def open_receipts(self, count: int, order_status: str = "NEW") -> list[int]:
        """``count`` tables opened now, each receipt held at ``order_status`` (its kitchen's
        automatic steps stopped): what the sync will cache and the taps will move."""
        ids = []
        for _ in range(count):
            receipt_id = self.sim.open_table()["id"]
            self.sim.set_receipt_status(receipt_id, order_status)
            ids.append(receipt_id)
        return ids

    def down(self) -> None:
        assert self.gate is not None
        self.gate.down()

    def up(self) -> None:
        assert self.gate is not None
        self.gate.up()

    def stop(self) -> None:
        if self.gate:
            self.gate.down()
        self.server.stop()


def patches_logged(sim: Any, receipt_id: int | None = None) -> list[Any]:
    """The simulator's log of PATCH /receipts/{id} answered 200 (the writes it applied)."""
    with sim.lock:
        return [
            e
            for e in sim.request_log
            if e.method == "PATCH"
            and e.path.startswith("/receipts/")
            and e.status == 200
            and (receipt_id is None or e.path == f"/receipts/{receipt_id}")
        ]


# --- Taps from another process ------------------------------------------------------------------


@dataclass
class Tap:
    """One tap as a screen made it, and what Pass answered."""

    receipt: int
    to: str
    key: str
    screen: str = "grill"
    answer: str = ""  # "created", "repeat", or the refusal's class name / HTTP status
    entry: int | None = None
    at: float = 0.0  # when it was answered (time.time())

    @property
    def accepted(self) -> bool:
        return self.answer in ("created", "repeat")


class Tapper:
    """``enqueue_bump`` in a child process on the drill database (``env``)."""

    def __init__(self, processes: Any, env: dict[str, str], *, name: str = "tapper") -> None:
        args = [PYTHON, "-m", "tests.drills.bump", "tapper"]
        log = processes.folder / f"{name}-{len(processes.started)}.err"
        self.popen = subprocess.Popen(
            args,
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log.open("wb"),
            text=True,
            bufsize=1,
        )
        self.log = log
        self.pid = self.popen.pid
        self.name = name
        processes.started.append(self)  # killed at teardown with the rest
        self.ask({"ping": True})  # Django is up

    def ask(self, request: dict) -> dict:
        assert self.popen.stdin is not None and self.popen.stdout is not None
        self.popen.stdin.write(json.dumps(request) + "\n")
        self.popen.stdin.flush()
        line = self.popen.stdout.readline()
        if not line:
            raise AssertionError(f"{self.name} died: {self.log.read_text()[-1500:]}")
        return json.loads(line)

    def tap(self, tap: Tap, *, at: float | None = None) -> Tap:
        answer = self.ask(
            {"receipt": tap.receipt, "to": tap.to, "key": tap.key, "actor": tap.screen, "at": at}
        )
        tap.answer, tap.entry, tap.at = answer["answer"], answer.get("entry"), answer["at"]
        return tap

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.popen.kill()
        with contextlib.suppress(Exception):
            self.popen.wait(timeout=10)

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None


def _tapper_main() -> None:
    from orders_app.services.outbox import OutboxError, enqueue_bump

    for line in sys.stdin:
        request = json.loads(line)
        if request.get("ping"):
            print(json.dumps({"pong": True}), flush=True)
            continue
        if request.get("at"):
            time.sleep(max(0.0, request["at"] - time.time()))
        try:
            entry, created = enqueue_bump(
                receipt_id=request["receipt"],
                to_status=request["to"],
                key=request["key"],
                actor=request["actor"],
                actor_kind="screen",
            )
            answer = {"answer": "created" if created else "repeat", "entry": entry.id}
        except OutboxError as exc:
            answer = {"answer": type(exc).__name__, "error": str(exc)}
        answer["at"] = time.time()
        print(json.dumps(answer), flush=True)


def outbox_rows(env: dict[str, str]) -> list[dict]:
    """Every outbox entry of the drill database, oldest first (read in a subprocess)."""
    done = subprocess.run(
        [PYTHON, "-m", "tests.drills.bump", "outbox"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        raise AssertionError(f"outbox read failed: {done.stderr}")
    return json.loads(done.stdout)


def _outbox_main() -> None:
    from orders_app.models import OutboxEntry

    rows = OutboxEntry.objects.order_by("id").values(
        "id", "key", "receipt_id", "from_status", "to_status", "state", "attempts", "actor"
    )
    times = OutboxEntry.objects.order_by("id").values_list("tapped_at", "confirmed_at")
    out = []
    for row, (tapped, confirmed) in zip(rows, times, strict=True):
        row["tapped_at"] = tapped.timestamp()
        row["confirmed_at"] = confirmed.timestamp() if confirmed else None
        out.append(row)
    print(json.dumps(out))


# --- A kiosk screen over HTTP -------------------------------------------------------------------


class Screen:
    """One kiosk screen: its session opened through the key's link, its CSRF token read from
    the wall page, its taps POSTed to /wall/bump/."""

    def __init__(self, base: str, kiosk_url: str, *, name: str) -> None:
        self.base = base
        self.name = name
        self.session = requests.Session()
        path = kiosk_url[kiosk_url.index("/wall/") :]
        page = self.session.get(f"{base}{path}", timeout=15)
        assert page.status_code == 200, (page.status_code, page.text[:300])
        token = re.search(r'data-csrf="([^"]+)"', page.text)
        assert token, "the wall page carries no CSRF token: is WALL_BUMP on and the key --bump?"
        self.csrf = token.group(1)

    def post(self, receipt: int, to: str, key: str) -> requests.Response:
        return self.session.post(
            f"{self.base}/wall/bump/",
            data={"receipt": str(receipt), "to": to, "key": key},
            headers={"X-CSRFToken": self.csrf, "Referer": f"{self.base}/wall/"},
            timeout=30,
        )

    def tap(self, tap: Tap, *, retries: int = 10) -> Tap:
        """POST the tap; a 503 is sent again with the same key after its Retry-After, as
        bump.js does. ``tap.answer``: created / repeat, or the refusal's HTTP status."""
        for _ in range(retries):
            answer = self.post(tap.receipt, tap.to, tap.key)
            if answer.status_code != 503:
                break
            tap.answer = "503"
            time.sleep(float(answer.headers.get("Retry-After", "1")))
        tap.at = time.time()
        if answer.status_code == 200:
            tap.answer = "repeat" if answer.headers.get("X-Bump-Repeat") else "created"
            tap.entry = int(answer.headers["X-Bump-Entry"])
        else:
            tap.answer = str(answer.status_code)
        return tap


def kiosk_url(env: dict[str, str], name: str) -> str:
    """``wall_key create --name NAME --bump``: the kiosk link it prints on its last line."""
    done = subprocess.run(
        [PYTHON, "manage.py", "wall_key", "create", "--name", name, "--bump"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1].strip()


# --- The score ----------------------------------------------------------------------------------


@dataclass
class BumpScore:
    taps: int = 0  # accepted taps (a repeated key counts once)
    delivered: int = 0  # entries confirmed
    superseded: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    out_of_order: list[str] = field(default_factory=list)

    def line(self, drill: str, **extra: object) -> str:
        tail = "".join(f" {k}={v}" for k, v in extra.items())
        return (
            f"drill {drill}: taps={self.taps} delivered={self.delivered} "
            f"duplicated={len(self.duplicated)} lost={len(self.lost)}"
            f" out_of_order={len(self.out_of_order)}{tail}"
        )

    def details(self) -> str:
        return (
            f"lost {self.lost[:5]} duplicated {self.duplicated[:5]} "
            f"out of order {self.out_of_order[:5]}"
        )

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.out_of_order)


def bump_score(taps: list[Tap], rows: list[dict], clopos: BumpClopos) -> BumpScore:
    by_key = {row["key"]: row for row in rows}
    accepted = {tap.key: tap for tap in taps if tap.accepted}
    result = BumpScore(taps=len(accepted))
    for key in accepted:
        row = by_key.get(key)
        if row is None:
            result.lost.append(f"{key}: no entry")
        elif row["state"] not in DONE_STATES:
            result.lost.append(f"{key}: {row['state']} after {row['attempts']} attempts")
    asked: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        if row["key"] in accepted:
            asked[row["receipt_id"]].append(row)
    for receipt_id, entries in asked.items():
        confirmed = [r["to_status"] for r in entries if r["state"] == "confirmed"]
        result.delivered += len(confirmed)
        result.superseded += sum(1 for r in entries if r["state"] == "superseded")
        written = clopos.writes_to(receipt_id)
        wanted = Counter(r["to_status"] for r in entries)
        extra = Counter(written) - wanted
        if len(written) > len(entries) or extra:
            result.duplicated.append(f"{receipt_id}: wrote {written} for taps {list(wanted)}")
        elif written != confirmed:
            result.out_of_order.append(f"{receipt_id}: wrote {written}, confirmed {confirmed}")
        if confirmed and clopos.shown(receipt_id) != confirmed[-1]:
            result.lost.append(
                f"{receipt_id}: Clopos shows {clopos.shown(receipt_id)}, not {confirmed[-1]}"
            )
    return result


def report(drill: str, result: BumpScore, **extra: object) -> None:
    line = result.line(drill, **extra)
    print(line)
    assert result.clean, f"{line}: {result.details()}"


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    import django

    django.setup()
    {"tapper": _tapper_main, "outbox": _outbox_main}[sys.argv[1]]()
