"""What the composite quality score weighs and how: weights, length bounds, profiles.

Profiles are data, written once in ``profiles.yml`` beside this module (``BUILTIN_PROFILES``);
a ``profiles`` mapping (the parameters' ``quality_scoring.profiles``, or a YAML file holding
one) adds profiles or replaces built-in ones by name.
Which profile judges a sample is data too, and one rule (``ProfileChoice``) for the pipeline,
the CLI and the API: the sample's domain looked up in ``domain_profiles.yml`` (beside this
module), with the parameters' ``domain_profiles`` added over it by domain, else the default
profile; a forced profile (``--profile NAME``) judges every sample.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from afs.config import check_known_keys
from afs.errors import ConfigError
from afs.quality.profiles import builtin_domain_profiles, builtin_profiles

COMPONENTS = ("electra", "asar", "entity", "length")
DEFAULT_ELECTRA_MODEL = "models/electra"
PARAMETERS_FILE = "parameters_quality_scoring.yml"

# name -> overrides of the ScoringConfig defaults, written once in profiles.yml (package data)
BUILTIN_PROFILES: dict[str, dict[str, Any]] = builtin_profiles()
# the profile of a domain that domain_profiles.yml does not name, and its domain -> profile map
DEFAULT_PROFILE, BUILTIN_DOMAIN_PROFILES = builtin_domain_profiles()


@dataclass(frozen=True)
class ScoringWeights:
    """Relative weight of each component; only their ratios matter (see ``normalized``)."""

    electra: float = 0.4
    asar: float = 0.3
    entity: float = 0.2
    length: float = 0.1

    def __post_init__(self) -> None:
        values = self.as_dict()
        bad = {k: v for k, v in values.items() if not (math.isfinite(v) and v >= 0)}
        if bad:
            raise ConfigError(f"scoring weights must be finite and >= 0, got {bad}")
        if sum(values.values()) <= 0:
            raise ConfigError("scoring weights must not all be 0")

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in COMPONENTS}

    def normalized(self, used: tuple[str, ...] | None = None) -> dict[str, float]:
        """Weights of the ``used`` components (default: all) scaled to sum to 1. Components
        with weight 0 are dropped; an empty dict when none of ``used`` weighs anything."""
        values = {k: v for k, v in self.as_dict().items()
                  if v > 0 and (used is None or k in used)}
        total = sum(values.values())
        return {k: v / total for k, v in values.items()} if total > 0 else {}


@dataclass(frozen=True)
class ScoringConfig:
    """Composite scorer settings. Output length is counted in characters; ``min_score`` is
    the default threshold of ``filter_jsonl``; ``electra_model`` is loaded when that directory
    exists and no discriminator is given to the scorer."""

    weights: ScoringWeights = field(default_factory=ScoringWeights)
    min_output_length: int = 50
    ideal_output_length: int = 500
    max_output_length: int = 5000
    min_score: float = 0.6
    electra_model: str = DEFAULT_ELECTRA_MODEL
    asar_backend: str = "builtin"
    profile: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.weights, Mapping):  # from YAML
            object.__setattr__(self, "weights", weights_from_mapping(self.weights))
        low, ideal, high = self.min_output_length, self.ideal_output_length, self.max_output_length
        if not 0 <= low < ideal < high:
            raise ConfigError("output lengths need 0 <= min_output_length < ideal_output_length "
                              f"< max_output_length, got {low}, {ideal}, {high}")
        if not 0.0 <= self.min_score <= 1.0:
            raise ConfigError(f"min_score must be in [0, 1], got {self.min_score}")

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], profile: str | None = None) -> ScoringConfig:
        check_known_keys(values, {f.name for f in fields(cls)}, "scoring setting(s)")
        return cls(**{"profile": profile, **values})

    @classmethod
    def from_profile(cls, name: str, profiles: Mapping[str, Any] | str | Path | None = None,
                     ) -> ScoringConfig:
        """The named profile: from ``profiles`` (a mapping of name -> settings, or a YAML
        file holding ``quality_scoring: {profiles: …}``) or else ``BUILTIN_PROFILES``."""
        table = profile_table(profiles)
        if name not in table:
            raise ConfigError(f"unknown scoring profile {name!r} (known: {sorted(table)})")
        return cls.from_dict(table[name], profile=name)


def profile_table(profiles: Mapping[str, Any] | str | Path | None = None,
                  ) -> Mapping[str, Any]:
    """Profile name -> settings: ``BUILTIN_PROFILES``, with ``profiles`` (a mapping, or the
    profiles of a YAML file) added over them by name."""
    if profiles is None:
        return BUILTIN_PROFILES
    extra = load_profiles(profiles) if isinstance(profiles, (str, Path)) else profiles
    return {**BUILTIN_PROFILES, **extra}


def profile_for_domain(domain: Any, domain_profiles: Mapping[str, str] | None,
                       default: str) -> str:
    """The profile that judges a sample of ``domain``: its entry in ``domain_profiles``
    (exact domain names), else ``default``."""
    return (domain_profiles or {}).get(str(domain), default)


def check_domain_profiles(domain_profiles: Mapping[str, str] | None, default: str,
                          profiles: Mapping[str, Any]) -> None:
    """A ConfigError naming every profile that ``default`` or ``domain_profiles`` asks for
    and ``profiles`` lacks (checked before any scoring starts)."""
    if domain_profiles is not None and not isinstance(domain_profiles, Mapping):
        raise ConfigError(f"domain_profiles must map a domain to a profile name, got "
                          f"{domain_profiles!r}")
    wanted = {"(default)": default, **(domain_profiles or {})}
    unknown = {domain: name for domain, name in wanted.items() if name not in profiles}
    if unknown:
        raise ConfigError(f"unknown scoring profile(s) for domains {unknown} "
                          f"(known: {sorted(profiles)})")


@dataclass(frozen=True)
class ProfileChoice:
    """Which scoring profile judges each sample: ``forced`` for every sample when set, else
    the sample's domain's entry in ``domains``, else ``default``; ``table`` holds the profiles
    (name -> settings). The one rule of the pipeline, the CLI and the API: build it with
    ``from_parameters``."""

    default: str = DEFAULT_PROFILE
    domains: Mapping[str, str] = field(default_factory=lambda: dict(BUILTIN_DOMAIN_PROFILES))
    table: Mapping[str, Any] = field(default_factory=lambda: BUILTIN_PROFILES)
    forced: str | None = None

    def __post_init__(self) -> None:
        check_domain_profiles(self.domains, self.forced or self.default, self.table)

    @classmethod
    def from_parameters(cls, quality: Mapping[str, Any] | None = None,
                        forced: str | None = None) -> ProfileChoice:
        """The rule for the quality parameters (``profile``: the default; ``domain_profiles``
        added over the built-in ones by domain; ``profiles`` added over the built-in ones by
        name); none given: the built-in rule. ``forced`` names the profile of every sample."""
        quality = quality or {}
        domains = quality.get("domain_profiles")
        if domains is not None and not isinstance(domains, Mapping):
            check_domain_profiles(domains, DEFAULT_PROFILE, BUILTIN_PROFILES)  # says what is wrong
        return cls(default=quality.get("profile") or DEFAULT_PROFILE,
                   domains={**BUILTIN_DOMAIN_PROFILES, **(domains or {})},
                   table=profile_table(quality.get("profiles")), forced=forced)

    def for_domain(self, domain: Any) -> str:
        """The name of the profile that judges a sample of ``domain``."""
        return self.forced or profile_for_domain(domain, self.domains, self.default)

    def names(self) -> set[str]:
        """Every profile this rule can choose."""
        return {self.forced} if self.forced else {self.default, *self.domains.values()}

    def config(self, name: str) -> ScoringConfig:
        """The settings of the profile ``name``."""
        return ScoringConfig.from_profile(name, self.table)


def weights_from_mapping(values: Mapping[str, Any]) -> ScoringWeights:
    check_known_keys(values, COMPONENTS, "scoring weight(s)")
    return ScoringWeights(**{k: float(v) for k, v in values.items()})


def load_profiles(path: str | Path) -> dict[str, dict[str, Any]]:
    """The profiles of a parameters YAML file (``quality_scoring.profiles``)."""
    import yaml

    path = Path(path).expanduser()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"{path}: cannot read scoring profiles ({error})") from error
    profiles = (document.get("quality_scoring") or {}).get("profiles")
    if not isinstance(profiles, Mapping):
        raise ConfigError(f"{path}: no quality_scoring.profiles mapping")
    return dict(profiles)


def length_scores(lengths: np.ndarray, config: ScoringConfig) -> np.ndarray:
    """Length score of each output length, continuous everywhere.

    0 at length 0, rising linearly to 0.5 at ``min_output_length`` and on to 1 at
    ``ideal_output_length``; past the ideal it falls smoothly (log scale) to 0.5 at
    ``max_output_length``, then as 0.5 * max / length: no jump anywhere.
    """
    n = np.asarray(lengths, dtype=np.float64)
    low = float(config.min_output_length)
    ideal = float(config.ideal_output_length)
    high = float(config.max_output_length)
    with np.errstate(divide="ignore", invalid="ignore"):
        below_min = 0.5 * n / low if low > 0 else np.ones_like(n)
        start = 0.5 if low > 0 else 0.0  # with no minimum, the empty output still scores 0
        rising = start + (1.0 - start) * (n - low) / (ideal - low)
        falling = 1.0 - 0.5 * np.log(np.maximum(n, ideal) / ideal) / math.log(high / ideal)
        beyond = 0.5 * high / np.maximum(n, high)
    score = np.where(n < low, below_min,
                     np.where(n <= ideal, rising, np.where(n <= high, falling, beyond)))
    return np.clip(score, 0.0, 1.0)
