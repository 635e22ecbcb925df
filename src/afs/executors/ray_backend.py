"""The Ray executor: one input shard at a time through Ray Data.

The dataset is the shard's batch files, one per block; ``map_batches`` hands them to an
actor pool of ``BatchFileRunner``s, each of which reads its file (Parquet, from the shared
work folder) and runs the stage's ``BatchRunner`` on it (the stage function, so the model,
is built once per actor; ``num_gpus`` per actor when the cluster has GPUs). Reading in the
actor, rather than with ``read_parquet``, is what keeps a seam batch whole and spreads the
batches over the actors: ``read_parquet`` merges small files into one block (one actor gets
them all) and splits big ones at any row (a batch in two halves scores differently). Then
``write_parquet`` writes the output into a staging folder that becomes the output shard only
once every batch is in. An actor that dies is restarted and its batch retried
(``max_restarts``/``max_task_retries``). The work folder must be one every node can read and
write (a shared file system) when the cluster has several machines.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from afs.atomic_dir import atomic_directory
from afs.executors.batches import BatchRunner, FunctionFactory
from afs.executors.config import ExecutorConfig, import_ray

MAX_RESTARTS = 4  # an actor killed more often than this within a stage fails the stage
# Ray Data 2.60 deprecates passing remote args (removal in 2.64) but has no named parameter
# for an actor's restart limit yet. Without one Ray restarts without end, so a batch that
# kills every worker (a text that exhausts memory) would loop; keep the limit while the
# installed Ray takes it, silencing that one warning.
RESTART_ARGS_REMOVED_IN = (2, 64)


class BatchFileRunner:
    """An actor of the pool: reads each batch file it is handed and runs the stage on it."""

    def __init__(self, fn_factory: FunctionFactory, batch_size: int):
        self.runner = BatchRunner(fn_factory, batch_size)

    def __call__(self, files: pd.DataFrame) -> pd.DataFrame:
        return pd.concat([self.runner(pd.read_parquet(path)) for path in files["path"]],
                         ignore_index=True)


def actor_resources(ray: Any, config: ExecutorConfig) -> tuple[int, float, float]:
    """(actors in the pool, CPUs and GPUs per actor): ``num_workers`` or one actor per CPU of
    the cluster; one GPU each when ``num_gpus_per_actor`` is None and the cluster has GPUs,
    and no more actors than the GPUs hold. The actors leave one CPU to the tasks that read
    and write the shards: holding every CPU, they would wait for input forever."""
    resources = ray.cluster_resources()
    cpus = max(1.0, float(resources.get("CPU", 1)))
    gpus = config.num_gpus_per_actor
    if gpus is None:
        gpus = 1.0 if resources.get("GPU", 0) > 0 else 0.0
    workers = config.num_workers or int(cpus)
    if gpus > 0:
        workers = max(1, min(workers, int(resources.get("GPU", 0) // gpus)))
    cpus_per_actor = min(1.0, max(cpus - 1, 0.25) / workers)
    return workers, cpus_per_actor, float(gpus)


def restart_limits(version: str) -> dict[str, int]:
    """``max_restarts``/``max_task_retries`` for the actor pool, on the Ray versions that
    still accept them; later ones get Ray Data's default (restart and retry without limit)."""
    release = tuple(int(part) for part in version.split(".")[:2] if part.isdigit())
    if release >= RESTART_ARGS_REMOVED_IN:
        return {}
    return {"max_restarts": MAX_RESTARTS, "max_task_retries": MAX_RESTARTS}


def process_shard_on_ray(input_path: Path, output_path: Path, fn_factory: FunctionFactory,
                         config: ExecutorConfig) -> None:
    """Run the stage over one input shard on the connected cluster (see the module doc)."""
    ray = import_ray()
    workers, cpus, gpus = actor_resources(ray, config)
    files = sorted(str(path) for path in input_path.glob("*.parquet"))
    dataset = ray.data.from_items([{"path": path} for path in files],
                                  override_num_blocks=len(files))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="`ray_remote_args` is deprecated")
        mapped = dataset.map_batches(
            BatchFileRunner, batch_size=1, fn_constructor_args=(fn_factory, config.batch_size),
            batch_format="pandas",
            compute=ray.data.ActorPoolStrategy(size=max(1, min(workers, len(files)))),
            num_cpus=cpus, num_gpus=gpus or None, **restart_limits(ray.__version__))
    with atomic_directory(output_path) as staging:
        mapped.write_parquet(str(staging))
