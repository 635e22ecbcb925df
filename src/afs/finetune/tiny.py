"""The offline ``tiny`` base model: a small Qwen2 causal LM with seeded random weights and a
byte-level BPE tokenizer trained on the project's shipped text.

It lets the training and deployment pipelines run end to end with no model hub. The tokenizer
is a plain byte-level BPE (trained with the GPT-2 pre-tokenizer regex, ByteLevel decoder), not
the project's ASMTokenizer: llama.cpp reproduces the standard pre-tokenizers, not a custom
regex. Note that transformers 5 loads any ``model_type: qwen2`` folder, this one included, as a
``Qwen2Tokenizer`` with Qwen2's split regex, so that is how training tokenizes; the GGUF
exporter (``afs.deployment``) writes ``tokenizer.ggml.pre = "qwen2"`` to match, and a test
checks that llama.cpp and transformers give the same tokens. Special tokens and the chat
template follow Qwen's ChatML.

Same texts, sizes and seed => byte-identical ``tokenizer.json`` and identical weights. A build
takes minutes on two busy cores (the warm-up steps, most of it): its progress is reported
(:mod:`afs.progress`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from afs.atomic_dir import atomic_directory
from afs.errors import ConfigError, DataError
from afs.jsonl_input import iter_json_lines
from afs.progress import Reporter, as_reporter, library_bars

log = logging.getLogger(__name__)

TINY_NAME = "tiny"
TINY_FOLDER = "tiny-base"
BUILD_INFO = "tiny.json"
# bump when the build recipe changes, so cached folders are rebuilt
RECIPE_VERSION = 1
DEFAULT_RAW_DIR = Path("data/01_raw")
EOS_TOKEN = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIAL_TOKENS = (EOS_TOKEN, IM_START, IM_END)
SAMPLE_TEXT_FIELDS = ("instruction", "input", "output")

# ChatML as Qwen writes it; an assistant turn's ``reasoning_content`` (the converters'
# thinking="field" mode) is rendered inline as <think>…</think>, as Qwen3 does.
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' }}"
    "{%- if message['role'] == 'assistant' and message.get('reasoning_content') %}"
    "{{- '<think>\\n' + message['reasoning_content'] + '\\n</think>\\n\\n' }}"
    "{%- endif %}"
    "{{- message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

DEFAULT_SIZES = {"layers": 2, "hidden": 128, "heads": 4, "kv_heads": 2, "intermediate": 352,
                 "max_position_embeddings": 1024}
# A hundred full-parameter steps on the corpus (seconds on 2 cores): a purely random model
# predicts a near-uniform distribution that LoRA cannot sharpen (the final norm and the tied
# embeddings bound the logits and stay frozen), and whose top-1 token flips under any
# quantization noise. After this warm-up the model has peaked, corpus-like predictions.
DEFAULT_PRETRAIN = {"pretrain_steps": 100, "pretrain_batch_size": 8, "pretrain_seq_len": 128,
                    "pretrain_learning_rate": 5e-3}


def corpus_files(raw_dir: str | Path = DEFAULT_RAW_DIR) -> list[Path]:
    """The shipped text under ``raw_dir``: ``asm/**/*.asm``, ``asm/**/*.md`` and
    ``v1_training.jsonl``, in a fixed (sorted) order."""
    raw_dir = Path(raw_dir).expanduser()
    asm = raw_dir / "asm"
    files = sorted({*asm.rglob("*.asm"), *asm.rglob("*.md")})
    samples = raw_dir / "v1_training.jsonl"
    if samples.is_file():
        files.append(samples)
    return files


def read_corpus(raw_dir: str | Path = DEFAULT_RAW_DIR) -> list[str]:
    """The texts of :func:`corpus_files`: each asm/md file whole, and each sample's
    instruction, input and output fields (the non-empty ones)."""
    files = corpus_files(raw_dir)
    if not files:
        raise DataError("no .asm, .md or v1_training.jsonl to train the tiny tokenizer on",
                        path=raw_dir)
    texts: list[str] = []
    for path in files:
        if path.suffix != ".jsonl":
            texts.append(path.read_text(encoding="utf-8"))
            continue
        for _number, record in iter_json_lines(path):
            if isinstance(record, dict):
                texts.extend(str(record[k]) for k in SAMPLE_TEXT_FIELDS if record.get(k))
    return texts


def build_settings(vocab_size: int, seed: int, sizes: dict[str, int]) -> dict[str, Any]:
    """What, besides the texts, decides the built model (recorded in ``tiny.json``)."""
    return {"recipe": RECIPE_VERSION, "vocab_size": vocab_size, "seed": seed, **sizes}


def texts_hash(texts: Sequence[str], settings: dict[str, Any]) -> str:
    """sha256 over the build settings and the texts (in order, length-prefixed)."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for text in texts:
        data = text.encode("utf-8")
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()


