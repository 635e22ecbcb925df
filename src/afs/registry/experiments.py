"""The experiment registry: named training experiments kept in the project's MLflow store.

One registry entry is one MLflow **run** in the dedicated experiment ``afs-registry`` (not an
MLflow experiment per entry): a run holds what an entry needs — params, tags, a note, metrics,
dataset inputs and artifacts — while an MLflow experiment holds only a name and tags. The
run's name is the entry's name, and ``afs.name`` makes it unique (create refuses a repeat).
The store is the one kedro-mlflow writes to (see ``afs.registry.store``), so the
MLflow UI shows the registry beside the pipeline runs.

Tags on the registry run (set by ``create_experiment``)::

    afs.name, afs.base_model, afs.framework, afs.tags (comma-separated), mlflow.note.content,
    afs.dataset.path (absolute), afs.dataset.sha256 (of the file bytes), afs.dataset.rows,
    afs.dataset.bytes

The same values (but the note and tags) are logged as params, and the dataset is logged as an
MLflow dataset input (context ``training``; its digest is the sha256's first 36 hex digits,
MLflow's column limit).

Lineage dataset -> adapter -> GGUF. Later training and deployment steps fill it in one of two
ways (``experiment_info`` reads both; tags on the registry run win):

* tags on the registry run, e.g. through ``record_lineage(name, adapter_run=…, gguf=…)``::

    afs.lineage.adapter_run       MLflow run id of the LoRA training run
    afs.lineage.adapter           path or URI of the adapter it wrote
    afs.lineage.gguf_run          MLflow run id of the GGUF export/deployment run
    afs.lineage.gguf              path or URI of the GGUF file
    afs.lineage.registered_model  "<registered model name>/<version>" of the deployed GGUF
                                  (experiment_info looks it up in MLflow's model registry)

* or tags on the training/deployment run itself, in any experiment::

    afs.registry.name = <entry name>,  afs.registry.role = adapter | gguf
    (plus afs.lineage.adapter / afs.lineage.gguf on that run for the file it wrote)

MLflow is imported inside the functions: importing this module stays cheap.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from afs.errors import ConfigError
from afs.registry.fingerprint import DatasetFingerprint, fingerprint_dataset
from afs.registry.lineage import (
    LINEAGE_TAGS,
    LineageRecord,
    LinkedRun,
    ModelVersionRef,
    artifact_paths,
    linked_run,
    model_version,
    read_lineage,
)
from afs.registry.store import (
    get_or_create_experiment,
    open_client,
    resolve_tracking_uri,
    store_errors,
    store_exists,
)

REGISTRY_EXPERIMENT = "afs-registry"
DEFAULT_FRAMEWORK = "peft"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
DIGEST_LENGTH = 36  # MLflow's datasets.digest column is VARCHAR(36)
NOTE_TAG = "mlflow.note.content"


@dataclass(frozen=True)
class RegistryExperiment:
    """One registry entry (one MLflow run in ``afs-registry``)."""

    name: str
    run_id: str
    base_model: str
    framework: str
    dataset: DatasetFingerprint
    tags: tuple[str, ...]
    notes: str
    created: str  # ISO 8601, UTC
    tracking_uri: str

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "tags": list(self.tags)}


@dataclass(frozen=True)
class ExperimentInfo:
    """Everything ``registry-info`` shows about one entry."""

    experiment: RegistryExperiment
    params: dict[str, str]
    metrics: dict[str, float]
    artifacts: tuple[str, ...]
    lineage: LineageRecord
    linked_runs: tuple[LinkedRun, ...]
    registered_model: ModelVersionRef | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["experiment"] = self.experiment.to_dict()
        return data


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name or ""):
        raise ConfigError(f"--name {name!r}: use letters, digits, '.', '_' and '-' (start with a "
                          "letter or digit, at most 200 characters)")
    return name


def check_tags(tags: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Tags stripped, in order, each once; a comma or an empty tag is refused."""
    kept: list[str] = []
    for tag in tags:
        tag = tag.strip()
        if not tag or "," in tag:
            raise ConfigError(f"--tag {tag!r}: a tag is a non-empty word without commas")
        if tag not in kept:
            kept.append(tag)
    return tuple(kept)


