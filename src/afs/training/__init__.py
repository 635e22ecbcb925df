"""Curation: rehearsal buffers, rebalancing, leak-proof splits and trainer-format export.

Imports are resolved on first use so `import afs.training` stays light.
"""

from __future__ import annotations

from afs.lazy import lazy_exports

_EXPORTS = {
    "RehearsalBuffer": "afs.training.rehearsal",
    "RehearsalBufferConfig": "afs.training.rehearsal",
    "rebalance_datasets": "afs.training.rebalance",
    "split_dataset": "afs.training.split",
    "write_splits": "afs.training.split",
    "AlpacaConverter": "afs.training.converters",
    "ShareGPTConverter": "afs.training.converters",
    "OpenAIConverter": "afs.training.converters",
    "ChatMLConverter": "afs.training.converters",
    "get_converter": "afs.training.converters",
    "convert_jsonl": "afs.training.converters",
    "load_jsonl": "afs.samples.jsonl",
    "save_jsonl": "afs.samples.jsonl",
    "TrainingSample": "afs.samples.model",
    "SampleList": "afs.samples.collection",
    "QualityScorer": "afs.training.scoring",
    "QualityScore": "afs.training.scoring",
    "ScoringConfig": "afs.training.scoring_config",
    "ScoringWeights": "afs.training.scoring_config",
    "score_jsonl": "afs.training.quality_io",
    "filter_jsonl": "afs.training.quality_io",
    "DedupConfig": "afs.training.dedup",
    "deduplicate": "afs.training.dedup",
    "dedup_against_reference": "afs.training.dedup",
    "decontaminate": "afs.training.dedup",
    "duplicate_clusters": "afs.training.dedup",
    "build_tiny_model": "afs.training.tiny",
    "resolve_base_model": "afs.training.tiny",
    "train_lora": "afs.training.lora",
    "LoraReport": "afs.training.lora",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
