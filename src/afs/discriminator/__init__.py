"""ELECTRA quality discriminator: tells real 65816 asm from corrupted asm.

- ``afs.discriminator.corruptions``: labelled, seeded corruptions that look like real mistakes;
- ``afs.discriminator.data``: real windows + corrupted twins, split by block (no leaks);
- ``afs.discriminator.model``: ``ElectraDiscriminator`` (load / save / score_texts);
- ``afs.discriminator.train``: ``train_discriminator`` (plain torch loop, held-out metrics).

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
    "score_jsonl": "afs.quality.streaming",
    "filter_jsonl": "afs.quality.streaming",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
