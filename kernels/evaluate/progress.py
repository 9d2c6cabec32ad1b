"""Progress lines with an ETA, at a rate a terminal and the Dagster event log can bear.

A training loop or a sweep over seeds calls ``update`` after every unit of work; a line is
logged at most every ``every_s`` seconds (and always for the last unit), so a 500-epoch
student writes a handful of lines instead of one per 20 epochs, and each line says how far
along the work is and how long the rest should take at the pace so far.
"""
from __future__ import annotations

import time
from collections.abc import Callable

Log = Callable[[str], None]


class Progress:
    """``update(done, detail)`` logs ``<what> <done>/<total> (<pct>%) · <elapsed> s, ETA <s> s · detail``.

    ``total`` is an upper bound where work may stop early (epochs under early stopping); the
    ETA then says "at most".
    """

    def __init__(self, log: Log, what: str, total: int, *, every_s: float = 5.0, upper_bound: bool = False) -> None:
        self.log, self.what, self.total, self.every_s, self.upper_bound = log, what, max(total, 1), every_s, upper_bound
        self.start = self.last = time.perf_counter()

    def eta(self, done: int) -> float:
        """Seconds left at the average pace of the ``done`` units so far."""
        elapsed = time.perf_counter() - self.start
        return elapsed / max(done, 1) * (self.total - done)

    def update(self, done: int, detail: str = "", *, force: bool = False) -> None:
        now = time.perf_counter()
        if not (force or done >= self.total or now - self.last >= self.every_s):
            return
        self.last = now
        bound = "≤ " if self.upper_bound and done < self.total else ""
        tail = f" · {detail}" if detail else ""
        self.log(f"{self.what} {done}/{self.total} ({100 * done / self.total:.0f}%) · {now - self.start:.1f} s, "
                 f"ETA {bound}{self.eta(done):.0f} s{tail}")
