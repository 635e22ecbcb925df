"""The adapter-only path: a GGUF LoRA adapter that llama.cpp applies on top of a GGUF base
gives the merged transformers model's logits; adapters llama.cpp cannot hold are refused."""

from __future__ import annotations

import json
import shutil

import pytest

from afs.deployment import convert_base_to_gguf, merge_lora, write_lora_adapter_gguf
from afs.errors import ConfigError

from .conftest import RAW
from .test_gguf_export import (ASM, GGML_TYPE_F32, N_CTX, PROSE, gguf_logits, hf_logits,
                               load_gguf, logit_gaps)

# measured on this machine: ~1e-5 (llama.cpp adds scale·B(Ax) in F32 instead of merging)
ADAPTER_TOLERANCE = 1e-3


def test_a_gguf_lora_on_the_gguf_base_matches_the_merged_model(tmp_path, adapter,
                                                                 tiny_models):
    from gguf import GGUFReader
    from llama_cpp import Llama

    base = convert_base_to_gguf("tiny", tmp_path / "base.gguf", cache_dir=tiny_models,
                                raw_dir=RAW)
    lora = write_lora_adapter_gguf(adapter, tmp_path / "lora.gguf")
    reader = GGUFReader(str(lora))
    assert reader.fields["general.type"].contents() == "adapter"
    assert reader.fields["adapter.lora.alpha"].contents() == 8.0  # r 4, alpha 2r
    names = {tensor.name for tensor in reader.tensors}
    assert {"blk.0.attn_q.weight.lora_a", "blk.1.ffn_down.weight.lora_b"} <= names
    assert len(names) == 2 * 7 * 2  # 2 layers × 7 projections × (A, B)

    merged, tokenizer = merge_lora(adapter, "tiny", device="cpu", cache_dir=tiny_models,
                                   raw_dir=RAW)
    applied = Llama(model_path=str(base), lora_path=str(lora), n_ctx=N_CTX, logits_all=True,
                    verbose=False, n_threads=2, seed=0, type_k=GGML_TYPE_F32,
                    type_v=GGML_TYPE_F32)
    plain = load_gguf(base)
    worst, adapter_effect = logit_gaps(tokenizer, (ASM[:600], PROSE),
                                       lambda ids: gguf_logits(applied, ids),
                                       lambda ids: hf_logits(merged, ids),
                                       lambda ids: gguf_logits(plain, ids))
    print(f"\nbase + GGUF LoRA max |logit difference| {worst:.2e}; without it {adapter_effect:.2f}")
    assert worst < ADAPTER_TOLERANCE
    assert adapter_effect > 100 * ADAPTER_TOLERANCE


@pytest.mark.parametrize("change", [{"use_dora": True}, {"modules_to_save": ["lm_head"]},
                                    {"rank_pattern": {"q_proj": 8}}, {"bias": "all"}])
def test_adapters_llama_cpp_cannot_hold_are_refused(tmp_path, adapter, change):
    copy = tmp_path / "adapter"
    shutil.copytree(adapter, copy)
    config = json.loads((copy / "adapter_config.json").read_text())
    (copy / "adapter_config.json").write_text(json.dumps({**config, **change}))
    with pytest.raises(ConfigError, match="cannot hold"):
        write_lora_adapter_gguf(copy, tmp_path / "lora.gguf")
    assert not (tmp_path / "lora.gguf").exists()
