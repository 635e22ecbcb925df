"""Composite quality score of training samples: ELECTRA, asar validity, entity coverage, length.

Each component is a number in [0, 1]:

- ``electra``: the discriminator's probability that the output's code is real (not
  corrupted): the model reads the code of the output only (its blocks, as ``code_blocks``
  finds them, joined), the text it was trained on;
- ``asar``: 1 when the output's asm code validates (``afs.asm.validate_sample``), else 0;
- ``entity``: share of the addresses the code touches that the knowledge base names
  (``afs.knowledge.extract_entities``);
- ``length``: ``length_scores`` over the output length (see ``afs.quality.config``).

A component that does not apply is left out and the remaining weights are renormalised, so it
neither helps nor hurts: ELECTRA without a model; ELECTRA, asar and entity for an output with
no code (no statement in it: see ``afs.asm.blocks`` for what is code); entity for code that
names no address. ``QualityScore.components`` holds exactly the components used, ``weights``
their renormalised weights and ``skipped`` why the others were left out. A left-out ELECTRA
score reads ``nan``; a left-out entity coverage reads ``NO_ENTITIES_COVERAGE`` (0.5, "no
evidence"), as ``extract_entities`` reports it.

Which profile's weights and lengths judge a sample: the scorer's ``config`` when one is given,
else the profile of the sample's domain (``afs.quality.config.ProfileChoice``, the pipeline's
rule); ``QualityScore.profile`` names it.
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
    ProfileChoice,
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
    profile: str | None = None  # the profile that judged it, when it has a name

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (NaN becomes None; ``profile`` only when there is one)."""
        electra = None if math.isnan(self.electra_score) else round(self.electra_score, 6)
        data = {"overall": _round(self.overall), "components": {k: _round(v) for k, v in
                                                                self.components.items()},
                "weights": {k: _round(v) for k, v in self.weights.items()},
                "skipped": dict(self.skipped), "electra_score": electra,
                "asar_valid": self.asar_valid, "asar_errors": list(self.asar_errors),
                "entity_coverage": _round(self.entity_coverage),
                "length_score": _round(self.length_score)}
        if self.profile is not None:
            data["profile"] = self.profile
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QualityScore:
        """The score ``to_dict`` wrote (its numbers rounded as there)."""
        return cls(overall=_number(data["overall"]), electra_score=_number(data["electra_score"]),
                   asar_valid=bool(data["asar_valid"]),
                   entity_coverage=_number(data["entity_coverage"]),
                   length_score=_number(data["length_score"]),
                   components={k: _number(v) for k, v in data["components"].items()},
                   weights={k: _number(v) for k, v in data["weights"].items()},
                   skipped=dict(data["skipped"]), asar_errors=list(data["asar_errors"]),
                   profile=data.get("profile"))


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _round(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 6)


class _CodeVerdict(NamedTuple):
    """What the asar and entity components make of one output text, and the code in it that
    the ELECTRA component reads (cached per text)."""

    has_code: bool
    valid: bool
    errors: tuple[str, ...]
    entities: int
    coverage: float
    code: str


_PROSE = _CodeVerdict(False, True, (), 0, NO_ENTITIES_COVERAGE, "")


