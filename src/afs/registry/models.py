"""Register a GGUF file as a version of an MLflow registered model.

The file is logged as an artifact (``gguf/<file>``) of an MLflow run — the active one under
``kedro run``, else a new run in the experiment ``afs-deployment`` — and the model version's
source is that artifact (``runs:/<run>/gguf/<file>``). The run gets the lineage tags that
``afs training registry-info`` reads (``afs.lineage.gguf``, ``afs.lineage.registered_model``);
with ``registry_name`` the registry entry of that name is linked too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from afs.gguf_file import check_gguf_file
from afs.registry.experiments import record_lineage
from afs.registry.lineage import LINEAGE_TAGS, ROLE_NAME_TAG, ROLE_TAG
from afs.registry.store import (
    get_or_create_experiment,
    open_client,
    resolve_tracking_uri,
    store_errors,
)

DEPLOYMENT_EXPERIMENT = "afs-deployment"
ARTIFACT_FOLDER = "gguf"


@dataclass(frozen=True)
class RegisteredGguf:
    """One registered model version and where its GGUF file lives."""

    name: str
    version: str
    source: str
    run_id: str
    tracking_uri: str
    gguf: str

    @property
    def reference(self) -> str:
        """``<name>/<version>``, the form the lineage tag uses."""
        return f"{self.name}/{self.version}"

    def to_dict(self) -> dict[str, str]:
        return {**asdict(self), "reference": self.reference}


def register_gguf_model(gguf_path: str | Path, name: str, *, tags: Mapping[str, Any] | None = None,
                        description: str = "", registry_name: str | None = None,
                        tracking_uri: str | None = None) -> RegisteredGguf:
    """Log ``gguf_path`` to MLflow and register it as a new version of model ``name``.

    ``tags`` go on the model version (quantization, base model, smoke-test figures…).
    ``tracking_uri`` defaults to the active run's store, else the project's
    (:func:`afs.registry.store.resolve_tracking_uri`)."""
    import mlflow  # heavy: loaded when a model is registered, not when this module is imported

    gguf = check_gguf_file(gguf_path).resolve()
    active = mlflow.active_run()
    uri = mlflow.get_tracking_uri() if active and tracking_uri is None else \
        resolve_tracking_uri(tracking_uri)
    with store_errors(uri):
        client = open_client(uri)
        run_id = active.info.run_id if active and tracking_uri is None else \
            _new_run(client, uri, name)
        client.log_artifact(run_id, str(gguf), ARTIFACT_FOLDER)
        _ensure_registered_model(client, name, description)
        version = client.create_model_version(
            name, source=f"runs:/{run_id}/{ARTIFACT_FOLDER}/{gguf.name}", run_id=run_id,
            tags={key: str(value) for key, value in (tags or {}).items()},
            description=description or None)
        registered = RegisteredGguf(name=name, version=str(version.version),
                                    source=version.source, run_id=run_id, tracking_uri=uri,
                                    gguf=str(gguf))
        _tag_lineage(client, registered, registry_name)
        if not (active and tracking_uri is None):
            client.set_terminated(run_id)
    if registry_name:
        record_lineage(registry_name, uri, gguf_run=run_id, gguf=str(gguf),
                       registered_model=registered.reference)
    return registered


def _new_run(client: Any, uri: str, name: str) -> str:
    experiment_id = get_or_create_experiment(client, DEPLOYMENT_EXPERIMENT, uri)
    return client.create_run(experiment_id, run_name=f"register {name}").info.run_id


def _ensure_registered_model(client: Any, name: str, description: str) -> None:
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(name, tags={"format": "gguf"},
                                       description=description or None)


def _tag_lineage(client: Any, registered: RegisteredGguf, registry_name: str | None) -> None:
    tags = {LINEAGE_TAGS["gguf"]: registered.gguf,
            LINEAGE_TAGS["registered_model"]: registered.reference}
    # under one `kedro run` training already marked this run as the entry's adapter run;
    # the entry's own gguf tags (record_lineage) link the GGUF, so that role is kept
    if registry_name and ROLE_TAG not in client.get_run(registered.run_id).data.tags:
        tags.update({ROLE_NAME_TAG: registry_name, ROLE_TAG: "gguf"})
    for key, value in tags.items():
        client.set_tag(registered.run_id, key, value)