def create_experiment(name: str, base_model: str, dataset: str | Path,
                      framework: str = DEFAULT_FRAMEWORK, tags: tuple[str, ...] = (),
                      notes: str = "", tracking_uri: str | None = None) -> RegistryExperiment:
    """Register experiment ``name``: one finished MLflow run in ``afs-registry``.

    Refuses a name already registered and a dataset file that is not there (ConfigError).
    """
    check_name(name)
    tags = check_tags(tags)
    if not base_model.strip():
        raise ConfigError("--model: give the base model (a hub id or a local path)")
    fingerprint = fingerprint_dataset(dataset)
    uri = resolve_tracking_uri(tracking_uri)
    with store_errors(uri):
        return _register(open_client(uri), uri, name, base_model, framework, tags, notes,
                         fingerprint)


def _register(client: Any, uri: str, name: str, base_model: str, framework: str,
              tags: tuple[str, ...], notes: str,
              fingerprint: DatasetFingerprint) -> RegistryExperiment:
    experiment_id = get_or_create_experiment(client, REGISTRY_EXPERIMENT, uri)
    existing = _find_run(client, experiment_id, name)
    if existing is not None:
        raise ConfigError(f"--name {name!r}: already registered (run {existing.info.run_id}, "
                          f"created {_iso(existing.info.start_time)}) in {uri}; "
                          "choose another name")
    run = client.create_run(experiment_id, run_name=name,
                            tags=_entry_tags(name, base_model, framework, tags, notes, fingerprint))
    run_id = run.info.run_id
    try:
        client.log_batch(run_id, params=_entry_params(base_model, framework, fingerprint))
        _log_dataset_input(client, run_id, fingerprint)
    except Exception:
        client.set_terminated(run_id, "FAILED")
        raise
    client.set_terminated(run_id, "FINISHED")
    return _experiment_from_run(client.get_run(run_id), uri)


def _entry_tags(name: str, base_model: str, framework: str, tags: tuple[str, ...], notes: str,
                fingerprint: DatasetFingerprint) -> dict[str, str]:
    entry = {"afs.name": name, "afs.base_model": base_model, "afs.framework": framework,
             "afs.tags": ",".join(tags), "afs.dataset.path": fingerprint.path,
             "afs.dataset.sha256": fingerprint.sha256, "afs.dataset.bytes": str(fingerprint.bytes)}
    if fingerprint.rows is not None:
        entry["afs.dataset.rows"] = str(fingerprint.rows)
    if notes:
        entry[NOTE_TAG] = notes
    return entry


def _entry_params(base_model: str, framework: str, fingerprint: DatasetFingerprint) -> list:
    from mlflow.entities import Param

    values = {"base_model": base_model, "framework": framework, "dataset_path": fingerprint.path,
              "dataset_sha256": fingerprint.sha256,
              "dataset_rows": "" if fingerprint.rows is None else str(fingerprint.rows)}
    return [Param(key, value) for key, value in values.items()]


def _log_dataset_input(client: Any, run_id: str, fingerprint: DatasetFingerprint) -> None:
    """The file as an MLflow dataset input: the UI then shows it on the run's page."""
    from mlflow.data.meta_dataset import MetaDataset
    from mlflow.data.sources import LocalArtifactDatasetSource
    from mlflow.entities import DatasetInput, InputTag

    dataset = MetaDataset(LocalArtifactDatasetSource(fingerprint.path),
                          name=Path(fingerprint.path).name,
                          digest=fingerprint.sha256[:DIGEST_LENGTH])
    context = InputTag("mlflow.data.context", "training")
    client.log_inputs(run_id, datasets=[DatasetInput(dataset._to_mlflow_entity(), tags=[context])])


def list_experiments(tracking_uri: str | None = None) -> list[RegistryExperiment]:
    """Every registered experiment, oldest first (an empty list where there is no store yet)."""
    uri = resolve_tracking_uri(tracking_uri)
    if not store_exists(uri):
        return []
    with store_errors(uri):
        return _registry_entries(open_client(uri), uri)


def _registry_entries(client: Any, uri: str) -> list[RegistryExperiment]:
    experiment = client.get_experiment_by_name(REGISTRY_EXPERIMENT)
    if experiment is None:
        return []
    runs = client.search_runs([experiment.experiment_id], filter_string="tags.`afs.name` != ''",
                              max_results=50_000, order_by=["attributes.start_time ASC"])
    return [_experiment_from_run(run, uri) for run in runs]


