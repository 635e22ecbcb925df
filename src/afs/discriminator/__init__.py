"""ELECTRA quality discriminator: tells real 65816 asm from corrupted asm.

- ``afs.discriminator.corruptions``: labelled, seeded corruptions that look like real mistakes;
- ``afs.discriminator.data``: real windows + corrupted twins, split by block (no leaks);
- ``afs.discriminator.model``: ``ElectraDiscriminator`` (load / save / score_texts);
- ``afs.discriminator.train``: ``train_discriminator`` (per-epoch sampling, early stopping,
  calibration, held-out metrics);
- ``afs.discriminator.packaged``: ``packaged_model_path()``, the model shipped as package data.

Names are imported on first use so ``import afs.discriminator`` stays light.
"""

from __future__ import annotations

from afs.lazy import lazy_exports

_EXPORTS = {
    "ElectraDiscriminator": "afs.discriminator.model",
    "train_discriminator": "afs.discriminator.train",
    "TrainReport": "afs.discriminator.train",
    "corrupt": "afs.discriminator.corruptions",
    "KINDS": "afs.discriminator.corruptions",
    "build_examples": "afs.discriminator.data",
    "packaged_model_path": "afs.discriminator.packaged",
    "score_jsonl": "afs.quality.streaming",
    "filter_jsonl": "afs.quality.streaming",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
