"""Kedro hooks that make a `kedro run` safe to interrupt and to start twice.

- Parameters are checked before anything runs: a key no step reads (a typo) stops the run with
  one line naming it (``afs.pipelines.parameters``).
- One run at a time per project: a run holds ``data/.kedro_run.lock`` (``fcntl.flock``, freed
  by the kernel when the process ends, however it ends). A second run stops at once with one
  line naming the holder's pid and command, before anything is read, written or tracked.
- SIGTERM and SIGINT unwind the run (``finally`` blocks remove temporaries and stop servers),
  then the active MLflow run(s) end as KILLED: no MLflow run stays RUNNING, none is marked
  FINISHED by MLflow's own exit handler. The handler itself writes nothing: the signal may land
  inside a store transaction, and a write from the handler would wait on that transaction's
  lock ("database is locked") and fail. The runs end once the stack has unwound, from an
  ``atexit`` function that runs before MLflow's, or, in a notebook that lives on, when the
  next run starts.

Light on purpose: ``settings.py`` imports this for every Kedro command.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl

from afs.cli.group import UserError
from afs.errors import AfsError, ConfigError

log = logging.getLogger(__name__)

LOCK_NAME = ".kedro_run.lock"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class RunLockedError(AfsError):
    """Another `kedro run` of the same project holds the run lock."""


class RunLock:
    """An exclusive, non-blocking ``flock`` on ``path``, with the holder written inside."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self, what: str) -> None:
        """Take the lock, or raise RunLockedError naming the holder."""
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 4096).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise RunLockedError(
                f"another run of this project is in progress ({holder}; lock "
                f"{self.path}); wait for it to end or stop it, then run again") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}: "
                     f"{what}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing frees the flock; the file stays (its inode is the lock)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None


def check_run_parameters(catalog: Any) -> None:
    """Stop with one ``error:`` line when the run's parameters hold a key nothing reads."""
    from afs.pipelines.parameters import check_parameters  # the library: only when a run starts

    try:
        parameters = catalog.load("parameters")
    except Exception:  # noqa: BLE001 - a catalog without parameters has nothing to check
        return
    try:
        check_parameters(parameters)
    except ConfigError as error:
        raise UserError(str(error)) from None


def end_active_mlflow_runs(status: str) -> None:
    """End every active MLflow run of this process (innermost first) with ``status``."""
    mlflow = sys.modules.get("mlflow")  # no run can be active if mlflow was never imported
    if mlflow is None:
        return
    with contextlib.suppress(Exception):  # the interrupt must go on even if the store fails
        while mlflow.active_run() is not None:
            mlflow.end_run(status=status)


class RunGuardHooks:
    """The run lock and the signal handling around each ``kedro run`` (see the module doc)."""

    def __init__(self) -> None:
        self._lock: RunLock | None = None
        self._previous_handlers: dict[int, Any] = {}
        self._stopped_by: int | None = None
        self._exit_handler_registered = False

    @hook_impl(tryfirst=True)  # before kedro-mlflow starts a run that a refusal would orphan
    def before_pipeline_run(self, run_params: dict[str, Any], catalog: Any = None) -> None:
        if catalog is not None:
            check_run_parameters(catalog)
        project = Path(run_params.get("project_path") or Path.cwd())
        self._lock = RunLock(project / "data" / LOCK_NAME)
        try:
            self._lock.acquire(" ".join(["kedro", *sys.argv[1:]]) or "kedro run")
        except RunLockedError as error:
            raise UserError(str(error)) from None  # one `error:` line, exit 1
        self._end_runs_left_by_a_stop()
        self._register_exit_handler()
        self._install_signal_handlers()

    @hook_impl(trylast=True)  # after kedro-mlflow has closed its run
    def after_pipeline_run(self) -> None:
        self._finish()

    @hook_impl(trylast=True)
    def on_pipeline_error(self) -> None:
        self._finish()

    def _finish(self) -> None:
        self._restore_signal_handlers()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _install_signal_handlers(self) -> None:
        if not threading_main():
            return  # signal handlers can only be set from the main thread
        for signum in STOP_SIGNALS:
            self._previous_handlers[signum] = signal.signal(signum, self._on_stop_signal)

    def _restore_signal_handlers(self) -> None:
        for signum, handler in self._previous_handlers.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(signum, handler)
        self._previous_handlers.clear()

    def _register_exit_handler(self) -> None:
        if self._exit_handler_registered:
            return
        import mlflow  # noqa: F401  (first, so MLflow's own atexit end_run runs after ours)

        atexit.register(self._end_runs_left_by_a_stop)
        self._exit_handler_registered = True

    def _end_runs_left_by_a_stop(self) -> None:
        if self._stopped_by is not None:
            end_active_mlflow_runs("KILLED")
            self._stopped_by = None

    def _on_stop_signal(self, signum: int, frame: Any) -> None:
        name = signal.Signals(signum).name
        log.warning("%s received: stopping; the MLflow run ends as KILLED", name)
        self._stopped_by = signum
        self._finish()
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)


def threading_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
