"""Run configured generators into sample tables: the library behind the data_generation
pipeline. A *source* is a name plus ``{generator: <registered name>, params: {...}}``."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

import pandas as pd

from afs.errors import ConfigError
from afs.generators.registry import create_generator
from afs.samples.frame import concat_frames, samples_to_frame, with_metadata
from afs.samples.model import ORIGIN_KEY


def run_source(name: str, spec: Mapping[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Samples of one source as a table (each stamped with ``_metadata.origin = name``), and
    what happened: count, domains, skipped inputs (with reasons) and seconds."""
    if not isinstance(spec, Mapping) or "generator" not in spec:
        raise ConfigError(f"data_generation source {name!r} needs 'generator: <name>' "
                          "(see `afs generators list`) and optional 'params'")
    generator = create_generator(str(spec["generator"]), **dict(spec.get("params") or {}))
    start = time.perf_counter()
    frame = with_metadata(samples_to_frame(generator.generate()), ORIGIN_KEY, name)
    report = {
        "generator": spec["generator"],
        "samples": len(frame),
        "domains": dict(sorted(Counter(frame["domain"]).items())) if len(frame) else {},
        "skipped": [{"path": item.path, "reason": item.reason} for item in generator.skipped],
        "seconds": round(time.perf_counter() - start, 3),
    }
    return frame, report


def run_sources(sources: Mapping[str, Mapping[str, Any]]
                ) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Every source, in name order: tables by source name, and a report with a section per
    source plus the total."""
    if not sources:
        raise ConfigError("data_generation.sources is empty: name at least one generator")
    frames, sections = {}, {}
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
    return {key: {"value": value, "step": 0} for key, value in metrics.items()}
