"""Generate the wall's three sounds as small WAV files (Python's wave + math, no samples needed).

    .venv/bin/python scripts/wall_sounds.py

- ``chime.wav``: a soft two-note bell (G5 then C6, with a quiet octave partial and an
  exponential decay), played once for each new order.
- ``alert.wav``: three short, brighter two-tone beeps (A5/E6), repeated by the watchdog while
  an order waits too long for acceptance. Distinct from the chime on purpose.
- ``cancel.wav``: a falling pair of low, round tones (E5 down to A4, twice), played once when a
  cancelled order shows struck through: unlike the rising chime and the bright alert.

Output: static/orders_app/sounds/, 22.05 kHz, 16-bit mono. Deterministic: re-running gives
identical files.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22_050
OUT = Path(__file__).resolve().parent.parent / "static" / "orders_app" / "sounds"


def _bell(freq: float, start: float, length: float, total: float, *, decay: float) -> list[float]:
    samples = [0.0] * int(total * RATE)
    first = int(start * RATE)
    for n in range(int(length * RATE)):
        i = first + n
        if i >= len(samples):
            break
        t = n / RATE
        attack = min(t / 0.008, 1.0)  # 8 ms attack: no click
        env = attack * math.exp(-t * decay)
        tone = (
            math.sin(2 * math.pi * freq * t)
            + 0.35 * math.sin(2 * math.pi * freq * 2 * t) * math.exp(-t * 3)
            + 0.12 * math.sin(2 * math.pi * freq * 3.01 * t) * math.exp(-t * 6)
        )
        samples[i] += env * tone
    return samples


def _beep(freq: float, start: float, length: float, total: float) -> list[float]:
    samples = [0.0] * int(total * RATE)
    first = int(start * RATE)
    count = int(length * RATE)
    for n in range(count):
        t = n / RATE
        edge = min(t / 0.006, (count - n) / RATE / 0.012, 1.0)  # soft on and off
        tone = math.sin(2 * math.pi * freq * t) + 0.3 * math.sin(2 * math.pi * freq * 2 * t)
        samples[first + n] += edge * tone
    return samples


def _mix(*tracks: list[float]) -> list[float]:
    length = max(len(t) for t in tracks)
    return [sum(t[i] for t in tracks if i < len(t)) for i in range(length)]


def _write(path: Path, samples: list[float], *, peak: float = 0.8) -> None:
    top = max(abs(s) for s in samples) or 1.0
    frames = b"".join(
        struct.pack("<h", int(max(-1.0, min(1.0, s / top * peak)) * 32767)) for s in samples
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(frames)


def chime() -> list[float]:
    total = 1.4
    return _mix(
        _bell(783.99, 0.0, 1.0, total, decay=4.0),  # G5
        _bell(1046.50, 0.18, 1.2, total, decay=3.2),  # C6
    )


def alert() -> list[float]:
    total = 1.05
    tracks = []
    for k in range(3):
        start = k * 0.34
        tracks.append(_beep(880.0, start, 0.13, total))  # A5
        tracks.append(_beep(1318.51, start + 0.13, 0.13, total))  # E6
    return _mix(*tracks)


def cancel() -> list[float]:
    total = 1.3
    return _mix(
        _bell(659.25, 0.0, 0.35, total, decay=7.0),  # E5
        _bell(440.00, 0.22, 0.5, total, decay=5.0),  # A4
        _bell(659.25, 0.62, 0.35, total, decay=7.0),
        _bell(440.00, 0.84, 0.46, total, decay=5.0),
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    _write(OUT / "chime.wav", chime(), peak=0.7)
    _write(OUT / "alert.wav", alert(), peak=0.85)
    _write(OUT / "cancel.wav", cancel(), peak=0.75)
    for name in ("chime.wav", "alert.wav", "cancel.wav"):
        print(f"{OUT / name} {(OUT / name).stat().st_size} bytes")


if __name__ == "__main__":
    main()
