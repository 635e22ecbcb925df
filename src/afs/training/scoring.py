"""``from afs.training.scoring import QualityScorer, ScoringConfig, ScoringWeights``, as the API
reference writes it: re-exports of ``afs.quality``."""

from __future__ import annotations

from afs.quality.config import BUILTIN_PROFILES, COMPONENTS, ScoringConfig, ScoringWeights
from afs.quality.scorer import QualityScore, QualityScorer

__all__ = ["BUILTIN_PROFILES", "COMPONENTS", "QualityScore", "QualityScorer", "ScoringConfig",
           "ScoringWeights"]
