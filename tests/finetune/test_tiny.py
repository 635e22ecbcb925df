"""The offline tiny base model: loads with Auto* classes, tokenizes losslessly, is
deterministic, and ``resolve_base_model`` builds it once and rebuilds it when the data changes."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from afs.finetune.tiny import (
    CHAT_TEMPLATE, TINY_FOLDER, build_tiny_model, read_corpus, resolve_base_model,
)

RAW = Path(__file__).resolve().parents[2] / "data" / "01_raw"


@pytest.fixture(scope="module")
def tiny_dir(tiny_cache) -> Path:
    return tiny_cache / TINY_FOLDER


@pytest.fixture(scope="module")
def loaded(tiny_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(tiny_dir), AutoTokenizer.from_pretrained(tiny_dir)


def test_folder_is_a_standard_hugging_face_model(tiny_dir, loaded):
    model, tokenizer = loaded
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"):
        assert (tiny_dir / name).is_file(), name
    assert type(model).__name__ == "Qwen2ForCausalLM"
    assert model.config.tie_word_embeddings and model.config.num_hidden_layers == 2
    assert model.config.vocab_size == len(tokenizer) == 2048
    assert tokenizer.eos_token == tokenizer.pad_token == "<|endoftext|>"
    assert model.config.eos_token_id == tokenizer.eos_token_id
    for special in ("<|endoftext|>", "<|im_start|>", "<|im_end|>"):
        assert tokenizer.convert_tokens_to_ids(special) < 3
        assert tokenizer.encode(special) == [tokenizer.convert_tokens_to_ids(special)]


def test_tokenizer_is_plain_gpt2_byte_level_bpe(tiny_dir):
    spec = json.loads((tiny_dir / "tokenizer.json").read_text())
    assert spec["model"]["type"] == "BPE"
    assert spec["pre_tokenizer"] == {"type": "ByteLevel", "add_prefix_space": False,
                                     "trim_offsets": True, "use_regex": True}
    assert spec["decoder"]["type"] == "ByteLevel"
    assert spec["normalizer"] is None


def test_chat_template_renders_chatml(loaded):
    _, tokenizer = loaded
    messages = [{"role": "system", "content": "You write 65816 asm."},
                {"role": "user", "content": "Clear A."},
                {"role": "assistant", "content": "LDA #$00"}]
    text = tokenizer.apply_chat_template(messages, tokenize=False)
    assert text == ("<|im_start|>system\nYou write 65816 asm.<|im_end|>\n"
                    "<|im_start|>user\nClear A.<|im_end|>\n"
                    "<|im_start|>assistant\nLDA #$00<|im_end|>\n")
    prompt = tokenizer.apply_chat_template(messages[:2], tokenize=False,
                                           add_generation_prompt=True)
    assert prompt.endswith("<|im_start|>user\nClear A.<|im_end|>\n<|im_start|>assistant\n")
    thought = [{"role": "assistant", "content": "RTS", "reasoning_content": "return"}]
    assert tokenizer.apply_chat_template(thought, tokenize=False) == (
        "<|im_start|>assistant\n<think>\nreturn\n</think>\n\nRTS<|im_end|>\n")
    assert tokenizer.chat_template == CHAT_TEMPLATE


def test_round_trip_of_asm_and_other_text_is_lossless(loaded):
    _, tokenizer = loaded
    texts = [p.read_text() for p in sorted((RAW / "asm").rglob("*.asm"))]
    texts += ["  LDA.l $7EF36C,X ; ünïcödé ♥ 日本\n\tRTL\r\n", "", " leading space", "\x00\x7f"]
    for text in texts:
        ids = tokenizer.encode(text, add_special_tokens=False)
        assert tokenizer.decode(ids) == text
    asm = "\n".join(texts[:-4])
    assert len(tokenizer.encode(asm)) < len(asm.encode()) / 2.5  # it learned the corpus


def test_forward_pass_gives_a_finite_loss(loaded):
    import torch

    model, tokenizer = loaded
    batch = tokenizer(["LDA #$01\nSTA $10\nRTS\n"], return_tensors="pt")
    with torch.no_grad():
        loss = model(**batch, labels=batch["input_ids"]).loss
    assert math.isfinite(loss.item())
    assert loss.item() < math.log(2048) - 1.0  # the warm-up taught it some asm


def test_warm_up_lowered_the_loss_and_zero_steps_keep_random_weights(tiny_dir, tmp_path):
    info = json.loads((tiny_dir / "tiny.json").read_text())
    assert info["pretrain_steps"] == 100
    assert info["pretrain_loss"]["last"] < info["pretrain_loss"]["first"] - 2.0
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    random_dir = build_tiny_model(tmp_path / "random", raw_dir=RAW, pretrain_steps=0)
    assert json.loads((random_dir / "tiny.json").read_text())["pretrain_loss"] == {}
    model = AutoModelForCausalLM.from_pretrained(random_dir)
    batch = AutoTokenizer.from_pretrained(random_dir)(["LDA #$01\nRTS\n"], return_tensors="pt")
    with torch.no_grad():
        loss = model(**batch, labels=batch["input_ids"]).loss.item()
    assert abs(loss - math.log(2048)) < 0.5  # random weights: near-uniform predictions


def test_same_inputs_and_seed_give_identical_files(tiny_dir, tmp_path):
    from safetensors.torch import load_file

    script = ("import sys; from afs.finetune.tiny import build_tiny_model; "
              "build_tiny_model(sys.argv[1], raw_dir=sys.argv[2])")
    again = tmp_path / "again"
    subprocess.run([sys.executable, "-c", script, str(again), str(RAW)], check=True,
                   capture_output=True)  # another process: another Rust hash seed
    for name in ("tokenizer.json", "tokenizer_config.json", "config.json", "tiny.json"):
        assert (again / name).read_bytes() == (tiny_dir / name).read_bytes(), name
    first, second = load_file(tiny_dir / "model.safetensors"), load_file(again / "model.safetensors")
    assert first.keys() == second.keys()
    assert all((first[k] == second[k]).all() for k in first)
    other = load_file(build_tiny_model(tmp_path / "seed7", raw_dir=RAW, seed=7,
                                       pretrain_steps=5) / "model.safetensors")
    assert not all((first[k] == other[k]).all() for k in first)


def test_resolve_builds_tiny_once_and_rebuilds_when_the_data_changes(tmp_path):
    raw = tmp_path / "raw"
    (raw / "asm").mkdir(parents=True)
    (raw / "asm" / "a.asm").write_text("LDA #$01\nSTA $10\nRTS\n" * 50)
    small = {"raw_dir": raw, "vocab_size": 300, "layers": 1, "hidden": 32, "heads": 2,
             "kv_heads": 1, "intermediate": 64, "pretrain_steps": 3, "pretrain_seq_len": 16}
    folder = Path(resolve_base_model("tiny", tmp_path / "models", **small))
    assert folder == tmp_path / "models" / TINY_FOLDER
    built = (folder / "model.safetensors").stat().st_mtime_ns
    assert resolve_base_model("tiny", tmp_path / "models", **small) == str(folder)
    assert (folder / "model.safetensors").stat().st_mtime_ns == built  # cached
    before = json.loads((folder / "tiny.json").read_text())["data_hash"]
    (raw / "asm" / "b.asm").write_text("JSL Routine\nRTL\n" * 50)
    resolve_base_model("tiny", tmp_path / "models", **small)
    assert json.loads((folder / "tiny.json").read_text())["data_hash"] != before
    assert len(read_corpus(raw)) == 2


def test_resolve_passes_other_names_through(tmp_path):
    assert resolve_base_model("Qwen/Qwen2.5-0.5B", tmp_path) == "Qwen/Qwen2.5-0.5B"
    assert resolve_base_model(str(tmp_path), tmp_path / "cache") == str(tmp_path)
    assert not (tmp_path / "cache").exists()
    with pytest.raises(ValueError, match="unknown tiny model setting"):
        resolve_base_model("tiny", tmp_path, raw_dir=tmp_path, depth=3)


def test_building_reports_the_tokenizer_and_each_warm_up_step(tmp_path):
    """The build was silent for 103-296 s inside `kedro run` (the warm-up steps, most of it)."""
    import io

    from afs.progress import Reporter

    raw = tmp_path / "raw"
    (raw / "asm").mkdir(parents=True)
    (raw / "asm" / "a.asm").write_text("LDA #$01\nSTA $10\nRTS\n" * 50)
    stream = io.StringIO()
    build_tiny_model(tmp_path / "tiny", raw_dir=raw, vocab_size=300, layers=1, hidden=32,
                     heads=2, kv_heads=1, intermediate=64, pretrain_steps=3, pretrain_seq_len=16,
                     progress=Reporter(stream=stream, every=0.0, quiet_for=0.0))
    lines = stream.getvalue().splitlines()
    tokenizer = [line for line in lines if line.startswith("tiny base model: tokenizer: ")]
    assert tokenizer[-1].startswith("tiny base model: tokenizer: done in ")
    assert all(" running for " in line for line in tokenizer[:-1])  # one call, not counted
    warm_up = [line for line in lines if line.startswith("tiny base model: warm-up: ")]
    assert warm_up[0] == "tiny base model: warm-up: 3 steps"
    assert [line.split(", ")[0] for line in warm_up[1:4]] == [
        f"tiny base model: warm-up: {n}/3 steps" for n in (1, 2, 3)]
    assert all("/s, ETA " in line for line in warm_up[1:4])
    assert warm_up[4].startswith("tiny base model: warm-up: done in ") and " -> " in warm_up[4]
