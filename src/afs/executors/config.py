"""Which executor runs the heavy per-row stages, and how to reach it.

``ExecutorConfig`` is the one value every wired stage accepts (``executor=``); it comes from
the ``executor:`` block of a pipeline's parameters, from ``--executor``/``--ray-address`` on
the CLI, or from Python. ``ray_session`` connects to (or starts) Ray for the span of a stage.
Ray is an optional extra: it is imported only inside functions here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Any

from afs.config import check_known_keys
from afs.errors import ConfigError

EXECUTOR_KINDS = ("local", "ray")
RAY_INSTALL_HINT = "Ray is not installed: pip install 'afs[ray]'"


@dataclass(frozen=True)
class ExecutorConfig:
    """How a stage runs: ``local`` (in-process, batched; the default) or ``ray``.

    ``ray_address`` names an existing cluster (``"auto"``, ``"ray://host:10001"``, ...);
    None starts a local one with ``num_workers`` CPUs. ``num_workers`` is also the size of
    the actor pool (None: every CPU the cluster has). ``num_gpus_per_actor`` None means one
    GPU per actor when the cluster has a GPU, else none. ``shard_rows`` is the Parquet shard
    size; ``work_dir`` holds the shards and their outputs so that a re-run resumes (None: a
    temporary folder, removed after the stage). On a cluster of several machines the work
    folder must be one every node reads and writes (a shared file system), and every node
    needs afs installed.
    """

    kind: str = "local"
    ray_address: str | None = None
    num_workers: int | None = None
    batch_size: int = 1024
    num_gpus_per_actor: float | None = None
    shard_rows: int = 100_000
    work_dir: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in EXECUTOR_KINDS:
            raise ConfigError(f"executor kind must be one of {', '.join(EXECUTOR_KINDS)}, "
                              f"got {self.kind!r}")
        if self.ray_address is not None and not isinstance(self.ray_address, str):
            raise ConfigError(f"executor ray_address must be a string or null, "
                              f"got {self.ray_address!r}")
        _check_positive_int("num_workers", self.num_workers, optional=True)
        _check_positive_int("batch_size", self.batch_size)
        _check_positive_int("shard_rows", self.shard_rows)
        gpus = self.num_gpus_per_actor
        if gpus is not None and (isinstance(gpus, bool) or not isinstance(gpus, (int, float))
                                 or gpus < 0):
            raise ConfigError(f"executor num_gpus_per_actor must be a number >= 0 or null, "
                              f"got {gpus!r}")
        if self.work_dir is not None and not isinstance(self.work_dir, (str, os.PathLike)):
            raise ConfigError(f"executor work_dir must be a path or null, got {self.work_dir!r}")

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | ExecutorConfig | str | None
                    ) -> ExecutorConfig:
        """Build from a parameters block (``{"kind": "ray", "ray_address": ...}``), a kind
        name, an ``ExecutorConfig`` (returned as is) or None (the local default)."""
        if params is None:
            return cls()
        if isinstance(params, cls):
            return params
        if isinstance(params, str):
            return cls(kind=params)
        if not isinstance(params, Mapping):
            raise ConfigError(f"executor must be a mapping like {{kind: local}}, got {params!r}")
        check_known_keys(params, {field.name for field in fields(cls)}, "executor setting(s)")
        values = {key: value for key, value in params.items() if value is not None}
        if "work_dir" in values:
            values["work_dir"] = str(values["work_dir"])
        return cls(**values)

    @property
    def is_ray(self) -> bool:
        return self.kind == "ray"


def _check_positive_int(name: str, value: Any, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"executor {name} must be a positive integer, got {value!r}")


def import_ray() -> Any:
    """``ray``, or a ConfigError telling how to install it."""
    try:
        import ray
    except ImportError as error:
        raise ConfigError(RAY_INSTALL_HINT) from error
    return ray


@contextmanager
def ray_session(config: ExecutorConfig) -> Iterator[Any]:
    """Yield the ``ray`` module connected to ``config.ray_address`` (or to a local Ray it
    starts). A session this call started is shut down on exit; one that was already up
    (a test's cluster, a notebook's) is left running."""
    ray = import_ray()
    quiet_ray_data(ray)
    if ray.is_initialized():
        yield ray
        return
    if config.ray_address:
        ray.init(address=config.ray_address, ignore_reinit_error=True, log_to_driver=False)
    else:
        ray.init(num_cpus=config.num_workers or os.cpu_count(), include_dashboard=False,
                 ignore_reinit_error=True, log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()


def quiet_ray_data(ray: Any) -> None:
    """No Ray Data progress bars or per-dataset INFO lines: off a terminal Ray logs each
    operator's progress every few seconds, burying the stage's own output (AFS reports
    progress per shard itself). Warnings and errors still show."""
    ray.data.DataContext.get_current().enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)