def experiment_info(name: str, tracking_uri: str | None = None) -> ExperimentInfo:
    """Params, metrics, artifacts and lineage of entry ``name``.

    An unknown name is a ConfigError that lists the closest registered names.
    """
    uri = resolve_tracking_uri(tracking_uri)
    with store_errors(uri):
        run = _require_run(name, uri)  # first: an unknown name must not create a store
        return _info(open_client(uri), run, uri)


def _info(client: Any, run: Any, uri: str) -> ExperimentInfo:
    entry = _experiment_from_run(run, uri)
    lineage = read_lineage(client, run, entry.name, entry.dataset.path, entry.dataset.sha256)
    linked = tuple(linked_run(client, role, run_id) for role, run_id in
                   (("adapter", lineage.adapter_run), ("gguf", lineage.gguf_run)) if run_id)
    return ExperimentInfo(experiment=entry, params=dict(run.data.params),
                          metrics=dict(run.data.metrics),
                          artifacts=artifact_paths(client, run.info.run_id),
                          lineage=lineage, linked_runs=linked,
                          registered_model=model_version(client, lineage.registered_model))


def record_lineage(name: str, tracking_uri: str | None = None, **links: str) -> dict[str, str]:
    """Set lineage tags on entry ``name``: ``adapter_run``, ``adapter``, ``gguf_run``, ``gguf``,
    ``registered_model`` (see the module docstring). Returns the tags it set."""
    unknown = sorted(set(links) - set(LINEAGE_TAGS))
    if unknown:
        raise ConfigError(f"record_lineage: unknown link(s) {', '.join(unknown)}; "
                          f"known: {', '.join(LINEAGE_TAGS)}")
    uri = resolve_tracking_uri(tracking_uri)
    tags = {LINEAGE_TAGS[key]: str(value) for key, value in links.items() if value}
    with store_errors(uri):
        run_id = _require_run(name, uri).info.run_id
        client = open_client(uri)
        for key, value in tags.items():
            client.set_tag(run_id, key, value)
    return tags


def _require_run(name: str, uri: str) -> Any:
    """The registry run named ``name``, else a ConfigError naming close names."""
    client = open_client(uri) if store_exists(uri) else None
    experiment = client.get_experiment_by_name(REGISTRY_EXPERIMENT) if client else None
    run = _find_run(client, experiment.experiment_id, name) if experiment else None
    if run is not None:
        return run
    known = [entry.name for entry in list_experiments(uri)] if experiment else []
    raise ConfigError(f"no registry experiment named {name!r} in {uri}; {_suggest(name, known)}")


def _suggest(name: str, known: list[str]) -> str:
    if not known:
        return "the registry is empty (create one with `afs training registry-create`)"
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    if close:
        return "did you mean: " + ", ".join(close)
    shown = ", ".join(known[:5]) + (", …" if len(known) > 5 else "")
    return f"registered: {shown}"


def _find_run(client: Any, experiment_id: str, name: str) -> Any | None:
    if not NAME_PATTERN.match(name):  # cannot be registered; keeps the filter string well-formed
        return None
    runs = client.search_runs([experiment_id], filter_string=f"tags.`afs.name` = '{name}'",
                              max_results=1)
    return runs[0] if runs else None


def _experiment_from_run(run: Any, uri: str) -> RegistryExperiment:
    tags = run.data.tags
    rows = tags.get("afs.dataset.rows")
    dataset = DatasetFingerprint(path=tags.get("afs.dataset.path", ""),
                                 sha256=tags.get("afs.dataset.sha256", ""),
                                 rows=int(rows) if rows else None,
                                 bytes=int(tags.get("afs.dataset.bytes") or 0))
    return RegistryExperiment(
        name=tags.get("afs.name", run.info.run_name), run_id=run.info.run_id,
        base_model=tags.get("afs.base_model", ""), framework=tags.get("afs.framework", ""),
        dataset=dataset, tags=tuple(t for t in tags.get("afs.tags", "").split(",") if t),
        notes=tags.get(NOTE_TAG, ""), created=_iso(run.info.start_time), tracking_uri=uri)


def _iso(millis: int | None) -> str:
    if millis is None:
        return ""
    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc).isoformat(timespec="seconds")