def train_bpe(texts: Iterable[str], vocab_size: int) -> Any:
    """A GPT-2 style byte-level BPE ``tokenizers.Tokenizer`` trained on ``texts``, with the
    special tokens first (ids 0, 1, 2) and all 256 byte symbols in the vocabulary."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    if vocab_size < len(SPECIAL_TOKENS) + 256:
        raise ConfigError(f"vocab_size must be at least {len(SPECIAL_TOKENS) + 256} "
                          f"(special tokens + 256 bytes), not {vocab_size}")
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2,
                                  special_tokens=list(SPECIAL_TOKENS), show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(texts, trainer)
    return tokenizer


def wrap_tokenizer(tokenizer: Any, max_length: int) -> Any:
    """The transformers tokenizer around a trained ``tokenizers.Tokenizer``: Qwen's special
    tokens (``<|endoftext|>`` is eos and pad), the ChatML chat template, lossless decode."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token=EOS_TOKEN, pad_token=EOS_TOKEN,
        additional_special_tokens=[IM_START, IM_END], chat_template=CHAT_TEMPLATE,
        clean_up_tokenization_spaces=False, model_max_length=max_length)


def tiny_config(vocab_size: int, eos_token_id: int, *, layers: int, hidden: int, heads: int,
                kv_heads: int, intermediate: int, max_position_embeddings: int) -> Any:
    """A ``Qwen2Config`` for a model that trains in seconds on a couple of CPU cores."""
    from transformers import Qwen2Config

    if hidden % heads or heads % kv_heads:
        raise ConfigError(f"hidden ({hidden}) must be divisible by heads ({heads}) and heads "
                          f"by kv_heads ({kv_heads})")
    return Qwen2Config(
        vocab_size=vocab_size, hidden_size=hidden, intermediate_size=intermediate,
        num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=kv_heads,
        max_position_embeddings=max_position_embeddings, tie_word_embeddings=True,
        bos_token_id=eos_token_id, eos_token_id=eos_token_id, pad_token_id=eos_token_id,
        use_cache=True)


def build_tiny_model(output_dir: str | Path, *, texts: Sequence[str] | None = None,
                     raw_dir: str | Path = DEFAULT_RAW_DIR, vocab_size: int = 2048,
                     seed: int = 42, layers: int = 2, hidden: int = 128, heads: int = 4,
                     kv_heads: int = 2, intermediate: int = 352,
                     max_position_embeddings: int = 1024, pretrain_steps: int = 100,
                     pretrain_batch_size: int = 8, pretrain_seq_len: int = 128,
                     pretrain_learning_rate: float = 5e-3,
                     progress: bool | Reporter = True) -> Path:
    """Write the tiny base model to ``output_dir`` (atomically) as a standard Hugging Face
    folder: config.json, model.safetensors, tokenizer files and ``tiny.json`` (the data
    hash, settings and warm-up losses). ``texts`` defaults to the shipped corpus under
    ``raw_dir``. The weights are seeded random, then warmed up by ``pretrain_steps`` steps of
    next-token training on the same texts (0 keeps them random). ``progress``: the tokenizer's
    training and the warm-up steps, as :func:`afs.progress.as_reporter` shows them."""
    import torch
    from transformers import Qwen2ForCausalLM

    texts = list(texts) if texts is not None else read_corpus(raw_dir)
    if not any(text.strip() for text in texts):
        raise DataError("no text to train the tiny tokenizer on", path=raw_dir)
    sizes = {"layers": layers, "hidden": hidden, "heads": heads, "kv_heads": kv_heads,
             "intermediate": intermediate, "max_position_embeddings": max_position_embeddings}
    warm_up = {"pretrain_steps": pretrain_steps, "pretrain_batch_size": pretrain_batch_size,
               "pretrain_seq_len": pretrain_seq_len,
               "pretrain_learning_rate": pretrain_learning_rate}
    settings = build_settings(vocab_size, seed, {**sizes, **warm_up})
    reporter = as_reporter(progress)
    with reporter.phase("tiny base model: tokenizer", None) as phase:  # one Rust call
        tokenizer = wrap_tokenizer(train_bpe(texts, vocab_size), max_position_embeddings)
        phase.close()
    config = tiny_config(len(tokenizer), tokenizer.eos_token_id, **sizes)
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config).to(torch.float32)
    token_ids = corpus_token_ids(tokenizer, texts)
    with reporter.phase("tiny base model: warm-up", max(pretrain_steps, 0), "step") as phase:
        losses = warm_up_model(model, token_ids, seed=seed, steps=pretrain_steps,
                               batch_size=pretrain_batch_size,
                               seq_len=min(pretrain_seq_len, max_position_embeddings),
                               learning_rate=pretrain_learning_rate, on_step=phase.update)
        phase.close(f"loss {losses['first']} -> {losses['last']}" if losses else "")
    info = {**settings, "data_hash": texts_hash(texts, settings), "texts": len(texts),
            "pretrain_loss": losses,
            "parameters": sum(p.numel() for p in model.parameters()),
            "vocab": len(tokenizer)}
    output_dir = Path(output_dir).expanduser()
    with atomic_directory(output_dir) as staging, library_bars(reporter):
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / BUILD_INFO).write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
    log.info("built tiny base model (%d parameters, vocab %d) in %s",
             info["parameters"], info["vocab"], output_dir)
    return output_dir


