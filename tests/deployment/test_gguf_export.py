"""GGUF export of a LoRA-merged tiny model, checked against transformers with llama.cpp itself:
same tokenization, F32 logits equal to the merged model's, Q8_0 with the same top-1 token,
K-quants on a 128-wide model through llama.cpp's fallback types, clear errors."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import orjson
import pytest

from afs.deployment import convert_lora_to_gguf, merge_lora
from afs.deployment.quantize import gguf_tensor_types
from afs.errors import ConfigError

from .conftest import RAW

N_CTX = 512
GGML_TYPE_F32 = 0
# measured on this machine: F32 max |Δlogit| 8.8e-6 (float32 sums in another order);
# Q8_0 top-1 agreement 4338/4376 = 0.991 on the eval suite
F32_TOLERANCE = 1e-3
ASM = (RAW / "asm" / "Core" / "dma.asm").read_text(encoding="utf-8")[:1500]
PROSE = ("The routine at $208000 now calls `Dungeon_TickTimer_Helper` instead of reading "
         "$0F50 directly — so it decrements the timer in one place.\n\n  Indented\tline, "
         "numbers 12345 and 0x7E, punctuation?!... it's they'll we've Ünïcödé 日本語 🙂")


def held_out_texts() -> list[str]:
    """The eval suite's questions and answers: text the tiny model was not trained on."""
    rows = [orjson.loads(line) for line in
            (RAW / "eval" / "eval_suite.jsonl").read_bytes().splitlines() if line.strip()]
    return [f"{row['instruction']}\n{row.get('input') or ''}\n{row['output']}" for row in rows]


def load_gguf(path: Path):
    from llama_cpp import Llama

    # an F32 KV cache (llama.cpp's default is F16, which alone costs ~3e-3 in the logits)
    return Llama(model_path=str(path), n_ctx=N_CTX, logits_all=True, verbose=False,
                 n_threads=2, seed=0, type_k=GGML_TYPE_F32, type_v=GGML_TYPE_F32)


def gguf_logits(llm, ids: list[int]) -> np.ndarray:
    """llama.cpp's logits at every position of ``ids`` (a fresh context each time)."""
    llm.reset()
    llm.eval(ids)
    return np.array(llm.scores[:len(ids)], dtype=np.float32)


def hf_logits(model, ids: list[int]) -> np.ndarray:
    import torch

    with torch.no_grad():
        return model(torch.tensor([ids])).logits[0].float().numpy()


def logit_gaps(tokenizer, texts, candidate, reference, other) -> tuple[float, float]:
    """Over all positions of ``texts``: the largest |candidate - reference| and the largest
    |other - reference| logit difference (each argument maps token ids to logits)."""
    worst = other_gap = 0.0
    for text in texts:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"][:N_CTX]
        expected = reference(ids)
        worst = max(worst, float(np.abs(candidate(ids) - expected).max()))
        other_gap = max(other_gap, float(np.abs(other(ids) - expected).max()))
    return worst, other_gap


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, tiny_models, adapter) -> dict:
    """The adapter converted to F32 and Q8_0 (timed), plus the merged transformers model."""
    out = tmp_path_factory.mktemp("gguf")
    seconds = {}
    paths = {}
    for quantization in ("F32", "Q8_0"):
        started = time.perf_counter()
        paths[quantization] = convert_lora_to_gguf(
            adapter, out / f"tiny-{quantization}.gguf", "tiny", quantization, device="cpu",
            cache_dir=tiny_models, raw_dir=RAW)
        seconds[quantization] = time.perf_counter() - started
    print(f"\nconversion seconds: {seconds}")
    model, tokenizer = merge_lora(adapter, "tiny", device="cpu", cache_dir=tiny_models,
                                  raw_dir=RAW)
    return {"out": out, "paths": paths, "model": model, "tokenizer": tokenizer,
            "f32": load_gguf(paths["F32"])}


def test_f32_file_has_qwen2_metadata_and_llama_cpp_tensor_names(workspace):
    from gguf import GGUFReader

    reader = GGUFReader(str(workspace["paths"]["F32"]))
    fields = reader.fields

    def scalar(key):
        field = fields[key]
        return field.contents()

    assert scalar("general.architecture") == "qwen2"
    assert scalar("qwen2.block_count") == 2
    assert scalar("qwen2.embedding_length") == 128
    assert scalar("qwen2.attention.head_count") == 4
    assert scalar("qwen2.attention.head_count_kv") == 2
    assert scalar("tokenizer.ggml.model") == "gpt2"
    # transformers 5 loads the tiny folder (model_type qwen2) as a Qwen2Tokenizer, which
    # splits with Qwen2's regex: the file must say what training actually tokenized with
    assert scalar("tokenizer.ggml.pre") == "qwen2"
    assert scalar("tokenizer.ggml.add_bos_token") is False
    assert "<|im_start|>" in scalar("tokenizer.chat_template")
    tokens = scalar("tokenizer.ggml.tokens")
    types = scalar("tokenizer.ggml.token_type")
    assert tokens[:3] == ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    assert types[:3] == [3, 3, 3] and set(types[3:]) == {1}  # CONTROL, then NORMAL
    names = {tensor.name for tensor in reader.tensors}
    assert {"token_embd.weight", "output_norm.weight", "blk.1.attn_q.bias",
            "blk.1.attn_output.weight", "blk.0.ffn_down.weight"} <= names
    assert "output.weight" not in names  # tied: llama.cpp reuses token_embd
    assert len(names) == 3 + 2 * 12 - 1  # embd, norm; per block 9 weights + 3 biases
    assert gguf_tensor_types(workspace["paths"]["F32"]) == {"F32": len(names)}
    assert sorted(p.name for p in workspace["out"].iterdir()) == \
        ["tiny-F32.gguf", "tiny-Q8_0.gguf"]  # no temp files left behind


