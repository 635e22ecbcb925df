"""LoRA fine-tuning (``lora``), its chat data (``chat_data``) and the tiny base model built
from a config (``tiny``)."""

from __future__ import annotations

from afs.lazy import lazy_exports

_EXPORTS = {
    "train_lora": "afs.finetune.lora",
    "LoraReport": "afs.finetune.lora",
    "build_tiny_model": "afs.finetune.tiny",
    "resolve_base_model": "afs.finetune.tiny",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
