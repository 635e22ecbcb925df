"""Write a merged Qwen2 causal LM and its tokenizer as an F32 GGUF file that llama.cpp loads.

Keys and tensor names follow llama.cpp's ``qwen2`` architecture (gguf-py's constants): the
HF ``model.layers.N.self_attn.q_proj`` becomes ``blk.N.attn_q`` and so on. Qwen2 uses NeoX
rotary embeddings in llama.cpp, so q/k weights are written as they are (no permutation, unlike
the ``llama`` architecture). With tied embeddings no ``output`` tensor is written: llama.cpp
then reuses ``token_embd``.

The tokenizer must be a byte-level BPE (``tokenizer.json``) whose pre-tokenizer llama.cpp
reproduces: GPT-2's (``pre = gpt2``) or Qwen2's split regex (``pre = qwen2``). It is read from
the tokenizer as loaded, not from the file on disk: transformers 5 loads any ``model_type
qwen2`` folder (the ``tiny`` one included, whose tokenizer.json says GPT-2) as a
Qwen2Tokenizer with Qwen2's regex, and that is what training tokenized with. Anything else is
refused rather than exported with a silently different tokenization.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from afs.errors import ConfigError

log = logging.getLogger(__name__)

ARCHITECTURE = "qwen2"
# HF module suffix inside model.layers.N -> llama.cpp tensor name inside blk.N
LAYER_TENSORS = {
    "input_layernorm": "attn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "post_attention_layernorm": "ffn_norm",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
GLOBAL_TENSORS = {
    "model.embed_tokens": "token_embd",
    "model.norm": "output_norm",
    "lm_head": "output",
}
# Qwen2's pre-tokenizer split regex, as its tokenizer.json spells it (llama.cpp pre "qwen2")
QWEN2_SPLIT_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
                     r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def gguf_tensor_name(hf_name: str) -> str:
    """The llama.cpp name of a Qwen2 HF parameter (``model.layers.0.mlp.up_proj.weight`` ->
    ``blk.0.ffn_up.weight``); a ConfigError for a parameter llama.cpp's qwen2 has no slot for."""
    stem, _, kind = hf_name.rpartition(".")
    if stem in GLOBAL_TENSORS:
        return f"{GLOBAL_TENSORS[stem]}.{kind}"
    prefix = "model.layers."
    if stem.startswith(prefix):
        index, _, module = stem[len(prefix):].partition(".")
        if index.isdigit() and module in LAYER_TENSORS:
            return f"blk.{index}.{LAYER_TENSORS[module]}.{kind}"
    raise ConfigError(f"parameter {hf_name!r} has no GGUF name in llama.cpp's qwen2 "
                      "architecture")


def iter_gguf_tensors(model: Any) -> Iterator[tuple[str, Any]]:
    """(GGUF name, float32 numpy array) for every weight of the merged model; the tied
    ``lm_head`` is left out (llama.cpp falls back to ``token_embd``)."""
    import torch

    tied = bool(getattr(model.config, "tie_word_embeddings", False))
    for hf_name, tensor in model.state_dict().items():
        if tied and hf_name.startswith("lm_head."):
            continue
        if hf_name.endswith("rotary_emb.inv_freq"):
            continue  # a buffer recomputed from rope_theta, not a weight
        array = tensor.detach().to("cpu", torch.float32).contiguous().numpy()
        yield gguf_tensor_name(hf_name), array


def rope_theta(config: Any) -> float:
    """The rotary base: ``rope_parameters['rope_theta']`` (transformers 5) or ``rope_theta``."""
    parameters = getattr(config, "rope_parameters", None) or {}
    rope_type = parameters.get("rope_type", "default")
    if rope_type != "default":
        raise ConfigError(f"rope type {rope_type!r} is not exported; only default RoPE is")
    theta = parameters.get("rope_theta", getattr(config, "rope_theta", None))
    if theta is None:
        raise ConfigError("the model config has no rope_theta")
    return float(theta)


def tokenizer_pre_name(tokenizer_json: dict[str, Any]) -> str:
    """llama.cpp's ``tokenizer.ggml.pre`` for a byte-level BPE tokenizer.json: ``gpt2`` for a
    ByteLevel pre-tokenizer with its own regex, ``qwen2`` for Qwen2's split regex followed by
    a regex-free ByteLevel; a ConfigError for anything llama.cpp would tokenize differently."""
    model = tokenizer_json.get("model") or {}
    if model.get("type") != "BPE":
        raise ConfigError(f"only byte-level BPE tokenizers are exported, not "
                          f"{model.get('type')!r}")
    pre = tokenizer_json.get("pre_tokenizer") or {}
    if pre.get("type") == "ByteLevel" and pre.get("use_regex", True) \
            and not pre.get("add_prefix_space", False):
        return "gpt2"
    steps = pre.get("pretokenizers") if pre.get("type") == "Sequence" else None
    if steps and len(steps) == 2 and steps[0].get("type") == "Split" \
            and (steps[0].get("pattern") or {}).get("Regex") == QWEN2_SPLIT_REGEX \
            and steps[1].get("type") == "ByteLevel" and not steps[1].get("use_regex", True):
        return "qwen2"
    raise ConfigError("the tokenizer's pre-tokenizer is neither GPT-2's nor Qwen2's; "
                      "llama.cpp would split text differently, so it is not exported")