def test_llama_cpp_tokenizes_like_the_hf_tokenizer(workspace):
    tokenizer, llm = workspace["tokenizer"], workspace["f32"]
    chat = tokenizer.apply_chat_template(
        [{"role": "system", "content": "Answer briefly."},
         {"role": "user", "content": "What does `REP #$20` do?"},
         {"role": "assistant", "content": "It makes A 16-bit.\n  LDA.w #$0001"}],
        tokenize=False, add_generation_prompt=True)
    texts = [ASM, PROSE, chat, *held_out_texts()[:10], " leading space", "trailing \n\n",
             "", "\t\t$7EF36C,X"]
    for text in texts:
        expected = tokenizer(text, add_special_tokens=False)["input_ids"]
        got = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        assert got == expected, text[:60]
    assert llm.tokenize(chat.encode(), add_bos=False, special=True)[0] == 1  # <|im_start|>


def test_f32_logits_match_the_merged_transformers_model(workspace, tiny_models):
    import torch
    from transformers import AutoModelForCausalLM

    tokenizer, model, llm = workspace["tokenizer"], workspace["model"], workspace["f32"]
    prompts = [ASM[:600], PROSE, *held_out_texts()[:4],
               tokenizer.apply_chat_template([{"role": "user", "content": "LDA?"}],
                                             tokenize=False, add_generation_prompt=True)]
    base = AutoModelForCausalLM.from_pretrained(tiny_models / "tiny-base",
                                                dtype=torch.float32).eval()
    worst, adapter_effect = logit_gaps(tokenizer, prompts, lambda ids: gguf_logits(llm, ids),
                                       lambda ids: hf_logits(model, ids),
                                       lambda ids: hf_logits(base, ids))
    print(f"\nF32 max |logit difference| {worst:.2e}; merged vs base {adapter_effect:.2f}")
    assert worst < F32_TOLERANCE
    assert adapter_effect > 100 * F32_TOLERANCE  # the merge changed what the file must match


def test_q8_0_agrees_on_the_top_token_on_held_out_text(workspace):
    tokenizer, model = workspace["tokenizer"], workspace["model"]
    llm = load_gguf(workspace["paths"]["Q8_0"])
    # the backend directly: the wrapper warns about a text longer than the model's context
    stream = tokenizer.backend_tokenizer.encode("\n\n".join(held_out_texts()),
                                                add_special_tokens=False).ids
    same = total = 0
    for start in range(0, len(stream), N_CTX):
        ids = stream[start:start + N_CTX]
        expected = hf_logits(model, ids).argmax(-1)
        got = gguf_logits(llm, ids).argmax(-1)
        same += int((got == expected).sum())
        total += len(ids)
    print(f"\nQ8_0 top-1 agreement {same}/{total} = {same / total:.4f}")
    assert total > 2000
    assert same / total >= 0.99
    assert gguf_tensor_types(workspace["paths"]["Q8_0"])["Q8_0"] > 0


@pytest.mark.parametrize(("quantization", "types"), [
    ("F16", {"F16", "F32"}),
    # K-quants need 256-wide rows; llama.cpp stores the tiny model's 128/352-wide ones in its
    # 32-block fallbacks (Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0) and logs a warning each
    ("q4_k_m", {"F32", "Q5_0", "Q8_0"}),
    ("Q5_K_M", {"F32", "Q5_1", "Q8_0"}),
])
def test_f16_and_k_quants_load_in_llama_cpp(workspace, adapter, tiny_models, quantization,
                                            types):
    path = convert_lora_to_gguf(adapter, workspace["out"] / "more" / f"{quantization}.gguf",
                                "tiny", quantization, device="cpu", cache_dir=tiny_models,
                                raw_dir=RAW)
    assert set(gguf_tensor_types(path)) == types
    ids = workspace["tokenizer"](PROSE, add_special_tokens=False)["input_ids"]
    logits = gguf_logits(load_gguf(path), ids)
    difference = float(np.abs(logits - hf_logits(workspace["model"], ids)).max())
    print(f"\n{quantization}: max |logit difference| {difference:.3f}")
    assert np.isfinite(logits).all()
    if quantization == "F16":
        assert difference < 0.02  # measured 0.004


def test_an_unknown_quantization_is_a_clear_error(adapter, tmp_path):
    with pytest.raises(ConfigError, match="unknown quantization 'Q3_X'.*Q4_K_M"):
        convert_lora_to_gguf(adapter, tmp_path / "m.gguf", "tiny", "Q3_X")
    assert not list(tmp_path.iterdir())


def test_a_missing_adapter_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="no such LoRA adapter folder"):
        convert_lora_to_gguf(tmp_path / "nope", tmp_path / "m.gguf", "tiny", "F32")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no adapter_config.json"):
        convert_lora_to_gguf(tmp_path / "empty", tmp_path / "m.gguf", "tiny", "F32")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]


def test_merging_off_a_terminal_prints_no_library_progress_bar(adapter, tiny_models, capfd):
    """transformers' "Loading weights" bar went to stderr of every `kedro run` (a line of
    carriage-return redraws in a log); off a terminal it is off, and back on afterwards."""
    import transformers.utils.logging as hf_logging

    capfd.readouterr()
    merge_lora(adapter, "tiny", device="cpu", cache_dir=tiny_models, raw_dir=RAW)

    captured = capfd.readouterr()
    assert "Loading weights" not in captured.err + captured.out
    assert hf_logging.is_progress_bar_enabled()
