"""A service's files in the state folder: ``<name>.json`` (what runs, written atomically) and
``<name>.log`` (what it did), and how a state record is judged against the live processes.

The state folder is ``$AFS_SERVICES_DIR``, else ``services.state_dir`` when a config file or
``AFS_SERVICES_STATE_DIR`` sets it, else ``$XDG_STATE_HOME/afs/services``, else
``~/.local/state/afs/services``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from afs.atomic_dir import atomic_write
from afs.config import load_config
from afs.errors import DataError
from afs.services.process import (
    pid_exists,
    process_cmdline,
    process_start_time,
    started_in_another_boot,
)

SERVICES_DIR_ENV = "AFS_SERVICES_DIR"
RUNNING, STOPPED, CRASHED, NOT_STARTED = "running", "stopped", "crashed", "not started"
RUNNER_MODULE = "afs.services.runner"


def now_text() -> str:
    """The time now, UTC, ISO 8601 to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def services_dir(config=None) -> Path:
    """The state folder (see the module docstring); ``config`` is an ``AfsConfig`` or None to
    load one."""
    if os.environ.get(SERVICES_DIR_ENV):
        return Path(os.environ[SERVICES_DIR_ENV]).expanduser()
    if config is None:
        config = load_config()
    if config.sources.get("services.state_dir", "default") != "default":
        return Path(config.services.state_dir).expanduser()
    if os.environ.get("XDG_STATE_HOME"):
        return Path(os.environ["XDG_STATE_HOME"]).expanduser() / "afs" / "services"
    return Path(config.services.state_dir).expanduser()


@dataclass
class ServiceState:
    """What ``<name>.json`` records. ``status`` is what the last writer knew ("running" from
    the runner, "stopped" after a clean stop); whether a "running" record is still true is for
    :func:`judge` to say."""

    name: str
    status: str = STOPPED
    pid: int | None = None
    start_time: str | None = None  # process_start_time(pid) when it was recorded
    cmdline: str | None = None
    started_at: str | None = None
    stopped_at: str | None = None
    stop_reason: str | None = None
    managed_by: str = "afs"  # "afs" (afs services start) or "foreground" (systemd, launchd, …)
    interval_s: float | None = None
    ticks: int = 0
    last_tick_at: str | None = None
    memo: dict[str, Any] = field(default_factory=dict)  # the service's own notes between ticks

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def state_path(directory: Path, name: str) -> Path:
    return directory / f"{name}.json"


def log_path(directory: Path, name: str) -> Path:
    return directory / f"{name}.log"


def read_state(directory: Path, name: str) -> ServiceState | None:
    """The recorded state of ``name``, or None when it was never started here."""
    path = state_path(directory, name)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise DataError(f"unreadable service state ({error}); delete the file to reset it",
                        path=path) from None
    known = {f.name for f in fields(ServiceState)}
    if not isinstance(data, dict) or data.get("name") != name:
        raise DataError(f"not a state record of service {name!r}; delete the file to reset it",
                        path=path)
    return ServiceState(**{key: value for key, value in data.items() if key in known})


def write_state(directory: Path, state: ServiceState) -> Path:
    """Write ``state`` atomically (temp file + rename): a reader never sees half a record."""
    path = state_path(directory, state.name)
    with atomic_write(path, "w") as handle:
        json.dump(state.to_dict(), handle, indent=2)
        handle.write("\n")
    return path


@dataclass(frozen=True)
class Judgement:
    """What a state record means now: ``status`` is running, stopped, crashed or not started;
    ``detail`` says why, in a few words."""

    name: str
    status: str
    detail: str
    state: ServiceState | None

    @property
    def running(self) -> bool:
        return self.status == RUNNING

    @property
    def pid(self) -> int | None:
        return self.state.pid if self.running and self.state else None


def is_runner_of(cmdline: str | None, name: str) -> bool:
    """True when ``cmdline`` runs ``afs.services.runner NAME`` (None: unreadable, benefit of
    the doubt, the start time already matched)."""
    if cmdline is None:
        return True
    words = cmdline.split()
    return RUNNER_MODULE in words and name in words[words.index(RUNNER_MODULE) + 1:]


def judge(name: str, state: ServiceState | None) -> Judgement:
    """Running only when the recorded PID is alive AND is the same process: same start time
    (a reboot or PID reuse changes it) and a runner command line for this service."""
    if state is None:
        return Judgement(name, NOT_STARTED, "never started here", None)
    if state.status != RUNNING:
        how = f", {state.stop_reason}" if state.stop_reason else ""
        return Judgement(name, STOPPED, f"since {state.stopped_at or '?'}{how}", state)
    pid = state.pid or 0
    if not pid_exists(pid):
        return Judgement(name, CRASHED, f"process {pid} is gone without a clean stop", state)
    started = process_start_time(pid)
    if started is not None and state.start_time is not None and started != state.start_time:
        why = "the machine restarted since" if started_in_another_boot(started, state.start_time) \
            else "it is another process now"
        return Judgement(name, CRASHED, f"process {pid} is gone ({why}; PID reused)", state)
    if not is_runner_of(process_cmdline(pid), name):
        return Judgement(name, CRASHED,
                         f"process {pid} is gone (PID reused by another command)", state)
    return Judgement(name, RUNNING, f"pid {pid} since {state.started_at}", state)
