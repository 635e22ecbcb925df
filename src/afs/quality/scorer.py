"""Composite quality score of training samples: ELECTRA, asar validity, entity coverage, length.

Each component is a number in [0, 1]:

- ``electra``: the discriminator's probability that the output is real (not corrupted);
- ``asar``: 1 when the output's asm code validates (``afs.asm.validate_sample``), else 0;
- ``entity``: share of the addresses the code touches that the knowledge base names
  (``afs.knowledge.extract_entities``);
- ``length``: ``length_scores`` over the output length (see ``afs.quality.config``).

A component that does not apply is left out and the remaining weights are renormalised, so it
neither helps nor hurts: ELECTRA without a model, asar and entity for an output with no code,
entity for code that names no address. ``QualityScore.components`` holds exactly the
components used, ``weights`` their renormalised weights and ``skipped`` why the others were
left out. A left-out ELECTRA score reads ``nan``; a left-out entity coverage reads
``NO_ENTITIES_COVERAGE`` (0.5, "no evidence"), as ``extract_entities`` reports it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import numpy as np

from afs.asm.source import Statement, statements
from afs.asm.validator import code_blocks, validate
from afs.config import load_config
from afs.discriminator.model import ElectraDiscriminator
from afs.errors import ConfigError
from afs.knowledge.database import AddressDatabase
from afs.knowledge.entities import NO_ENTITIES_COVERAGE, extract_entities
from afs.quality.config import (
    BUILTIN_PROFILES,
    COMPONENTS,
    ScoringConfig,
    ScoringWeights,
    length_scores,
)

__all__ = ["BUILTIN_PROFILES", "COMPONENTS", "QualityScore", "QualityScorer", "ScoringConfig",
           "ScoringWeights", "TextDiscriminator", "length_scores"]

NO_MODEL = "no discriminator model"
NO_CODE = "no code in the output"
NO_ADDRESSES = "the code names no address"
ZERO_WEIGHT = "weight 0"
CACHE_SIZE = 200_000


class TextDiscriminator(Protocol):
    """What the scorer needs of a discriminator (``afs.discriminator.ElectraDiscriminator``)."""

    def score_texts(self, texts: list[str], batch_size: int = 32) -> list[float]: ...


@dataclass
class QualityScore:
    """One sample's composite score and its parts (see the module docstring)."""

    overall: float
    electra_score: float
    asar_valid: bool
    entity_coverage: float
    length_score: float
    components: dict[str, float] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    asar_errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (NaN becomes None)."""
        electra = None if math.isnan(self.electra_score) else round(self.electra_score, 6)
        return {"overall": _round(self.overall), "components": {k: _round(v) for k, v in
                                                                self.components.items()},
                "weights": {k: _round(v) for k, v in self.weights.items()},
                "skipped": dict(self.skipped), "electra_score": electra,
                "asar_valid": self.asar_valid, "asar_errors": list(self.asar_errors),
                "entity_coverage": _round(self.entity_coverage),
                "length_score": _round(self.length_score)}


    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QualityScore:
        """The score ``to_dict`` wrote (its numbers rounded as there)."""
        return cls(overall=_number(data["overall"]), electra_score=_number(data["electra_score"]),
                   asar_valid=bool(data["asar_valid"]),
                   entity_coverage=_number(data["entity_coverage"]),
                   length_score=_number(data["length_score"]),
                   components={k: _number(v) for k, v in data["components"].items()},
                   weights={k: _number(v) for k, v in data["weights"].items()},
                   skipped=dict(data["skipped"]), asar_errors=list(data["asar_errors"]))


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _round(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 6)


class _CodeVerdict(NamedTuple):
    """What the asar and entity components make of one output text (cached per text)."""

    has_code: bool
    valid: bool
    errors: tuple[str, ...]
    entities: int
    coverage: float


_PROSE = _CodeVerdict(False, True, (), 0, NO_ENTITIES_COVERAGE)


class QualityScorer:
    """Scores samples with ``config``; ``discriminator`` is any object with
    ``score_texts(texts, batch_size) -> list[float]`` (default: the model at ``model_path``,
    else at the AFS config's ``discriminator.model_path`` when set, else
    ``config.electra_model`` when that directory exists); ``db`` is the knowledge base for entity coverage
    (default: the built-in table)."""

    def __init__(self, config: ScoringConfig | None = None,
                 discriminator: TextDiscriminator | None = None, db: Any = None,
                 device: str = "auto", batch_size: int = 32, model_path: str | Path | None = None):
        self.config = config or ScoringConfig()
        self.db = db
        self.device = device
        self.batch_size = batch_size
        self._weights = self.config.weights.as_dict()
        self._discriminator = discriminator
        if discriminator is None and self._weights["electra"] > 0:
            self._discriminator = _load_discriminator(model_path, self.config.electra_model,
                                                      device)
        self._cache: dict[str, _CodeVerdict] = {}
        self._lookups: _FixedDatabase | None = None
        # the renormalised weights of each set of components used (at most 2**4 sets)
        self._normalized: dict[tuple[str, ...], dict[str, float]] = {}

    @property
    def discriminator(self) -> TextDiscriminator | None:
        return self._discriminator

    def score(self, sample: Any) -> QualityScore:
        """Score one sample (a TrainingSample, a dict with "output", or the output text)."""
        return self.score_batch([sample])[0]

    def score_batch(self, samples: Iterable[Any]) -> list[QualityScore]:
        """Score samples together (the discriminator sees them in batches)."""
        return self.score_outputs([_output_of(sample) for sample in samples])

    def score_outputs(self, outputs: Sequence[str]) -> list[QualityScore]:
        """Score output texts; the unit all the other entry points go through."""
        outputs = ["" if text is None else str(text) for text in outputs]
        lengths = length_scores(np.fromiter(map(len, outputs), np.float64, len(outputs)),
                                self.config)
        electra = self._electra(outputs)
        verdicts = [self._verdict(text) for text in outputs]
        return [self._combine(float(lengths[i]), electra[i], verdicts[i])
                for i in range(len(outputs))]

    # -- components ----------------------------------------------------------------------------

    def _electra(self, outputs: list[str]) -> list[float]:
        if self._discriminator is None or self._weights["electra"] <= 0 or not outputs:
            return [math.nan] * len(outputs)
        scores = list(self._discriminator.score_texts(outputs, batch_size=self.batch_size))
        if len(scores) != len(outputs):
            raise ConfigError(f"discriminator returned {len(scores)} scores for "
                              f"{len(outputs)} texts")
        return [min(1.0, max(0.0, float(s))) for s in scores]

    def _verdict(self, output: str) -> _CodeVerdict:
        cached = self._cache.get(output)
        if cached is None:
            cached = self._judge_code(output)
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()  # bounded memory; a cold cache only costs time
            self._cache[output] = cached
        return cached

    def _judge_code(self, output: str) -> _CodeVerdict:
        blocks = code_blocks(output)
        if not blocks:
            return _PROSE
        parsed = [statements(code) for _, code in blocks]  # shared by the two checks below
        errors = [str(issue._replace(line=issue.line + first_line - 1))  # as validate_sample
                  for (first_line, code), block in zip(blocks, parsed)
                  for issue in validate(code, self.config.asar_backend, statements=block).errors]
        report = extract_entities("\n".join(code for _, code in blocks), self._database(),
                                  statements=_joined(blocks, parsed))
        return _CodeVerdict(True, not errors, tuple(errors), report.total, report.coverage)

    def _database(self) -> _FixedDatabase:
        """``self.db`` (built once when None: extract_entities would build one per call), its
        answers remembered while it stays the scorer's database."""
        if self.db is None:
            self.db = AddressDatabase()
        if self._lookups is None or self._lookups.db is not self.db:
            self._lookups = _FixedDatabase(self.db)
        return self._lookups

    def _combine(self, length: float, electra: float, verdict: _CodeVerdict) -> QualityScore:
        values: dict[str, float] = {}
        skipped: dict[str, str] = {}
        candidates = {"electra": (electra, None if not math.isnan(electra) else NO_MODEL),
                      "asar": (1.0 if verdict.valid else 0.0,
                               None if verdict.has_code else NO_CODE),
                      "entity": (verdict.coverage,
                                 NO_CODE if not verdict.has_code else
                                 (None if verdict.entities else NO_ADDRESSES)),
                      "length": (length, None)}
        for name in COMPONENTS:
            value, reason = candidates[name]
            if self._weights[name] <= 0:
                skipped[name] = ZERO_WEIGHT
            elif reason is not None:
                skipped[name] = reason
            else:
                values[name] = value
        used = tuple(values)
        if used not in self._normalized:
            self._normalized[used] = self.config.weights.normalized(used)
        weights = dict(self._normalized[used])
        overall = sum(weights[k] * values[k] for k in weights) if weights else math.nan
        return QualityScore(overall=overall, electra_score=electra, asar_valid=verdict.valid,
                            entity_coverage=verdict.coverage, length_score=length,
                            components=values, weights=weights, skipped=skipped,
                            asar_errors=list(verdict.errors))