def vocabulary(tokenizer: Any, vocab_size: int) -> dict[str, Any]:
    """Token strings, token types (special tokens CONTROL, other added tokens USER_DEFINED,
    ids past the tokenizer but inside the embedding UNUSED ``[PADn]``), merges as ``"a b"``
    strings and the pre-tokenizer name, read from the fast tokenizer's tokenizer.json."""
    from gguf import TokenType

    data = json.loads(tokenizer.backend_tokenizer.to_str())
    pre = tokenizer_pre_name(data)
    by_id = {index: token for token, index in data["model"]["vocab"].items()}
    kinds = {index: TokenType.NORMAL for index in by_id}
    for added in data.get("added_tokens", []):
        by_id[added["id"]] = added["content"]
        kinds[added["id"]] = TokenType.CONTROL if added.get("special") \
            else TokenType.USER_DEFINED
    if by_id and max(by_id) >= vocab_size:
        raise ConfigError(f"the tokenizer has ids up to {max(by_id)} but the model's "
                          f"embedding has only {vocab_size} rows")
    tokens = [by_id.get(i, f"[PAD{i}]") for i in range(vocab_size)]
    types = [int(kinds.get(i, TokenType.UNUSED)) for i in range(vocab_size)]
    merges = [m if isinstance(m, str) else " ".join(m) for m in data["model"].get("merges", [])]
    return {"tokens": tokens, "types": types, "merges": merges, "pre": pre}


def add_model_metadata(writer: Any, config: Any, name: str) -> None:
    """The qwen2 hyper-parameters llama.cpp reads, and the file type (all F32)."""
    from gguf import GGML_QUANT_VERSION, LlamaFileType

    writer.add_name(name)
    writer.add_context_length(int(config.max_position_embeddings))
    writer.add_embedding_length(int(config.hidden_size))
    writer.add_block_count(int(config.num_hidden_layers))
    writer.add_feed_forward_length(int(config.intermediate_size))
    writer.add_head_count(int(config.num_attention_heads))
    writer.add_head_count_kv(int(config.num_key_value_heads or config.num_attention_heads))
    writer.add_layer_norm_rms_eps(float(config.rms_norm_eps))
    writer.add_rope_freq_base(rope_theta(config))
    writer.add_file_type(LlamaFileType.ALL_F32)
    writer.add_quantization_version(GGML_QUANT_VERSION)


def add_tokenizer_metadata(writer: Any, tokenizer: Any, config: Any) -> None:
    """Vocabulary, merges, special-token ids, no automatic BOS, and the chat template."""
    vocab = vocabulary(tokenizer, int(config.vocab_size))
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(vocab["pre"])
    writer.add_token_list(vocab["tokens"])
    writer.add_token_types(vocab["types"])
    writer.add_token_merges(vocab["merges"])
    eos = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else config.eos_token_id
    bos = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else config.bos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    for add, token_id in ((writer.add_bos_token_id, bos), (writer.add_eos_token_id, eos),
                          (writer.add_pad_token_id, pad)):
        if token_id is not None:
            add(int(token_id))
    # Qwen (and the tiny model) never prepend BOS; transformers' tokenizer does not either
    writer.add_add_bos_token(False)
    if tokenizer.chat_template:
        writer.add_chat_template(tokenizer.chat_template)


def write_gguf(model: Any, tokenizer: Any, path: str | Path, *, name: str = "afs") -> Path:
    """Write ``model`` (a transformers Qwen2ForCausalLM, adapters already merged) and its fast
    ``tokenizer`` to ``path`` as an F32 GGUF. Not atomic by itself: callers write to a temp
    path (see :func:`afs.deployment.gguf_export.convert_lora_to_gguf`)."""
    from gguf import GGUFWriter

    config = model.config
    if getattr(config, "model_type", None) != ARCHITECTURE:
        raise ConfigError(f"only Qwen2 models are exported to GGUF, not "
                          f"{getattr(config, 'model_type', None)!r}")
    path = Path(path)
    writer = GGUFWriter(path, ARCHITECTURE)
    try:
        add_model_metadata(writer, config, name)
        add_tokenizer_metadata(writer, tokenizer, config)
        for tensor_name, array in iter_gguf_tensors(model):
            writer.add_tensor(tensor_name, array)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
    finally:
        writer.close()
    return path
