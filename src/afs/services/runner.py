"""``python -m afs.services.runner NAME [--foreground]``: run one service until told to stop.

It records itself in ``<name>.json`` (pid, start time, command line), calls the service's
``tick`` every interval and writes one line per event to stdout, which ``afs services start``
points at ``<name>.log`` (a systemd unit or launchd plist does the same). SIGTERM or SIGINT
lets the current tick finish, logs "stopped", records a clean stop and exits 0.
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import sys
import time
import traceback

from afs.errors import AfsError
from afs.services.base import get_service
from afs.services.logs import format_log_lines
from afs.services.process import process_cmdline, process_start_time
from afs.services.state import (
    RUNNING,
    STOPPED,
    ServiceState,
    now_text,
    read_state,
    services_dir,
    write_state,
)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopRequest:
    """Remembers a stop signal; ``wait`` sleeps until the timeout or the signal, whichever
    comes first (the signal wakes ``select`` through a wakeup pipe)."""

    def __init__(self) -> None:
        self.signal_name: str | None = None
        self._wakeup, write = os.pipe()
        for fd in (self._wakeup, write):
            os.set_blocking(fd, False)
        signal.set_wakeup_fd(write)
        for number in STOP_SIGNALS:
            signal.signal(number, self._handle)

    def _handle(self, number: int, _frame) -> None:
        self.signal_name = signal.Signals(number).name

    def wait(self, seconds: float) -> bool:
        """True when a stop was requested (at once, or within ``seconds``)."""
        deadline = time.monotonic() + seconds
        while self.signal_name is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if select.select([self._wakeup], [], [], remaining)[0]:
                try:
                    os.read(self._wakeup, 512)
                except BlockingIOError:
                    pass
        return True


def log_line(name: str, message: str) -> None:
    """``2025-01-01T12:00:00Z memory-export: message`` on stdout, flushed (it is the log)."""
    print("\n".join(format_log_lines(name, message)), flush=True)


def run_service(name: str, foreground: bool = False) -> int:
    """Run service ``name`` until a stop signal; the exit code (0 after a clean stop)."""
    service = get_service(name)

    def log(message: str) -> None:
        log_line(name, message)

    interval = service.interval_s()
    directory = services_dir(service.config)
    previous = read_state(directory, name)
    service.memo = dict(previous.memo) if previous else {}
    stop = StopRequest()
    pid = os.getpid()
    state = ServiceState(name=name, status=RUNNING, pid=pid, start_time=process_start_time(pid),
                         cmdline=process_cmdline(pid), started_at=now_text(),
                         managed_by="foreground" if foreground else "afs", interval_s=interval,
                         memo=service.memo)
    write_state(directory, state)
    log(f"started (pid {pid}, every {interval:g} s, state in {directory})")
    while True:
        try:
            service.tick(log)
        except AfsError as error:  # one bad round is logged; the service keeps its schedule
            log(f"tick failed: {error}")
        except Exception:  # noqa: BLE001
            log(f"tick failed:\n{traceback.format_exc().rstrip()}")
        state.ticks += 1
        state.last_tick_at = now_text()
        state.memo = service.memo
        write_state(directory, state)
        if stop.wait(interval):
            break
    state.status, state.stopped_at, state.stop_reason = STOPPED, now_text(), stop.signal_name
    write_state(directory, state)
    log(f"stopped ({stop.signal_name})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m afs.services.runner",
                                     description="Run one AFS service until SIGTERM.")
    parser.add_argument("name", help="the service, e.g. memory-export or context-warm")
    parser.add_argument("--foreground", action="store_true",
                        help="started by systemd, launchd or by hand rather than by "
                             "`afs services start` (recorded in the state file)")
    args = parser.parse_args(argv)
    try:
        return run_service(args.name, foreground=args.foreground)
    except Exception as error:  # noqa: BLE001 - the log is all a detached process has: say it there
        detail = str(error) if isinstance(error, AfsError) else traceback.format_exc().rstrip()
        log_line(args.name, f"error: {detail}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