class _FixedDatabase:
    """The scorer's address database as ``extract_entities`` reads it (``get``, ``lookup``),
    with the entry at each address remembered. The scorer already holds its database fixed
    (it caches a verdict per text), and a lookup scans every entry within the widest entry's
    size below the address (640 bytes in the built-in table): remembering pays on every code
    output."""

    def __init__(self, db: Any):
        self.db = db
        self._at: dict[Any, Any] = {}

    def lookup(self, address: int) -> Any:
        if address not in self._at:
            if len(self._at) >= CACHE_SIZE:
                self._at.clear()  # bounded memory, as the verdict cache
            self._at[address] = self.db.lookup(address)
        return self._at[address]

    def get(self, name: str) -> Any:  # a dict lookup already: nothing to remember
        return self.db.get(name)


def _joined(blocks: list[tuple[int, str]], parsed: list[list[Statement]]) -> list[Statement]:
    """The statements of the blocks' codes joined with a line break, from each block's
    statements. Several blocks are fenced ones, which end with a line break (or are empty), so
    in the join each block starts on a line of its own after one blank line, which also ends
    any continuation: the join's statements are the blocks', moved down past those before."""
    if len(parsed) == 1:
        return parsed[0]
    joined, start = [], 0
    for (_, code), block in zip(blocks, parsed):
        joined += [Statement(s.line + start, s.column, s.text) for s in block]
        start += len(code.splitlines()) + 1
    return joined