def corpus_token_ids(tokenizer: Any, texts: Sequence[str]) -> list[int]:
    """All texts as one token stream, each followed by ``<|endoftext|>``."""
    ids: list[int] = []
    # the backend directly: the wrapper warns about texts longer than the model's context
    for encoded in tokenizer.backend_tokenizer.encode_batch(list(texts), add_special_tokens=False):
        ids.extend(encoded.ids)
        ids.append(tokenizer.eos_token_id)
    return ids


def warm_up_model(model: Any, token_ids: Sequence[int], *, seed: int, steps: int,
                  batch_size: int, seq_len: int, learning_rate: float,
                  on_step: Callable[[], None] | None = None) -> dict[str, float]:
    """Train all of ``model`` for ``steps`` steps of next-token prediction on windows drawn
    (seeded) from ``token_ids``; AdamW with a linear decay; ``on_step`` is called after each
    step (progress). Returns the first and last loss."""
    import torch

    if steps <= 0:
        return {}
    stream = torch.tensor(token_ids, dtype=torch.long)
    if len(stream) <= seq_len:
        raise DataError(f"the corpus has {len(stream)} tokens, fewer than one "
                        f"{seq_len}-token window to warm the tiny model up on")
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1 - s / steps)
    offsets = torch.arange(seq_len)
    model.train()
    losses = []
    for _ in range(steps):
        starts = torch.randint(0, len(stream) - seq_len, (batch_size,), generator=generator)
        batch = stream[starts[:, None] + offsets]
        loss = model(input_ids=batch, labels=batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
        if on_step is not None:
            on_step()
    model.eval()
    return {"first": round(losses[0], 4), "last": round(sum(losses[-10:]) / len(losses[-10:]), 4)}


def read_build_info(model_dir: str | Path) -> dict[str, Any] | None:
    """The ``tiny.json`` of a built tiny model, or None when there is none (or it is bad)."""
    try:
        return json.loads((Path(model_dir) / BUILD_INFO).read_text())
    except (OSError, ValueError):
        return None


def resolve_base_model(name_or_path: str | Path, cache_dir: str | Path = "models", *,
                       raw_dir: str | Path = DEFAULT_RAW_DIR, vocab_size: int = 2048,
                       seed: int = 42, progress: bool | Reporter = True, **sizes: int) -> str:
    """What ``from_pretrained`` should load for ``name_or_path``: for ``tiny`` the folder
    ``cache_dir/tiny-base``, built on first use (with ``progress``) and rebuilt when the
    shipped text or the settings changed; anything else (a hub id or a local path) is returned
    as it is."""
    if str(name_or_path) != TINY_NAME:
        path = Path(str(name_or_path)).expanduser()
        return str(path) if path.exists() else str(name_or_path)
    known = {**DEFAULT_SIZES, **DEFAULT_PRETRAIN}
    unknown = set(sizes) - set(known)
    if unknown:
        raise ConfigError(f"unknown tiny model setting(s) {sorted(unknown)}; "
                          f"use {sorted(known)}")
    sizes = {**known, **sizes}
    texts = read_corpus(raw_dir)
    wanted = texts_hash(texts, build_settings(vocab_size, seed, sizes))
    folder = Path(cache_dir).expanduser() / TINY_FOLDER
    info = read_build_info(folder)
    if info is None or info.get("data_hash") != wanted or not (folder / "config.json").is_file():
        build_tiny_model(folder, texts=texts, vocab_size=vocab_size, seed=seed,
                         progress=progress, **sizes)
    return str(folder)