class QualityScorer:
    """Scores samples with ``config`` (every sample), or, when ``config`` is None, with the
    profile of each sample's domain as ``profiles`` (default: the built-in rule,
    ``ProfileChoice()``) chooses it. ``discriminator`` is any object with
    ``score_texts(texts, batch_size) -> list[float]`` (default: the model at ``model_path``,
    else at the AFS config's ``discriminator.model_path`` when set, else
    ``config.electra_model`` when that directory exists); ``db`` is the knowledge base for
    entity coverage (default: the built-in table)."""

    def __init__(self, config: ScoringConfig | None = None,
                 discriminator: TextDiscriminator | None = None, db: Any = None,
                 device: str = "auto", batch_size: int = 32, model_path: str | Path | None = None,
                 profiles: ProfileChoice | None = None):
        self.choice = (profiles or ProfileChoice()) if config is None else None
        self.config = config or self.choice.config(self.choice.for_domain(None))
        self.db = db
        self.device = device
        self.batch_size = batch_size
        self._weights = self.config.weights.as_dict()
        self._discriminator = discriminator
        if discriminator is None and self._wants_model():
            self._discriminator = _load_discriminator(model_path, self.config.electra_model,
                                                      device)
        self._cache: dict[str, _CodeVerdict] = {}
        self._lookups: _FixedDatabase | None = None
        # (has code, names addresses) -> components used, their weights, the others' reasons
        self._plans: dict[tuple[bool, bool], tuple[tuple[str, ...], dict[str, float],
                                                   dict[str, str]]] = {}
        self._by_profile: dict[str, QualityScorer] = {}  # per-domain scoring: one per profile

    def _wants_model(self) -> bool:
        """Whether some profile this scorer may use weighs the ELECTRA component."""
        if self.choice is None:
            return self._weights["electra"] > 0
        return any(self.choice.config(name).weights.electra > 0 for name in self.choice.names())

    @property
    def discriminator(self) -> TextDiscriminator | None:
        return self._discriminator

    def score(self, sample: Any) -> QualityScore:
        """Score one sample (a TrainingSample, a dict with "output", or the output text)."""
        return self.score_batch([sample])[0]

    def score_batch(self, samples: Iterable[Any]) -> list[QualityScore]:
        """Score samples together (the discriminator sees them in batches), each by its
        domain's profile unless the scorer has a config."""
        samples = list(samples)
        return self.score_outputs([_output_of(sample) for sample in samples],
                                  [_domain_of(sample) for sample in samples])

    def score_outputs(self, outputs: Sequence[str],
                      domains: Sequence[Any] | None = None) -> list[QualityScore]:
        """Score output texts (the unit all the other entry points go through); ``domains``
        (one per output) choose each one's profile when the scorer has no config."""
        outputs = ["" if text is None else str(text) for text in outputs]
        if self.choice is None or domains is None:
            return self._score_with_config(outputs)
        if len(domains) != len(outputs):
            raise ConfigError(f"{len(domains)} domains for {len(outputs)} outputs")
        names = [self.choice.for_domain(domain) for domain in domains]
        scores: list[QualityScore | None] = [None] * len(outputs)
        for name in sorted(set(names)):
            rows = [i for i, chosen in enumerate(names) if chosen == name]
            for row, score in zip(rows, self._profile_scorer(name)._score_with_config(
                    [outputs[i] for i in rows]), strict=True):
                scores[row] = score
        return scores

    def _profile_scorer(self, name: str) -> QualityScorer:
        """The scorer of profile ``name``: this one for its own profile, else one with that
        profile's config sharing this one's model, database and verdicts."""
        if name == self.config.profile:
            return self
        if name not in self._by_profile:
            scorer = QualityScorer(self.choice.config(name), discriminator=self._discriminator,
                                   db=self._database().db, device=self.device,
                                   batch_size=self.batch_size)
            if scorer.config.asar_backend == self.config.asar_backend:
                scorer._cache, scorer._lookups = self._cache, self._lookups
            self._by_profile[name] = scorer
        return self._by_profile[name]

    def _score_with_config(self, outputs: list[str]) -> list[QualityScore]:
        lengths = length_scores(np.fromiter(map(len, outputs), np.float64, len(outputs)),
                                self.config)
        verdicts = [self._verdict(text) for text in outputs]
        electra = self._electra(verdicts)
        return [self._combine(float(lengths[i]), electra[i], verdicts[i])
                for i in range(len(outputs))]

    # -- components ----------------------------------------------------------------------------

    def _electra(self, verdicts: list[_CodeVerdict]) -> list[float]:
        """The model's score of each output's code; nan where there is no model or no code."""
        scores = [math.nan] * len(verdicts)
        if self._discriminator is None or self._weights["electra"] <= 0:
            return scores
        rows = [i for i, verdict in enumerate(verdicts) if verdict.has_code]
        if not rows:
            return scores
        found = list(self._discriminator.score_texts([verdicts[i].code for i in rows],
                                                     batch_size=self.batch_size))
        if len(found) != len(rows):
            raise ConfigError(f"discriminator returned {len(found)} scores for "
                              f"{len(rows)} texts")
        for row, score in zip(rows, found):
            scores[row] = min(1.0, max(0.0, float(score)))
        return scores

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
        parsed = [statements(code) for _, code in blocks]  # shared by the two checks below
        if not any(parsed):  # no statement (no code, or only comments): no code to judge
            return _PROSE
        errors = [str(issue._replace(line=issue.line + first_line - 1))  # as validate_sample
                  for (first_line, code), block in zip(blocks, parsed)
                  for issue in validate(code, self.config.asar_backend, statements=block).errors]
        code = "\n".join(code for _, code in blocks)
        report = extract_entities(code, self._database(), statements=_joined(blocks, parsed))
        return _CodeVerdict(True, not errors, tuple(errors), report.total, report.coverage, code)

    def _database(self) -> _FixedDatabase:
        """``self.db`` (built once when None: extract_entities would build one per call), its
        answers remembered while it stays the scorer's database."""
        if self.db is None:
            self.db = AddressDatabase()
        if self._lookups is None or self._lookups.db is not self.db:
            self._lookups = _FixedDatabase(self.db)
        return self._lookups

    def _plan(self, has_code: bool, names_addresses: bool
              ) -> tuple[tuple[str, ...], dict[str, float], dict[str, str]]:
        """The components used, their renormalised weights and why the others are left out,
        for an output with or without code naming addresses or not: four cases at most, so
        each is worked out once, not per sample."""
        key = (has_code, names_addresses)
        if key not in self._plans:
            reasons = {"electra": (NO_MODEL if self._discriminator is None else
                                   None if has_code else NO_CODE),
                       "asar": None if has_code else NO_CODE,
                       "entity": (NO_CODE if not has_code else
                                  None if names_addresses else NO_ADDRESSES),
                       "length": None}
            skipped = {name: ZERO_WEIGHT if self._weights[name] <= 0 else reasons[name]
                       for name in COMPONENTS
                       if self._weights[name] <= 0 or reasons[name] is not None}
            used = tuple(name for name in COMPONENTS if name not in skipped)
            self._plans[key] = (used, self.config.weights.normalized(used), skipped)
        return self._plans[key]

    def _combine(self, length: float, electra: float, verdict: _CodeVerdict) -> QualityScore:
        used, weights, skipped = self._plan(verdict.has_code, bool(verdict.entities))
        every = {"electra": electra, "asar": 1.0 if verdict.valid else 0.0,
                 "entity": verdict.coverage, "length": length}
        values = {name: every[name] for name in used}
        overall = sum(weights[k] * values[k] for k in weights) if weights else math.nan
        return QualityScore(overall=overall, electra_score=electra, asar_valid=verdict.valid,
                            entity_coverage=verdict.coverage, length_score=length,
                            components=values, weights=dict(weights), skipped=dict(skipped),
                            asar_errors=list(verdict.errors), profile=self.config.profile)


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


def _domain_of(sample: Any) -> Any:
    """The sample's domain (None for a bare text: the default profile judges it)."""
    if isinstance(sample, str):
        return None
    if isinstance(sample, dict):
        return sample.get("domain")
    return getattr(sample, "domain", None)


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