def _output_of(sample: Any) -> str:
    if isinstance(sample, str):
        return sample
    if isinstance(sample, dict):
        return sample.get("output") or ""
    return getattr(sample, "output", "") or ""


def configured_model_path(model_path: str | Path | None) -> tuple[str | Path | None, str]:
    """``model_path``, else ``discriminator.model_path`` when the AFS config sets it (a file or
    ``AFS_DISCRIMINATOR_MODEL_PATH``), else None; and where it came from, for errors."""
    if model_path is not None:
        return model_path, "given"
    config = load_config()
    chosen = config.chosen("discriminator.model_path")  # its built-in default is the profiles'
    source = config.sources.get("discriminator.model_path")
    return chosen, f"discriminator.model_path from {source}"


def discriminator_model_dir(model_path: str | Path | None) -> Path | None:
    """The model folder ``model_path`` or the configured one names; a ConfigError (saying
    where the path came from) when it is no folder; None when neither names one."""
    model_path, source = configured_model_path(model_path)
    if model_path is None:
        return None
    path = Path(model_path).expanduser()
    if not path.is_dir():
        where = f" ({source})" if source != "given" else ""
        raise ConfigError(f"{path}: no discriminator model directory{where}")
    return path


def _load_discriminator(model_path: str | Path | None, default: str, device: str,
                        ) -> TextDiscriminator | None:
    """The ELECTRA model at ``model_path`` or the configured one (must exist), else at
    ``default`` if it exists."""
    path = discriminator_model_dir(model_path)
    if path is None:
        path = Path(default).expanduser()
        if not path.is_dir():
            return None
    return ElectraDiscriminator.load(path, device=device)
