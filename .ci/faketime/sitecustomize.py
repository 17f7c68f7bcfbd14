"""Loaded only by the faketime run of the suite (``.ci/faketime_at.py`` puts this folder on
PYTHONPATH), in every Python process it starts.

That run fakes the wall clock alone (``FAKETIME_DONT_FAKE_MONOTONIC=1``): were the monotonic
clock faked too, Python's timed waits (``Event.wait``, ``Lock.acquire(timeout=...)``) would hand
the kernel a deadline hours away and hang. But Debian 12's libfaketime 0.9.10 then refuses the
absolute monotonic deadline that ``time.sleep`` passes to ``clock_nanosleep`` (EINVAL), so sleep
waits in ``select`` instead, which keeps the same semantics for the suite's purposes.
"""

import os
import select
import time

if os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1":

    def _sleep(seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        select.select([], [], [], seconds)

    time.sleep = _sleep
