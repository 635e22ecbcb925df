"""Score and filter JSONL files by quality, streaming (memory stays flat however big the file).

``score_jsonl`` adds ``quality_score`` (the composite) and ``_metadata.quality`` (components,
their renormalised weights, what was skipped and why, asar errors, the profile that judged it)
to every record; ``filter_jsonl`` splits a scored file into accepted and rejected records, each
rejected one with ``reject_step`` and ``reject_reason`` (``asar_invalid:<first error>``,
``low_quality:0.42<0.6``, ``unscored``). Both follow the pipeline's rule by default: each
sample is scored by its domain's profile and held to that profile's ``min_score``
(``afs.quality.config.ProfileChoice``); a config or a ``min_score`` given forces one. Records
pass through as parsed JSON objects, so keys these steps do not know survive unchanged.
Outputs are written atomically.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from afs.atomic_dir import atomic_outputs, atomic_write
from afs.errors import ConfigError, DataError
from afs.jsonl_input import input_file, iter_json_lines_with_ends
from afs.progress import Reporter, as_reporter
from afs.quality.config import ProfileChoice, ScoringConfig
from afs.quality.filter import FILTER_STEP, QUALITY_KEY, reject_reason
from afs.quality.scorer import QualityScorer
from afs.samples.jsonl import record_problem
from afs.samples.model import METADATA_KEY
from afs.samples.reasons import reason_code, rejects_path_beside

CHUNK_ROWS = 4096


@dataclass
class QualityReport:
    """What a score or filter run did (``summary()`` is the CLI's one line)."""

    input_path: str
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    reasons: Counter = field(default_factory=Counter)
    score_sum: float = 0.0
    scored: int = 0
    components: Counter = field(default_factory=Counter)
    profiles: Counter = field(default_factory=Counter)

    @property
    def mean_score(self) -> float:
        return self.score_sum / self.scored if self.scored else math.nan

    def summary(self) -> str:
        if self.reasons or self.accepted or self.rejected:
            kinds = ", ".join(f"{k}: {v}" for k, v in sorted(self.reasons.items()))
            return (f"kept {self.accepted} of {self.rows} samples, rejected {self.rejected}"
                    + (f" ({kinds})" if kinds else ""))
        used = ", ".join(f"{k} {v}" for k, v in sorted(self.components.items()))
        profiles = ", ".join(f"{k} {v}" for k, v in sorted(self.profiles.items()))
        mean = f"{self.mean_score:.3f}" if self.scored else "n/a"
        return (f"scored {self.rows} samples, mean quality {mean}"
                + (f"; components used: {used}" if used else "")
                + (f"; profiles: {profiles}" if profiles else ""))


@dataclass
class _Chunk:
    """Consecutive (line number, record) pairs of a JSONL file and the bytes of the file read
    up to the end of the last one (how far the progress is)."""

    rows: list[tuple[int, dict[str, Any]]]
    read: int


def _records(path: Path, chunk_rows: int, read_options: dict[str, Any]) -> Iterator[_Chunk]:
    """Chunks of a JSONL file's records; a bad line is a DataError naming it.
    ``read_options``: ``allow_empty`` and ``max_record_bytes`` (afs.jsonl_input)."""
    chunk: list[tuple[int, dict[str, Any]]] = []
    read = 0
    for number, record, read in iter_json_lines_with_ends(path, **read_options):
        problem = record_problem(record)
        if problem:
            raise DataError(problem, path, number)
        chunk.append((number, record))
        if len(chunk) >= chunk_rows:
            yield _Chunk(chunk, read)
            chunk = []
    if chunk:
        yield _Chunk(chunk, read)


def _progress(path: Path, progress: bool | Reporter, desc: str):
    """A phase over the input's bytes: the records read advance it, never what is written
    (a scored record is longer than its line, which once took the bar past 100 %)."""
    return as_reporter(progress).phase(f"{desc} {path.name}", path.stat().st_size, unit="B")


def score_jsonl(input_path: str | Path, output_path: str | Path, config: Any = None,
                device: str = "auto", model_path: str | Path | None = None,
                batch_size: int = 32, scorer: Any = None, chunk_rows: int = CHUNK_ROWS,
                progress: bool | Reporter = False, *, allow_empty: bool = False,
                max_record_bytes: int | None = None) -> QualityReport:
    """Score every sample of ``input_path`` into ``output_path``.

    ``config`` is a ``ScoringConfig`` judging every sample (default: each sample's domain's
    profile, the pipeline's rule); ``model_path`` names the ELECTRA directory (default:
    ``config.electra_model`` when it exists; without a model the ELECTRA component is left out
    and the others renormalised). ``scorer`` replaces all of these with a ready
    ``QualityScorer`` (its ``score_outputs(outputs, domains)`` is called). An input without
    records is an error unless ``allow_empty``; a line over ``max_record_bytes`` always is
    (afs.jsonl_input).
    """
    input_path, output_path = input_file(input_path), Path(output_path).expanduser()
    if batch_size < 1:
        raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
    if scorer is None:
        scorer = QualityScorer(config, device=device, batch_size=batch_size,
                               model_path=model_path)
    read_options = {"allow_empty": allow_empty, "max_record_bytes": max_record_bytes}
    report = QualityReport(str(input_path))
    with atomic_write(output_path) as handle, _progress(input_path, progress, "scoring") as bar:
        for chunk in _records(input_path, chunk_rows, read_options):
            records = [record for _, record in chunk.rows]
            scores = scorer.score_outputs([record["output"] for record in records],
                                          [record.get("domain") for record in records])
            lines = []
            for record, score in zip(records, scores, strict=True):
                _attach(record, score.to_dict())
                report.rows += 1
                report.components.update(score.components.keys())
                report.profiles.update([score.profile] if score.profile else [])
                if not math.isnan(score.overall):
                    report.scored += 1
                    report.score_sum += score.overall
                lines.append(orjson.dumps(record))
            handle.write(b"\n".join(lines) + b"\n")
            bar.update_to(chunk.read)
        bar.close()
    return report


def _attach(record: dict[str, Any], quality: dict[str, Any]) -> None:
    if quality["overall"] is None:
        record.pop("quality_score", None)
    else:
        record["quality_score"] = quality["overall"]
    metadata = record.get(METADATA_KEY) or {}
    metadata[QUALITY_KEY] = quality
    record[METADATA_KEY] = metadata


def filter_jsonl(input_path: str | Path, output_path: str | Path,
                 rejected_path: str | Path | None = None, min_score: float | None = None,
                 reject_invalid_asm: bool = True, chunk_rows: int = CHUNK_ROWS,
                 progress: bool | Reporter = False, *, allow_empty: bool = False,
                 max_record_bytes: int | None = None,
                 profiles: ProfileChoice | None = None) -> QualityReport:
    """Split a scored JSONL file: records with ``quality_score`` at least their threshold
    (and, unless ``reject_invalid_asm`` is False, valid asm) go to ``output_path``, the others
    to ``rejected_path`` (default ``<output>.rejects.jsonl``) with their reason; the two files
    are committed as one unit (a kill leaves both old or both new). The threshold is
    ``min_score`` for every record when given, else the ``min_score`` of the profile that
    scored the record (``_metadata.quality.profile``; one scored without a profile name: its
    domain's, by ``profiles``, default the built-in rule). Input rules (``allow_empty``,
    ``max_record_bytes``) as for :func:`score_jsonl`."""
    if min_score is not None and not 0.0 <= min_score <= 1.0:
        raise ConfigError(f"min_score must be in [0, 1], got {min_score}")
    thresholds = _Thresholds(min_score, profiles or ProfileChoice())
    input_path, output_path = input_file(input_path), Path(output_path).expanduser()
    rejected_path = (Path(rejected_path).expanduser() if rejected_path is not None
                     else rejects_path_beside(output_path))
    read_options = {"allow_empty": allow_empty, "max_record_bytes": max_record_bytes}
    report = QualityReport(str(input_path))
    with atomic_outputs([output_path, rejected_path]) as staged, \
            open(staged[output_path], "wb") as kept, \
            open(staged[rejected_path], "wb") as dropped, \
            _progress(input_path, progress, "filtering") as bar:
        for chunk in _records(input_path, chunk_rows, read_options):
            for number, record in chunk.rows:
                report.rows += 1
                threshold = thresholds.of(record, input_path, number)
                reason = reject_reason(record, threshold, reject_invalid_asm)
                line = orjson.dumps(record)
                if reason is None:
                    report.accepted += 1
                    kept.write(line + b"\n")
                else:
                    report.rejected += 1
                    report.reasons[reason_code(reason)] += 1
                    dropped.write(orjson.dumps({**record, "reject_step": FILTER_STEP,
                                                "reject_reason": reason}) + b"\n")
            bar.update_to(chunk.read)
        bar.close()
    return report


class _Thresholds:
    """Each record's filter threshold: ``min_score`` when given, else the ``min_score`` of the
    profile that scored it (or, unnamed, of its domain's profile)."""

    def __init__(self, min_score: float | None, choice: ProfileChoice):
        self.min_score, self.choice = min_score, choice
        self._of_profile: dict[str, float] = {}

    def of(self, record: dict[str, Any], path: Path, number: int) -> float:
        if self.min_score is not None:
            return self.min_score
        quality = (record.get(METADATA_KEY) or {}).get(QUALITY_KEY) or {}
        name = quality.get("profile") or self.choice.for_domain(record.get("domain"))
        if name not in self._of_profile:
            if name not in self.choice.table:
                raise DataError(f"scored with profile {name!r}, which is not known here "
                                f"(known: {sorted(self.choice.table)}); give min_score",
                                path, number)
            self._of_profile[name] = self.choice.config(name).min_score
        return self._of_profile[name]
