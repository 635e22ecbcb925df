"""Progress of a long step, for a person watching a terminal or reading a log: the one helper
every stage uses (LoRA epochs, the tiny base model, dedup's clustering, scoring, the
discriminator's training).

On a terminal (``stream.isatty()``) a phase draws a tqdm bar. Otherwise it writes plain lines:
nothing for its first ``quiet_for`` seconds (a step that ends sooner says nothing, so a short
run's console stays short), then how far it is with the rate and the time left, again every
``every`` seconds, and one line when it ends. A phase whose work cannot be counted (a library
call that reports nothing) says how long it has been running instead.

The lines go through the ``afs.progress`` logger when the ``afs`` logger has handlers of its
own (a Kedro session: conf/logging.yml sends them to the console and logs/afs.log, and the
notebook's level hides them); otherwise (the ``afs`` command line, a script) they are printed
to the stream, stderr by default.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, TextIO

DEFAULT_EVERY = 30.0  # seconds between two progress lines when not on a terminal
DEFAULT_QUIET_FOR = 5.0  # a phase shorter than this prints no line
LOGGER_NAME = "afs.progress"
BYTES = "B"


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


def amount(count: float, unit: str) -> str:
    """``12 batches``, ``1 step``; bytes scaled: ``3.4 MB``."""
    if unit == BYTES:
        size = float(count)
        for prefix in ("", "k", "M", "G"):
            if size < 1000 or prefix == "G":
                return f"{size:.0f} {prefix}B" if not prefix else f"{size:.1f} {prefix}B"
            size /= 1000
    number = f"{count:.0f}" if float(count).is_integer() else f"{count:.1f}"
    return f"{number} {unit if count == 1 else plural(unit)}"


def rate_text(rate: float, unit: str) -> str:
    """``2.5/s`` (the unit is in the count just before it), ``1.2 MB/s``: short, so that a
    line fits beside the console's time and level at 80 columns."""
    if unit == BYTES:
        return f"{amount(rate, BYTES)}/s"
    return f"{rate:.1f}/s"


def afs_logging_configured() -> bool:
    """Whether logging was set up for AFS (the ``afs`` logger has handlers of its own, as
    conf/logging.yml gives it in every Kedro session)."""
    return bool(logging.getLogger("afs").handlers)


class Phase:
    """One phase (an epoch, scoring a file): ``update(n)`` or ``update_to(done)`` as work is
    done, ``close(note)`` at the end. ``total`` None: the work is not counted."""

    def __init__(self, reporter: Reporter, desc: str, total: int | None, unit: str):
        self.reporter, self.desc, self.total, self.unit = reporter, desc, total, unit
        self.done = 0
        self.started = time.monotonic()
        self.next_line = self.started + reporter.quiet_for
        self.spoke = False
        self.bar: Any = None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._lock = threading.Lock()  # update() may come from worker threads
        if not reporter.enabled:
            return
        if reporter.bar and total is not None:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=desc, unit=unit, leave=False,
                            unit_scale=unit == BYTES, file=reporter.stream)
        elif total is None:  # nothing will call update: a thread says it is still running
            self._ticker = threading.Thread(target=self._tick, daemon=True,
                                            name=f"progress: {desc}")
            self._ticker.start()
        elif reporter.quiet_for <= 0:
            self._say(f"{desc}: {amount(total, unit)}")

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def update(self, n: int = 1) -> None:
        with self._lock:
            self._advance(self.done + n)

    def update_to(self, done: int) -> None:
        """``done`` units of the total are done (never more than the total)."""
        with self._lock:
            self._advance(done)

    def _advance(self, done: int) -> None:
        if self.total is not None:
            done = min(done, self.total)
        step, self.done = done - self.done, done
        if self.bar is not None:
            self.bar.update(step)
            return
        now = time.monotonic()
        if self.reporter.enabled and now >= self.next_line:
            self.next_line = now + self.reporter.every
            self._say(self._progress_line())

    def _progress_line(self) -> str:
        rate = self.rate()
        line = f"{self.desc}: {self._counted()}, {rate_text(rate, self.unit)}"
        if self.total is None:
            return line
        left = (self.total - self.done) / rate if rate else 0.0
        return f"{line}, ETA {format_duration(left)}"

    def _counted(self) -> str:
        """``12/40 batches``, ``3.4 MB of 12.0 MB``; without a total ``12 batches``."""
        if self.total is None:
            return amount(self.done, self.unit)
        if self.unit == BYTES:
            return f"{amount(self.done, BYTES)} of {amount(self.total, BYTES)}"
        return f"{self.done}/{self.total} {plural(self.unit)}"

    def _tick(self) -> None:
        wait = self.reporter.quiet_for
        while not self._stop.wait(wait):
            self._say(f"{self.desc}: running for "
                      f"{format_duration(time.monotonic() - self.started)}")
            wait = self.reporter.every

    def _say(self, text: str) -> None:
        self.spoke = True
        self.reporter.line(text)

    def close(self, note: str = "") -> None:
        """End the phase: a bar is removed, and a line gives its duration (and ``note``) when
        it has a note or lasted ``quiet_for`` seconds or more."""
        self._end()
        self.bar = None
        seconds = time.monotonic() - self.started
        if not (note or self.spoke or seconds >= self.reporter.quiet_for):
            return
        self.reporter.line(f"{self.desc}: done in {format_duration(seconds)}"
                           + (f"; {note}" if note else ""))

    def _end(self) -> None:
        if self._ticker is not None:
            self._stop.set()
            self._ticker.join()
            self._ticker = None
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> Phase:
        return self

    def __exit__(self, *exc: object) -> None:
        self._end()
        self.bar = None


class Reporter:
    """Where progress goes. ``enabled`` False prints nothing; ``bar`` None picks tqdm bars on a
    terminal and lines otherwise; ``logger`` (default: ``afs.progress`` when logging is set up
    for AFS and no ``stream`` is given) receives the lines instead of the stream."""

    def __init__(self, enabled: bool = True, stream: TextIO | None = None,
                 bar: bool | None = None, every: float = DEFAULT_EVERY,
                 quiet_for: float = DEFAULT_QUIET_FOR, logger: logging.Logger | None = None):
        self.enabled = enabled
        self.stream = stream or sys.stderr
        isatty = getattr(self.stream, "isatty", lambda: False)
        self.bar = isatty() if bar is None else bar
        self.every = every
        self.quiet_for = quiet_for
        if logger is None and stream is None and afs_logging_configured():
            logger = logging.getLogger(LOGGER_NAME)
        self.logger = logger

    def line(self, text: str) -> None:
        if not self.enabled:
            return
        if self.logger is not None:
            self.logger.info(text)
        elif self.bar:
            from tqdm.auto import tqdm

            tqdm.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def phase(self, desc: str, total: int | None, unit: str = "batch") -> Phase:
        return Phase(self, desc, total, unit)


def as_reporter(progress: bool | Reporter | None) -> Reporter:
    """A ``progress`` argument as a Reporter: one given is used as it is; True shows progress
    (bars on a terminal, lines otherwise); False or None shows none."""
    if isinstance(progress, Reporter):
        return progress
    return Reporter(enabled=bool(progress))


@contextlib.contextmanager
def library_bars(reporter: Reporter) -> Iterator[None]:
    """Hugging Face transformers' own bars (loading weights, writing shards) only where ours
    are bars: off a terminal each printed a line of carriage-return redraws into the log."""
    import transformers.utils.logging as hf_logging

    was_on = hf_logging.is_progress_bar_enabled()
    if reporter.bar and reporter.enabled:
        yield
        return
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_on:
            hf_logging.enable_progress_bar()
