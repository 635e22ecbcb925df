"""Lineage of a registry entry, dataset -> adapter -> GGUF -> registered model, read from the
MLflow store. The tag names are documented in ``afs.registry.experiments``'s module docstring.

MLflow is imported inside the functions: importing this module stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LINEAGE_TAGS = {  # LineageRecord field -> tag on the registry run
    "adapter_run": "afs.lineage.adapter_run",
    "adapter": "afs.lineage.adapter",
    "gguf_run": "afs.lineage.gguf_run",
    "gguf": "afs.lineage.gguf",
    "registered_model": "afs.lineage.registered_model",
}
ROLE_TAG, ROLE_NAME_TAG = "afs.registry.role", "afs.registry.name"
ROLES = ("adapter", "gguf")


@dataclass(frozen=True)
class LinkedRun:
    """A run the entry's lineage points at: its status, params, metrics and artifacts."""

    role: str
    run_id: str
    status: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    artifacts: tuple[str, ...] = ()
    error: str | None = None  # e.g. the run id is not in this store


@dataclass(frozen=True)
class LineageRecord:
    """dataset -> adapter -> GGUF, as far as later steps have filled it in."""

    dataset: str
    dataset_sha256: str
    adapter_run: str | None = None
    adapter: str | None = None
    gguf_run: str | None = None
    gguf: str | None = None
    registered_model: str | None = None


@dataclass(frozen=True)
class ModelVersionRef:
    """The registered model version ``afs.lineage.registered_model`` names, as the store has it."""

    reference: str  # "<registered model name>/<version>"
    source: str | None = None
    run_id: str | None = None
    status: str | None = None
    error: str | None = None  # e.g. not in this store's model registry


def read_lineage(client: Any, run: Any, name: str, dataset: str,
                 dataset_sha256: str) -> LineageRecord:
    """Lineage tags on registry run ``run``, gaps filled from runs that name entry ``name``."""
    links = {key: run.data.tags.get(tag) for key, tag in LINEAGE_TAGS.items()}
    for role, linked in _runs_naming(client, name).items():
        links[f"{role}_run"] = links[f"{role}_run"] or linked.info.run_id
        links[role] = links[role] or linked.data.tags.get(LINEAGE_TAGS[role])
    return LineageRecord(dataset=dataset, dataset_sha256=dataset_sha256, **links)


def _runs_naming(client: Any, name: str) -> dict[str, Any]:
    """The newest run per role (adapter, gguf) tagged ``afs.registry.name = name``."""
    experiment_ids = [e.experiment_id for e in client.search_experiments()]
    if not experiment_ids:
        return {}
    runs = client.search_runs(experiment_ids, filter_string=f"tags.`{ROLE_NAME_TAG}` = '{name}'",
                              order_by=["attributes.start_time DESC"], max_results=1000)
    newest: dict[str, Any] = {}
    for run in runs:
        role = run.data.tags.get(ROLE_TAG)
        if role in ROLES and role not in newest:
            newest[role] = run
    return newest


def linked_run(client: Any, role: str, run_id: str) -> LinkedRun:
    from mlflow.exceptions import MlflowException

    try:
        run = client.get_run(run_id)
    except MlflowException as exc:
        return LinkedRun(role=role, run_id=run_id, error=str(exc).splitlines()[0])
    return LinkedRun(role=role, run_id=run_id, status=run.info.status,
                     params=dict(run.data.params), metrics=dict(run.data.metrics),
                     artifacts=artifact_paths(client, run_id))


def model_version(client: Any, reference: str | None) -> ModelVersionRef | None:
    """``"<name>/<version>"`` looked up in the model registry (None where no reference)."""
    if not reference:
        return None
    name, _, version = reference.rpartition("/")
    if not name or not version:
        return ModelVersionRef(reference, error="expected <name>/<version>")
    from mlflow.exceptions import MlflowException

    try:
        found = client.get_model_version(name, version)
    except MlflowException as exc:
        return ModelVersionRef(reference, error=str(exc).splitlines()[0])
    return ModelVersionRef(reference, source=found.source, run_id=found.run_id,
                           status=found.status)


def artifact_paths(client: Any, run_id: str, folder: str | None = None) -> tuple[str, ...]:
    """Every artifact file of the run, recursively ('' where the store cannot list them)."""
    paths: list[str] = []
    try:
        entries = client.list_artifacts(run_id, folder)
    except OSError:
        return ()
    for entry in entries:
        if entry.is_dir:
            paths.extend(artifact_paths(client, run_id, entry.path))
        else:
            paths.append(entry.path)
    return tuple(paths)
