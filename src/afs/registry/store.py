"""Where the experiment registry lives: the project's MLflow store, the one kedro-mlflow uses.

The tracking URI is, first match wins: an explicit ``tracking_uri``; ``MLFLOW_TRACKING_URI``;
``server.mlflow_tracking_uri`` of the Kedro project around the working directory
(``conf/local/mlflow.yml`` over ``conf/base/mlflow.yml``; the project is the nearest folder
above with a ``pyproject.toml`` holding ``[tool.kedro]``); else ``sqlite:///mlflow.db`` in the
working directory. A relative SQLite path in ``mlflow.yml`` is taken relative to the project
root (where ``kedro run`` opens it), so `afs` finds the same store from any subfolder.

MLflow is imported inside the functions: importing this module stays cheap.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from afs.errors import ConfigError

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
SQLITE_PREFIX = "sqlite:///"
MLFLOW_CONF_FILES = ("conf/local/mlflow.yml", "conf/base/mlflow.yml")  # first one that sets it wins
QUIET_LOGGERS = ("mlflow.store.db.utils", "alembic")  # "Creating initial MLflow database tables…"


def find_kedro_project(start: Path | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: cwd) that is a Kedro project."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _declares_kedro(pyproject):
            return folder
    return None


def _declares_kedro(pyproject: Path) -> bool:
    try:
        return "kedro" in tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
    except (OSError, tomllib.TOMLDecodeError):
        return False


def project_tracking_uri(project: Path) -> str | None:
    """``server.mlflow_tracking_uri`` from the project's mlflow.yml files, made absolute."""
    import yaml

    for relative in MLFLOW_CONF_FILES:
        path = project / relative
        if not path.is_file():
            continue
        try:
            conf = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML ({exc.__class__.__name__})") from exc
        uri = (conf.get("server") or {}).get("mlflow_tracking_uri")
        if uri:
            return absolute_sqlite_uri(str(uri), project)
    return None


def absolute_sqlite_uri(uri: str, base: Path) -> str:
    """``sqlite:///mlflow.db`` -> ``sqlite:////<base>/mlflow.db``; other URIs unchanged."""
    if not uri.startswith(SQLITE_PREFIX):
        return uri
    path = uri[len(SQLITE_PREFIX):]
    if path.startswith("/") or path == ":memory:":
        return uri
    return SQLITE_PREFIX + str((base / path).resolve())


def resolve_tracking_uri(tracking_uri: str | None = None, cwd: Path | None = None) -> str:
    """The tracking URI the registry uses (see the module docstring for the order)."""
    if tracking_uri:
        return tracking_uri
    from_env = os.environ.get("MLFLOW_TRACKING_URI")
    if from_env:
        return from_env
    project = find_kedro_project(cwd)
    if project is not None:
        uri = project_tracking_uri(project)
        if uri:
            return uri
    return absolute_sqlite_uri(DEFAULT_TRACKING_URI, cwd or Path.cwd())


def sqlite_path(uri: str) -> Path | None:
    """The database file of a local SQLite URI, else None."""
    if not uri.startswith(SQLITE_PREFIX) or uri.endswith(":memory:"):
        return None
    return Path(uri[len(SQLITE_PREFIX):])


def store_exists(uri: str) -> bool:
    """False only for a SQLite store whose file is not there yet (reading must not create it)."""
    path = sqlite_path(uri)
    return path is None or path.exists()


def open_client(uri: str) -> Any:
    """An ``MlflowClient`` on ``uri`` (a SQLite store is created on first use, quietly)."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri)


def get_or_create_experiment(client: Any, name: str, uri: str) -> str:
    """The id of experiment ``name``, created (or restored if deleted) when needed.

    Beside a SQLite file, artifacts go to ``mlruns/`` next to it rather than under the
    working directory, so runs created from a subfolder keep their artifacts with the store.
    """
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        db = sqlite_path(uri)
        location = (db.parent / "mlruns").as_uri() if db is not None else None
        return client.create_experiment(name, artifact_location=location)
    if experiment.lifecycle_stage == "deleted":
        client.restore_experiment(experiment.experiment_id)
    return experiment.experiment_id


@contextmanager
def store_errors(uri: str) -> Iterator[None]:
    """MLflow's own errors (unsupported URI, refused file store, …) as one ConfigError line."""
    from mlflow.exceptions import MlflowException

    try:
        yield
    except MlflowException as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ConfigError(f"MLflow store {uri}: {first_line}") from exc
