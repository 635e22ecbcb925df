"""Progress of a training run, for a person watching a terminal or a log.

On a terminal (``stream.isatty()``) each phase draws a tqdm bar; otherwise the same progress
is printed as plain lines - one when a phase starts, one every ``every`` seconds with the
rate and the time left, one when it ends - so that a piped or logged run is never silent.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

DEFAULT_EVERY = 30.0  # seconds between two progress lines when not on a terminal


def format_duration(seconds: float) -> str:
    """``75`` -> ``1m15s``, ``3725`` -> ``1h02m05s``."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def plural(unit: str) -> str:
    """``batch`` -> ``batches``, ``example`` -> ``examples``."""
    return unit + ("es" if unit.endswith(("ch", "sh", "s", "x")) else "s")


class Phase:
    """One phase (an epoch, scoring a held-out set): ``update(n)`` as work is done."""

    def __init__(self, reporter: Reporter, desc: str, total: int, unit: str):
        self.reporter, self.desc, self.total, self.unit = reporter, desc, total, unit
        self.done = 0
        self.started = self.last = time.monotonic()
        self.bar: Any = None
        if reporter.enabled and reporter.bar:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=desc, unit=unit, leave=False,
                            file=reporter.stream)
        elif reporter.enabled:
            reporter.line(f"{desc}: {total} {plural(unit)}")

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def update(self, n: int = 1) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
            return
        now = time.monotonic()
        if self.reporter.enabled and now - self.last >= self.reporter.every:
            self.last = now
            rate = self.rate()
            left = (self.total - self.done) / rate if rate else 0.0
            self.reporter.line(f"{self.desc}: {self.done}/{self.total} {plural(self.unit)}, "
                               f"{rate:.1f} {plural(self.unit)}/s, ETA {format_duration(left)}")

    def close(self, note: str = "") -> None:
        if self.bar is not None:
            self.bar.close()
        seconds = time.monotonic() - self.started
        if self.reporter.enabled:
            self.reporter.line(f"{self.desc}: done in {format_duration(seconds)}"
                               + (f"; {note}" if note else ""))

    def __enter__(self) -> Phase:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Reporter:
    """Where progress goes: ``enabled`` False prints nothing; ``bar`` None picks tqdm bars on
    a terminal and plain lines otherwise."""

    def __init__(self, enabled: bool = True, stream: TextIO | None = None,
                 bar: bool | None = None, every: float = DEFAULT_EVERY):
        self.enabled = enabled
        self.stream = stream or sys.stderr
        isatty = getattr(self.stream, "isatty", lambda: False)
        self.bar = isatty() if bar is None else bar
        self.every = every

    def line(self, text: str) -> None:
        if not self.enabled:
            return
        if self.bar:
            from tqdm.auto import tqdm

            tqdm.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def phase(self, desc: str, total: int, unit: str = "batch") -> Phase:
        return Phase(self, desc, total, unit)
