"""The seed's face: ``afs.training`` keeps every name the API reference imports from it, as
re-exports of the stage packages that hold them (``afs.samples``, ``afs.quality``,
``afs.dedup``, ``afs.curation``, ``afs.finetune``). New code imports from those packages.

Imports are resolved on first use so `import afs.training` stays light.
"""

from __future__ import annotations

from afs.lazy import lazy_exports

_EXPORTS = {
    "RehearsalBuffer": "afs.curation.rehearsal",
    "RehearsalBufferConfig": "afs.curation.rehearsal",
    "rebalance_datasets": "afs.curation.rebalance",
    "split_dataset": "afs.curation.split",
    "write_splits": "afs.curation.split",
    "AlpacaConverter": "afs.samples.formats",
    "ShareGPTConverter": "afs.samples.formats",
    "OpenAIConverter": "afs.samples.formats",
    "ChatMLConverter": "afs.samples.formats",
    "get_converter": "afs.samples.formats",
    "convert_jsonl": "afs.curation.export",
    "load_jsonl": "afs.samples.jsonl",
    "save_jsonl": "afs.samples.jsonl",
    "TrainingSample": "afs.samples.model",
    "SampleList": "afs.samples.collection",
    "QualityScorer": "afs.quality.scorer",
    "QualityScore": "afs.quality.scorer",
    "ScoringConfig": "afs.quality.config",
    "ScoringWeights": "afs.quality.config",
    "score_jsonl": "afs.quality.streaming",
    "filter_jsonl": "afs.quality.streaming",
    "DedupConfig": "afs.dedup.config",
    "deduplicate": "afs.dedup.clusters",
    "dedup_against_reference": "afs.dedup.reference",
    "decontaminate": "afs.dedup.reference",
    "duplicate_clusters": "afs.dedup.clusters",
    "build_tiny_model": "afs.finetune.tiny",
    "resolve_base_model": "afs.finetune.tiny",
    "train_lora": "afs.finetune.lora",
    "LoraReport": "afs.finetune.lora",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
