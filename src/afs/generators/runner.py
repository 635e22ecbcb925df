"""Run configured generators into sample tables: the library behind the data_generation
pipeline. A *source* is a name plus ``{generator: <registered name>, params: {...}}``."""

from __future__ import annotations

import dataclasses
import io
import json
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

import pandas as pd

from afs.errors import ConfigError
from afs.executors import ExecutorConfig, map_frame
from afs.executors.shards import parquet_bytes
from afs.generators.plugins import load_configured_plugins
from afs.generators.lookup import create_generator
from afs.samples.frame import concat_frames, samples_to_frame, with_metadata
from afs.samples.model import ORIGIN_KEY
from afs.secrets.gate import redact_samples, redacted_skipped
from afs.tracking import metric_history


def check_source(name: str, spec: Any) -> None:
    """A ConfigError unless ``spec`` is ``{generator: <name>, params: {...}}``."""
    if not isinstance(spec, Mapping) or "generator" not in spec:
        raise ConfigError(f"data_generation source {name!r} needs 'generator: <name>' "
                          "(see `afs generators list`) and optional 'params'")


def run_source(name: str, spec: Mapping[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Samples of one source as a table (each stamped with ``_metadata.origin = name``), and
    what happened: count, domains, skipped inputs (with reasons), secrets redacted by kind
    and seconds. Whatever the generator (a built-in or a plugin), its samples and skip
    messages are redacted here, before anything is written."""
    check_source(name, spec)
    generator = create_generator(str(spec["generator"]), **dict(spec.get("params") or {}))
    start = time.perf_counter()
    redactions: Counter = Counter()
    frame = with_metadata(samples_to_frame(redact_samples(generator.generate(), redactions)),
                          ORIGIN_KEY, name)
    report = {
        "generator": spec["generator"],
        "samples": len(frame),
        "domains": dict(sorted(Counter(frame["domain"]).items())) if len(frame) else {},
        "skipped": [{"path": item.path, "reason": item.reason}
                    for item in redacted_skipped(generator.skipped)],
        "redactions": dict(sorted(redactions.items())),
        "stats": dict(sorted(getattr(generator, "stats", {}).items())),
        "seconds": round(time.perf_counter() - start, 3),
    }
    return frame, report


class SourceGeneration:
    """A stage for ``afs.executors.map_frame``: per worker, run the sources named in a
    batch's ``source`` column; each row gets the source's table (Parquet bytes) and report
    (JSON). ``load_plugins`` loads the project's generator plugins on each worker first."""

    def __init__(self, sources: Mapping[str, Mapping[str, Any]], load_plugins: bool = False):
        self.sources, self.load_plugins = {k: dict(v) for k, v in sources.items()}, load_plugins

    def __call__(self):
        if self.load_plugins:
            load_configured_plugins()

        def run(batch: pd.DataFrame) -> pd.DataFrame:
            outputs = [run_source(name, self.sources[name]) for name in batch["source"]]
            return pd.DataFrame({"table": [parquet_bytes(frame) for frame, _ in outputs],
                                 "report": [json.dumps(report) for _, report in outputs]},
                                index=batch.index)

        return run


def _run_on_executor(sources: Mapping[str, Mapping[str, Any]], executor: Any,
                     load_plugins: bool) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Each source on a worker of ``executor`` (one source per batch)."""
    config = dataclasses.replace(ExecutorConfig.from_params(executor), batch_size=1)
    names = sorted(sources)
    done = map_frame(pd.DataFrame({"source": names}), SourceGeneration(sources, load_plugins),
                     config, stage="generation")
    frames = {name: pd.read_parquet(io.BytesIO(table))
              for name, table in zip(names, done["table"], strict=True)}
    return frames, {name: json.loads(text) for name, text in zip(names, done["report"],
                                                                 strict=True)}


def run_sources(sources: Mapping[str, Mapping[str, Any]], executor: Any = None, *,
                load_plugins: bool = False) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Every source, in name order: tables by source name, and a report with a section per
    source plus the total. ``executor`` (an ``afs.executors.ExecutorConfig`` or its dict)
    ``kind: ray`` runs the sources on a Ray cluster, one per worker at a time; default: one
    after the other in this process."""
    if not sources:
        raise ConfigError("data_generation.sources is empty: name at least one generator")
    for name, spec in sources.items():
        check_source(name, spec)
    config = ExecutorConfig.from_params(executor)
    frames, sections = {}, {}
    if config.is_ray:
        frames, sections = _run_on_executor(sources, config, load_plugins)
    else:
        for name in sorted(sources):
            frames[name], sections[name] = run_source(name, sources[name])
    total = sum(section["samples"] for section in sections.values())
    return frames, {"total": total, "sources": sections}


def combine_sources(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """All sources' samples in one table, sources in name order (deterministic)."""
    return concat_frames(frames[name] for name in sorted(frames))


def generation_metrics(report: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """Samples and skipped inputs per source, in the shape MlflowMetricsHistoryDataset saves
    (it adds the `generated.` prefix)."""
    metrics = {"total": float(report["total"])}
    for name, section in report["sources"].items():
        metrics[name] = float(section["samples"])
        metrics[f"{name}.skipped"] = float(len(section["skipped"]))
    return metric_history(metrics)
