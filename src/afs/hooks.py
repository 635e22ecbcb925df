"""Kedro hooks that make a `kedro run` safe to interrupt and to start twice, and stop a run
that cannot succeed before it does anything.

- Parameters are checked before anything runs: a key no step reads (a typo) stops the run with
  one line naming it (``afs.pipelines.parameters``).
- A pipeline run alone (``kedro run --pipelines=curation``) whose inputs another stage makes
  and has not made yet stops with one line naming the files and the stages to run first,
  before any node runs, any file is written or any MLflow run is started.
- One run at a time per project: a run holds ``data/.kedro_run.lock`` (``fcntl.flock``, freed
  by the kernel when the process ends, however it ends). A second run stops at once with one
  line naming the holder's pid and command, before anything is read, written or tracked.
- One MLflow store per project: a relative ``sqlite:///mlflow.db`` in ``conf/base/mlflow.yml``
  names the project's file wherever Kedro is started from (a notebook in ``notebooks/``);
  kedro-mlflow makes relative paths absolute but leaves a database URI to the working folder.
- Each MLflow run is named after what ran and when (``kedro run 2026-12-08 01:22``,
  ``curation 2026-12-08 01:22``; kedro-mlflow named them all ``__default__`` or after the
  pipeline) unless mlflow.yml names it, and keeps the reports the run wrote (the JSON, HTML
  and PNG files of the reporting layer) as artifacts under ``reports/``.
- The console gets one line per node (``[3/30] curation.split_samples``) and one when the run
  ends, where Kedro logs five to seven per node (loads, saves, completions: to the log file
  only, see ``conf/logging.yml``).
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
import warnings
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl

from afs.cli.group import UserError
from afs.errors import AfsError, AfsWarning, ConfigError
from afs.progress import amount
from afs.tracking import log_artifact_file

log = logging.getLogger(__name__)

LOCK_NAME = ".kedro_run.lock"
# where kedro-mlflow looks for mlflow.yml (its own config pattern; settings.py declares it)
MLFLOW_CONFIG_PATTERNS = ["mlflow*", "mlflow*/**", "**/mlflow*"]
SQLITE_PREFIX = "sqlite:///"
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


def stage_pipelines() -> dict[str, Any]:
    """Every stage's pipeline by name, whatever ``--pipelines`` asked for (Kedro's registry
    then holds only the pipelines asked for; here we need the stages that make their inputs)."""
    import importlib

    from afs.pipeline_registry import PIPELINE_NAMES

    return {name: importlib.import_module(f"afs.pipelines.{name}").create_pipeline()
            for name in PIPELINE_NAMES}


def missing_upstream_inputs(pipeline: Any, catalog: Any,
                            stages: dict[str, Any]) -> dict[str, str]:
    """The free inputs of ``pipeline`` that a stage in ``stages`` makes and that do not exist
    yet, each mapped to the stage that makes it. Inputs no stage makes (the shipped raw
    files, the parameters) are left to the datasets' own checks."""
    made_by = {output: stage for stage, stage_pipeline in stages.items()
               for output in stage_pipeline.all_outputs()}
    return {name: made_by[name] for name in sorted(pipeline.inputs())
            if name in made_by and not catalog.exists(name)}


def stages_to_run_first(missing: dict[str, str], catalog: Any,
                        stages: dict[str, Any]) -> list[str]:
    """The stages that make ``missing``, and those their own missing inputs need, in the
    registry's (data) order."""
    needed: set[str] = set()
    todo = set(missing.values())
    while todo:
        stage = todo.pop()
        needed.add(stage)
        todo |= set(missing_upstream_inputs(stages[stage], catalog, stages).values()) - needed
    return [stage for stage in stages if stage in needed]


def dataset_file(catalog: Any, name: str) -> str | None:
    """The file or folder ``name`` is saved to; None for an in-memory dataset (one that a
    node hands to another within one run)."""
    config = catalog.config_resolver.resolve_pattern(name) or {}
    while isinstance(config.get("dataset"), dict):  # a wrapper (MlflowArtifactDataset)
        config = config["dataset"]
    return config.get("filepath") or config.get("path")


def dataset_location(catalog: Any, name: str, project: Path) -> str:
    """Where ``name`` lives, relative to the project when inside it (its name when it has no
    file)."""
    location = dataset_file(catalog, name)
    return shown_path(location, project) if location else name


def shown_path(path: str | Path, base: Path) -> str:
    """``path`` as a user reads it: relative to ``base`` when inside it, else absolute."""
    with contextlib.suppress(ValueError):
        return Path(path).relative_to(base).as_posix()
    return str(path)


