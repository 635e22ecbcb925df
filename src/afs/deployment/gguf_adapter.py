"""A peft LoRA adapter as a GGUF LoRA adapter, which llama.cpp applies on top of a GGUF base
(``llama-cli --lora``, ``Llama(lora_path=…)``), so one base file serves several fine-tunes.

Each adapted weight ``blk.N.attn_q.weight`` gets two tensors, ``….lora_a`` (r × in) and
``….lora_b`` (out × r), as peft stores them. llama.cpp scales B·A by ``alpha / r`` (r read
from ``lora_b``), which is peft's scale; with rsLoRA (``alpha / sqrt(r)``) the alpha written is
``alpha * sqrt(r)`` so that the product is the same. Adapters llama.cpp cannot express this way
(DoRA, per-module rank or alpha patterns, extra trained modules, LoRA biases) are refused.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from afs.deployment.gguf_export import check_adapter_folder, temp_path_beside
from afs.deployment.gguf_writer import ARCHITECTURE, gguf_tensor_name
from afs.errors import ConfigError

ADAPTER_WEIGHTS = "adapter_model.safetensors"
PEFT_PREFIX = "base_model.model."
LORA_PARTS = {"lora_A": "lora_a", "lora_B": "lora_b"}


def read_adapter_config(adapter: Path) -> dict[str, Any]:
    """The adapter's ``adapter_config.json``, checked for what a GGUF LoRA can hold."""
    config = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    if config.get("peft_type") != "LORA":
        raise ConfigError(f"{adapter}: a {config.get('peft_type')!r} adapter, not LoRA")
    unsupported = [key for key in ("use_dora", "rank_pattern", "alpha_pattern",
                                   "modules_to_save", "lora_bias") if config.get(key)]
    if config.get("bias", "none") != "none":
        unsupported.append("bias")
    if unsupported:
        raise ConfigError(f"{adapter}: llama.cpp's LoRA format cannot hold "
                          f"{', '.join(unsupported)}; merge it instead (convert_lora_to_gguf)")
    return config


def gguf_alpha(config: dict[str, Any]) -> float:
    """The ``adapter.lora.alpha`` that makes llama.cpp's ``alpha / r`` equal peft's scale."""
    r, alpha = int(config["r"]), float(config["lora_alpha"])
    return alpha * math.sqrt(r) if config.get("use_rslora") else alpha


def iter_lora_tensors(adapter: Path) -> Iterator[tuple[str, Any]]:
    """(GGUF name, float32 array) of every LoRA A and B matrix in the adapter's safetensors."""
    from safetensors.numpy import load_file

    path = adapter / ADAPTER_WEIGHTS
    if not path.is_file():
        raise ConfigError(f"{adapter}: no {ADAPTER_WEIGHTS} (only safetensors adapters are "
                          "converted)")
    for key, array in sorted(load_file(str(path)).items()):
        stem, part, weight = key.rsplit(".", 2)
        if part not in LORA_PARTS or weight != "weight" or not stem.startswith(PEFT_PREFIX):
            raise ConfigError(f"{adapter}: unexpected adapter tensor {key!r}")
        name = gguf_tensor_name(f"{stem[len(PEFT_PREFIX):]}.weight")
        yield f"{name}.{LORA_PARTS[part]}", array.astype("float32")


def write_lora_adapter_gguf(lora_path: str | Path, output_path: str | Path) -> Path:
    """Write the peft LoRA adapter folder ``lora_path`` as a GGUF LoRA adapter for a Qwen2 base
    (atomically). Returns the output path."""
    from gguf import GGUFWriter, Keys

    adapter = check_adapter_folder(lora_path)
    config = read_adapter_config(adapter)
    output = Path(output_path).expanduser()
    output.parent.mkdir(parents=True, exist_ok=True)
    tensors = list(iter_lora_tensors(adapter))
    with temp_path_beside(output, ".tmp") as temp:
        writer = GGUFWriter(temp, ARCHITECTURE)
        try:
            writer.add_type("adapter")
            writer.add_name(adapter.name)
            writer.add_string(Keys.Adapter.TYPE, "lora")
            writer.add_float32(Keys.Adapter.LORA_ALPHA, gguf_alpha(config))
            for name, array in tensors:
                writer.add_tensor(name, array)
            writer.write_header_to_file()
            writer.write_kv_data_to_file()
            writer.write_tensors_to_file()
        finally:
            writer.close()
        temp.replace(output)
    return output
