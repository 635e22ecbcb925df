"""Optional MLflow tracking that never fails the work it records.

Logging happens when asked for and either a run is active (e.g. under kedro-mlflow) or
``MLFLOW_TRACKING_URI`` is set; otherwise MLflow is not even imported. The first MLflow error
is logged as a warning and switches tracking off for the rest of the job: the files on disk
are the result, tracking is a convenience.
"""

from __future__ import annotations

import logging
import math
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def mlflow_wanted(log_to_mlflow: bool) -> bool:
    """Whether to log: asked for, and a tracking URI is set or an MLflow run is active."""
    if not log_to_mlflow:
        return False
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return True
    mlflow = sys.modules.get("mlflow")  # a run can only be active if mlflow is imported
    return bool(mlflow is not None and mlflow.active_run() is not None)


class MlflowTracker:
    """Logs into the active MLflow run, or into one it starts (and ends on ``close``).
    Every method is a no-op once disabled or after an MLflow error."""

    def __init__(self, enabled: bool, run_name: str, prefix: str = ""):
        self.enabled = mlflow_wanted(enabled)
        self.prefix = prefix
        self._started = False
        self.run_id: str | None = None
        if self.enabled:
            self._call(self._start, run_name)

    def _start(self, run_name: str) -> None:
        mlflow = _mlflow()
        if mlflow.active_run() is None:
            mlflow.start_run(run_name=run_name)
            self._started = True
        self.run_id = mlflow.active_run().info.run_id

    def _call(self, function, *args: Any) -> None:
        if not self.enabled:
            return
        try:
            function(*args)
        except Exception as exc:  # noqa: BLE001 - tracking must never fail the job
            log.warning("MLflow logging failed (%s); tracking is off for the rest of this run",
                        exc)
            self.enabled = False

    def params(self, params: dict[str, Any]) -> None:
        self._call(lambda: _mlflow().log_params({f"{self.prefix}{k}": v
                                                  for k, v in params.items()}))

    def metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        clean = {f"{self.prefix}{k}": float(v) for k, v in metrics.items()
                 if isinstance(v, (int, float)) and v == v}  # NaN is not a metric
        self._call(lambda: _mlflow().log_metrics(clean, step=step))

    def tags(self, tags: dict[str, Any]) -> None:
        self._call(lambda: _mlflow().set_tags({f"{self.prefix}{k}": str(v)
                                                for k, v in tags.items()}))

    def artifacts(self, folder: str | Path, artifact_path: str) -> None:
        self._call(lambda: _mlflow().log_artifacts(str(folder), artifact_path=artifact_path))

    def close(self) -> None:
        """End the run this tracker started (a run that was already active stays open)."""
        if self._started:
            self._started = False
            self._call(lambda: _mlflow().end_run())


def _mlflow() -> Any:
    import mlflow

    return mlflow


def tag_run(run_id: str | None, tags: dict[str, Any]) -> bool:
    """Set ``tags`` on the MLflow run ``run_id`` (active or finished) in the current tracking
    store, e.g. lineage tags once a run's output exists. Without a run id there is nothing to
    tag; an MLflow error is a warning, as for :class:`MlflowTracker`. Returns whether it tagged."""
    if not run_id or not tags:
        return False
    try:
        client = _mlflow().MlflowClient()
        for key, value in tags.items():
            client.set_tag(run_id, key, str(value))
    except Exception as exc:  # noqa: BLE001 - tracking must never fail the job
        log.warning("MLflow tagging of run %s failed (%s)", run_id, exc)
        return False
    return True


def log_artifact_file(path: str | Path, artifact_path: str) -> bool:
    """Log the file ``path`` into the active MLflow run under ``artifact_path`` (a report, for
    instance); without an active run there is nothing to log into, and an MLflow error is a
    warning, as for :class:`MlflowTracker`. Returns whether it logged."""
    mlflow = sys.modules.get("mlflow")  # a run can only be active if mlflow is imported
    if mlflow is None or mlflow.active_run() is None:
        return False
    try:
        mlflow.log_artifact(str(path), artifact_path=artifact_path)
    except Exception as exc:  # noqa: BLE001 - tracking must never fail the job
        log.warning("MLflow could not keep %s (%s)", path, exc)
        return False
    return True


def flatten_numbers(tree: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """The numbers of a nested report as dotted names (``rejects.reason.low_quality``); other
    values (text, flags, lists) are left out."""
    flat: dict[str, float] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_numbers(value, f"{name}."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            flat[name] = float(value)
    return flat


def metric_history(values: Mapping[str, float]) -> dict[str, dict[str, float]]:
    """Metrics in the shape kedro-mlflow's ``MlflowMetricsHistoryDataset`` saves (one point at
    step 0), finite numbers only: MLflow takes no others."""
    return {key: {"value": float(value), "step": 0} for key, value in values.items()
            if math.isfinite(float(value))}
