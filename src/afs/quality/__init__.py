"""Quality scoring: the composite scorer (``scorer``), its profiles (``config``), the filter
rule (``filter``), frame scoring (``frame``), streaming JSONL scoring (``streaming``) and the
executor stages (``stages``)."""

from __future__ import annotations

from afs.lazy import lazy_exports

_EXPORTS = {
    "QualityScorer": "afs.quality.scorer",
    "QualityScore": "afs.quality.scorer",
    "ScoringConfig": "afs.quality.config",
    "ScoringWeights": "afs.quality.config",
    "score_jsonl": "afs.quality.streaming",
    "filter_jsonl": "afs.quality.streaming",
    "score_frame_by_domain": "afs.quality.frame",
    "filter_frame_by_domain": "afs.quality.frame",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