def check_upstream_inputs(run_params: dict[str, Any], pipeline: Any, catalog: Any,
                          project: Path) -> None:
    """Stop with one ``error:`` line when the run needs files an upstream stage has not made
    yet (see the module doc)."""
    if all(catalog.exists(name) for name in pipeline.inputs()):
        return  # the usual case, decided without importing every stage
    stages = stage_pipelines()
    missing = missing_upstream_inputs(pipeline, catalog, stages)
    if not missing:
        return
    in_memory = sorted(name for name in missing if dataset_file(catalog, name) is None)
    if in_memory:
        raise UserError(handed_over_in_memory(in_memory, stages))
    asked = run_params.get("pipeline_names") or ["__default__"]
    what = "the run" if asked == ["__default__"] else f"the {' + '.join(asked)} pipeline"
    by_stage: dict[str, list[str]] = {}
    for name, stage in missing.items():
        by_stage.setdefault(stage, []).append(dataset_location(catalog, name, project))
    needs = "; ".join(f"{', '.join(files)} (made by `kedro run --pipelines={stage}`)"
                      for stage, files in by_stage.items())
    first = ",".join(stages_to_run_first(missing, catalog, stages))
    raise UserError(f"{what} needs {needs}; run `kedro run --pipelines={first}` first, or "
                    f"`kedro run` for every stage in order")


def handed_over_in_memory(names: list[str], stages: dict[str, Any]) -> str:
    """The message for a run that starts after the node handing ``names`` over in memory
    (``--from-nodes`` past it): no earlier run can have made them, so no stage to run first
    helps; the run must include that node."""
    makers = sorted({node.name for stage in stages.values() for node in stage.nodes
                     if set(node.outputs) & set(names)})
    return (f"the run needs {', '.join(names)}, which {' and '.join(makers)} hands over in "
            f"memory within one run: start the run at that node "
            f"(`kedro run --from-nodes={','.join(makers)}`) or run its whole stage")


def end_active_mlflow_runs(status: str) -> None:
    """End every active MLflow run of this process (innermost first) with ``status``."""
    mlflow = sys.modules.get("mlflow")  # no run can be active if mlflow was never imported
    if mlflow is None:
        return
    with contextlib.suppress(Exception):  # the interrupt must go on even if the store fails
        while mlflow.active_run() is not None:
            mlflow.end_run(status=status)


def project_store_uri(uri: str | None, project: Path) -> str | None:
    """``uri`` with a relative SQLite file made the project's (``sqlite:///mlflow.db`` ->
    ``sqlite:////path/to/project/mlflow.db``); any other URI as it is."""
    if not uri or not uri.startswith(SQLITE_PREFIX):
        return uri
    database = uri[len(SQLITE_PREFIX):]
    if not database or database.startswith("/") or database == ":memory:":
        return uri
    return f"{SQLITE_PREFIX}{Path(project).resolve() / database}"


class ProjectMlflowStore:
    """The MLflow store named in mlflow.yml, resolved against the project (the module doc)."""

    @hook_impl(tryfirst=True)  # before kedro-mlflow reads mlflow.yml and opens the store
    def after_context_created(self, context: Any) -> None:
        from kedro.config import MissingConfigException

        try:
            config = context.config_loader["mlflow"]
        except (KeyError, MissingConfigException):
            return  # no mlflow.yml: kedro-mlflow's defaults (mlruns in the project)
        server = config.get("server") or {}
        for key in ("mlflow_tracking_uri", "mlflow_registry_uri"):
            if key in server:
                server[key] = project_store_uri(server[key], context.project_path)
        context.config_loader["mlflow"] = config  # what kedro-mlflow reads next


REPORT_SUFFIXES = (".json", ".html", ".png")
REPORTS_ARTIFACT_PATH = "reports"
REPORTING_LAYER = "reporting"


def mlflow_run_name(run_params: dict[str, Any], started: float) -> str:
    """``kedro run 2026-12-08 01:22`` (every stage), ``curation 2026-12-08 01:22``,
    ``data_generation+quality_scoring ...``; ``(part)`` when nodes were picked out of them."""
    from afs.pipeline_registry import PIPELINE_NAMES

    names = run_params.get("pipeline_names") or ["__default__"]
    # in the stages' (data) order: Kedro hands --pipelines over as an unordered set
    order = {name: index for index, name in enumerate(PIPELINE_NAMES)}
    names = sorted(names, key=lambda name: (order.get(name, len(order)), name))
    what = "kedro run" if names == ["__default__"] else "+".join(names)
    picked = ("tags", "from_nodes", "to_nodes", "node_names", "from_inputs", "to_outputs",
              "namespaces", "only_missing_outputs")
    if any(run_params.get(key) for key in picked):
        what += " (part)"
    return f"{what} {time.strftime('%Y-%m-%d %H:%M', time.localtime(started))}"


