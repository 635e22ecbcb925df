"""LoRA adapter + base model -> one GGUF file that llama.cpp-based servers run.

The adapter is merged into the base with peft (``merge_and_unload``), the merged model is
written as an F32 GGUF (:mod:`afs.deployment.gguf_writer`), and llama.cpp quantizes it
(:mod:`afs.deployment.quantize`). Every intermediate file lives beside the output and the
result is moved into place with ``os.replace``: a crash never leaves a half-written GGUF.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from afs.atomic_dir import give_default_mode
from afs.deployment.gguf_writer import write_gguf
from afs.deployment.quantize import check_quantization, quantize_gguf
from afs.errors import ConfigError
from afs.finetune.tiny import DEFAULT_RAW_DIR, resolve_base_model
from afs.progress import as_reporter, library_bars

log = logging.getLogger(__name__)

ADAPTER_CONFIG = "adapter_config.json"


def check_adapter_folder(lora_path: str | Path) -> Path:
    """``lora_path`` as a Path, or a ConfigError when it is not a peft adapter folder."""
    path = Path(lora_path).expanduser()
    if not path.is_dir():
        raise ConfigError(f"{path}: no such LoRA adapter folder")
    if not (path / ADAPTER_CONFIG).is_file():
        raise ConfigError(f"{path}: not a LoRA adapter folder (no {ADAPTER_CONFIG})")
    return path


def merge_lora(lora_path: str | Path, base_model: str | Path, *, device: str = "auto",
               cache_dir: str | Path = "models",
               raw_dir: str | Path = DEFAULT_RAW_DIR) -> tuple[Any, Any]:
    """The base model (``tiny``, a local folder or a hub id) with the adapter at ``lora_path``
    merged into its weights (float32, on CPU, eval mode), and the base's tokenizer."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from afs.finetune.lora import resolve_training_device  # loads pandas: only merging needs it

    adapter = check_adapter_folder(lora_path)
    device = resolve_training_device(device)
    resolved = resolve_base_model(base_model, cache_dir, raw_dir=raw_dir)
    with library_bars(as_reporter(True)):  # a bar on a terminal, no redraw lines in a log
        tokenizer = AutoTokenizer.from_pretrained(resolved)
        base = AutoModelForCausalLM.from_pretrained(resolved, dtype=torch.float32).to(device)
        merged = PeftModel.from_pretrained(base, str(adapter)).merge_and_unload()
    return merged.to("cpu").eval(), tokenizer


@contextmanager
def temp_path_beside(path: Path, suffix: str) -> Iterator[Path]:
    """A fresh temp file name in ``path``'s folder, removed afterwards if still there."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def convert_lora_to_gguf(lora_path: str | Path, output_path: str | Path,
                         base_model: str | Path, quantization: str = "Q4_K_M",
                         device: str = "auto", *, cache_dir: str | Path = "models",
                         raw_dir: str | Path = DEFAULT_RAW_DIR) -> Path:
    """Merge the LoRA adapter at ``lora_path`` into ``base_model`` and write a GGUF file to
    ``output_path`` (``~`` expanded, folders created), quantized to ``quantization``: ``F32``
    (as written), ``F16``, ``Q8_0``, ``Q4_K_M`` or ``Q5_K_M`` (llama.cpp's quantizer).

    ``device`` is where the merge runs (``auto``: CUDA, else MPS, else CPU). ``base_model`` is
    ``tiny`` (built under ``cache_dir`` from ``raw_dir`` on first use), a local folder or a hub
    id; only Qwen2-architecture models with a GPT-2 or Qwen2 byte-level BPE tokenizer are
    supported. For a model whose hidden size is not a multiple of 256 (``tiny``: 128) the
    K-quants ``Q4_K_M``/``Q5_K_M`` still succeed, but llama.cpp stores those tensors in its
    32-block fallback types (Q5_0, Q5_1, Q8_0), not K-quants: see
    :mod:`afs.deployment.quantize`. Returns the output path."""
    quantization = check_quantization(quantization)
    check_adapter_folder(lora_path)
    started = time.perf_counter()
    model, tokenizer = merge_lora(lora_path, base_model, device=device, cache_dir=cache_dir,
                                  raw_dir=raw_dir)
    output = export_gguf(model, tokenizer, output_path, quantization, Path(lora_path).name)
    log.info("wrote %s GGUF %s in %.1f s", quantization, output, time.perf_counter() - started)
    return output


def convert_base_to_gguf(base_model: str | Path, output_path: str | Path,
                         quantization: str = "F32", *, cache_dir: str | Path = "models",
                         raw_dir: str | Path = DEFAULT_RAW_DIR) -> Path:
    """The base model alone as a GGUF file (the base that a GGUF LoRA adapter from
    :func:`afs.deployment.gguf_adapter.write_lora_adapter_gguf` is applied to)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    quantization = check_quantization(quantization)
    resolved = resolve_base_model(base_model, cache_dir, raw_dir=raw_dir)
    with library_bars(as_reporter(True)):
        tokenizer = AutoTokenizer.from_pretrained(resolved)
        model = AutoModelForCausalLM.from_pretrained(resolved, dtype=torch.float32).eval()
    return export_gguf(model, tokenizer, output_path, quantization, Path(resolved).name)


def export_gguf(model: Any, tokenizer: Any, output_path: str | Path, quantization: str,
                name: str) -> Path:
    """Write ``model`` as an F32 GGUF beside ``output_path``, quantize it unless F32 is asked
    for, and move the result into place (``~`` expanded, folders created)."""
    output = Path(output_path).expanduser()
    output.parent.mkdir(parents=True, exist_ok=True)
    with temp_path_beside(output, ".f32.tmp") as f32:
        write_gguf(model, tokenizer, f32, name=name)
        if quantization == "F32":
            give_default_mode(f32)
            os.replace(f32, output)
        else:
            with temp_path_beside(output, f".{quantization}.tmp") as quantized:
                quantize_gguf(f32, quantized, quantization)
                give_default_mode(quantized)
                os.replace(quantized, output)
    return output
