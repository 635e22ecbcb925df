"""The built-in supervisor behind `afs services start|stop|restart|status|list`.

``start`` spawns ``python -m afs.services.runner NAME`` in a new session (no terminal, stdin
from /dev/null, stdout and stderr appended to ``<name>.log``), so it outlives the command, and
waits until the runner has recorded itself. ``stop`` sends SIGTERM, waits, then SIGKILL. Status
comes from :func:`afs.services.state.judge`: a PID counts only when it is still the same process.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from afs.errors import AfsError
from afs.services.base import get_service, service_names
from afs.services.logs import append_log_line, tail_lines
from afs.services.process import pid_exists, process_start_time
from afs.services.state import (
    CRASHED,
    RUNNER_MODULE,
    RUNNING,
    STOPPED,
    Judgement,
    ServiceState,
    judge,
    log_path,
    now_text,
    read_state,
    services_dir,
    write_state,
)

START_WAIT_S = 20.0  # how long `start` waits for the runner to record itself
DEFAULT_STOP_TIMEOUT_S = 10.0
KILL_WAIT_S = 5.0
POLL_S = 0.05


class ServiceError(AfsError):
    """A service could not be started or stopped; the message says why and where to look."""


@dataclass(frozen=True)
class Outcome:
    """What a command did: ``changed`` is False for a no-op (already running, not running)."""

    name: str
    message: str
    changed: bool
    pid: int | None = None


def status(name: str, directory: Path | None = None) -> Judgement:
    """Whether ``name`` runs now (running, stopped, crashed or not started) and why."""
    get_service(name)  # an unknown name is a ConfigError
    directory = directory or services_dir()
    return judge(name, read_state(directory, name))


def list_services(directory: Path | None = None) -> list[Judgement]:
    """The status of every service, by name."""
    directory = directory or services_dir()
    return [status(name, directory) for name in service_names()]


def start(name: str, directory: Path | None = None, wait_s: float = START_WAIT_S) -> Outcome:
    """Start ``name`` in the background, unless it runs already (then a no-op)."""
    service = get_service(name)
    service.interval_s()  # a bad interval fails here, not in a detached process
    directory = directory or services_dir(service.config)
    with _service_lock(directory, name):
        current = judge(name, read_state(directory, name))
        if current.running:
            return Outcome(name, f"{name} is already running ({current.detail}); nothing to do",
                           False, current.pid)
        log = log_path(directory, name)
        with log.open("ab") as handle:
            child = subprocess.Popen(
                [sys.executable, "-m", RUNNER_MODULE, name], stdin=subprocess.DEVNULL,
                stdout=handle, stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
        _wait_until_recorded(child, directory, name, wait_s, log)
    return Outcome(name, f"{name} started (pid {child.pid}, every {service.interval_s():g} s); "
                         f"log: {log}", True, child.pid)


def stop(name: str, directory: Path | None = None,
         timeout_s: float = DEFAULT_STOP_TIMEOUT_S) -> Outcome:
    """Stop ``name``: SIGTERM, then SIGKILL when it has not exited after ``timeout_s``.
    Stopping a service that does not run is a no-op (a crashed one is recorded as stopped)."""
    get_service(name)
    directory = directory or services_dir()
    with _service_lock(directory, name):
        current = judge(name, read_state(directory, name))
        if not current.running:
            if current.status == CRASHED:
                _record_stop(directory, name, "found crashed")
            return Outcome(name, f"{name} is not running ({current.status}: {current.detail}); "
                                 "nothing to stop", False)
        pid, start_time = current.state.pid, current.state.start_time
        began = time.monotonic()
        _signal(pid, signal.SIGTERM)
        if _wait_gone(pid, start_time, timeout_s):
            how = f"SIGTERM, {time.monotonic() - began:.1f} s"
        else:
            _signal(pid, signal.SIGKILL)
            if not _wait_gone(pid, start_time, KILL_WAIT_S):
                raise ServiceError(f"{name}: pid {pid} is still alive after SIGKILL")
            how = f"SIGKILL after {timeout_s:g} s: SIGTERM was not enough"
            append_log_line(log_path(directory, name), name,
                            f"killed (did not stop within {timeout_s:g} s of SIGTERM)")
        _record_stop(directory, name, how)
    return Outcome(name, f"{name} stopped (pid {pid}, {how})", True, pid)


def restart(name: str, directory: Path | None = None,
            timeout_s: float = DEFAULT_STOP_TIMEOUT_S) -> Outcome:
    """Stop (if running) then start: the new process reads the environment and config anew.
    A bad setting fails before anything is stopped."""
    get_service(name).interval_s()
    stopped = stop(name, directory, timeout_s)
    started = start(name, directory)
    return Outcome(name, f"{stopped.message}\n{started.message}", True, started.pid)


@contextmanager
def _service_lock(directory: Path, name: str) -> Iterator[None]:
    """One start/stop of ``name`` at a time (two `afs services start` never race)."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / f".{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _wait_until_recorded(child: subprocess.Popen, directory: Path, name: str, wait_s: float,
                         log: Path) -> None:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        code = child.poll()
        if code is not None:
            last = " | ".join(tail_lines(log, 3)) or "(nothing logged)"
            raise ServiceError(f"{name} exited at start with code {code}: {last} (log: {log})")
        state = read_state(directory, name)
        if state is not None and state.pid == child.pid and state.status == RUNNING:
            return
        time.sleep(POLL_S)
    raise ServiceError(f"{name} (pid {child.pid}) did not report running within {wait_s:g} s; "
                       f"see {log}")


def _signal(pid: int, number: signal.Signals) -> None:
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass  # it exited on its own meanwhile


def _wait_gone(pid: int, start_time: str | None, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        if not pid_exists(pid) or (start_time and process_start_time(pid) not in (None, start_time)):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)


def _record_stop(directory: Path, name: str, reason: str) -> None:
    """Mark the record stopped; a clean stop the runner recorded itself keeps its reason."""
    state = read_state(directory, name) or ServiceState(name=name)
    if state.status == STOPPED and state.stop_reason:
        return
    state.status, state.stopped_at, state.stop_reason = STOPPED, now_text(), reason
    write_state(directory, state)