def report_file(catalog: Any, name: str, project: Path) -> Path | None:
    """The file of dataset ``name`` when it is a report (a JSON, HTML or PNG file of the
    reporting layer) that no MlflowArtifactDataset logs already; else None."""
    config = catalog.config_resolver.resolve_pattern(name) or {}
    layer = ((config.get("metadata") or {}).get("kedro-viz") or {}).get("layer")
    if layer != REPORTING_LAYER or "Mlflow" in str(config.get("type", "")):
        return None
    location = config.get("filepath")
    if not location or Path(location).suffix not in REPORT_SUFFIXES:
        return None
    return Path(project, location)  # a relative filepath is the project's


class MlflowRunRecord:
    """What the MLflow run of a ``kedro run`` says: its name and its reports (the module
    doc). Runs after kedro-mlflow, which starts the run in its own ``before_pipeline_run``."""

    def __init__(self) -> None:
        self._named_in_config = False
        self._catalog: Any = None
        self._project = Path.cwd()

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        from kedro.config import MissingConfigException

        try:
            run = ((context.config_loader["mlflow"].get("tracking") or {}).get("run") or {})
        except (KeyError, MissingConfigException):
            run = {}
        self._named_in_config = bool(run.get("name") or run.get("id"))

    @hook_impl(trylast=True)  # after kedro-mlflow's start_run
    def before_pipeline_run(self, run_params: dict[str, Any], catalog: Any = None) -> None:
        self._catalog = catalog
        self._project = Path(run_params.get("project_path") or Path.cwd())
        mlflow = sys.modules.get("mlflow")
        if self._named_in_config or mlflow is None or mlflow.active_run() is None:
            return
        with contextlib.suppress(Exception):  # a name is a convenience, never a failed run
            mlflow.set_tag("mlflow.runName", mlflow_run_name(run_params, time.time()))

    @hook_impl  # after the save: Kedro's after_node_run comes before the outputs are written
    def after_dataset_saved(self, dataset_name: str) -> None:
        if self._catalog is None:
            return
        path = report_file(self._catalog, dataset_name, self._project)
        if path is not None and path.is_file():
            log_artifact_file(path, REPORTS_ARTIFACT_PATH)


class RunGuardHooks:
    """The run lock and the signal handling around each ``kedro run`` (see the module doc)."""

    def __init__(self) -> None:
        self._lock: RunLock | None = None
        self._previous_handlers: dict[int, Any] = {}
        self._stopped_by: int | None = None
        self._exit_handler_registered = False

    @hook_impl(tryfirst=True)  # before kedro-mlflow starts a run that a refusal would orphan
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any = None,
                            catalog: Any = None) -> None:
        project = Path(run_params.get("project_path") or Path.cwd())
        if catalog is not None:
            check_run_parameters(catalog)
            if pipeline is not None:
                check_upstream_inputs(run_params, pipeline, catalog, project)
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


class ProgressHooks:
    """One console line as each node starts and one when the run ends (the module doc)."""

    def __init__(self) -> None:
        self._total = 0
        self._started = 0
        self._start_time = 0.0
        self._current: Any = None

    @hook_impl
    def before_pipeline_run(self, pipeline: Any) -> None:
        self._total, self._started, self._current = len(pipeline.nodes), 0, None
        self._start_time = time.monotonic()

    # Kedro loads a node's inputs before before_node_run: the line comes with the first load,
    # so that what the loads log stands under the node that reads it
    @hook_impl
    def before_dataset_loaded(self, node: Any) -> None:
        self._announce(node)

    @hook_impl
    def before_node_run(self, node: Any) -> None:
        self._announce(node)

    def _announce(self, node: Any) -> None:
        if node is self._current:
            return
        self._current = node
        self._started += 1
        width = len(str(self._total))
        log.info("[%*d/%d] %s", width, self._started, self._total, node.name)

    @hook_impl
    def after_pipeline_run(self) -> None:
        where = log_file()
        log.info("done: %s in %s%s", amount(self._total, "node"),
                 duration(time.monotonic() - self._start_time),
                 f"; the full log is in {where}" if where else "")


def duration(seconds: float) -> str:
    """``42 s``, ``3 min 5 s``."""
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def log_file() -> str | None:
    """The file the root logger writes to (conf/logging.yml's ``file`` handler), relative to
    the working folder when inside it; None when logging goes to no file."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            return shown_path(handler.baseFilename, Path.cwd())
    return None


def log_warnings() -> None:
    """Show warnings through logging: an AfsWarning as one line of the ``afs`` logger (the
    console and the log file), any other (a library's) on ``py.warnings`` (which
    conf/logging.yml sends to the log file only)."""

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        if file is not None:  # an explicit destination, as logging.captureWarnings does
            _python_showwarning(message, category, filename, lineno, file, line)
        elif issubclass(category, AfsWarning):
            logging.getLogger("afs").warning(" ".join(str(message).split()))
        else:
            text = warnings.formatwarning(message, category, filename, lineno, line)
            logging.getLogger("py.warnings").warning(text.rstrip())

    warnings.showwarning = show


_python_showwarning = warnings.showwarning


def threading_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
