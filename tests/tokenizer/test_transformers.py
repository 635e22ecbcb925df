"""A saved ASMTokenizer is a standard transformers tokenizer folder."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afs.tokenizer import ASMTokenizer

from .conftest import DATA, ROUTINE

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

TRICKY = "x , y . z 's  ; a ! b ?\n\n\tLDA #$00  \r\n"  # what clean-up of spaces would change


@pytest.fixture(scope="module")
def saved(trained, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tokenizer")
    trained.save_pretrained(folder)
    return folder


def test_save_writes_a_transformers_folder(saved):
    config = json.loads((saved / "tokenizer_config.json").read_text())
    assert config["tokenizer_class"] == "PreTrainedTokenizerFast"
    assert config["clean_up_tokenization_spaces"] is False
    assert not [p for p in saved.iterdir() if p.name.startswith(".")]  # no staging left


@pytest.mark.parametrize("loader", ["AutoTokenizer", "PreTrainedTokenizerFast", "ASMTokenizer"])
def test_loaders_agree_with_the_trained_tokenizer(trained, saved, loader):
    loaded = (ASMTokenizer if loader == "ASMTokenizer" else getattr(transformers, loader)
              ).from_pretrained(saved)
    for text in (ROUTINE, DATA, TRICKY):
        ids = loaded.encode(text)
        assert ids == trained.encode(text)
        assert loaded.decode(ids) == text
    assert len(loaded) == len(trained)
    assert (loaded.pad_token_id, loaded.eos_token_id, loaded.bos_token_id) == \
        (trained.pad_token_id, trained.eos_token_id, trained.bos_token_id)


@settings(max_examples=50, deadline=None)
@given(st.text())
def test_auto_tokenizer_round_trips(saved_auto, text):
    assert saved_auto.decode(saved_auto.encode(text)) == text


@pytest.fixture(scope="module")
def saved_auto(saved):
    return transformers.AutoTokenizer.from_pretrained(saved)


def test_batch_call_pads_and_returns_tensors(trained):
    lines = ["LDA #$00", "STA $7E0010,X ; store", "RTL"]
    batch = trained(lines, padding=True, return_tensors="pt")
    lengths = [len(trained.encode(line)) for line in lines]
    assert batch["input_ids"].shape == (3, max(lengths))
    assert batch["attention_mask"].sum(dim=1).tolist() == lengths
    assert batch["input_ids"][2, lengths[2]:].eq(trained.pad_token_id).all()
    short = trained(lines, padding="max_length", truncation=True, max_length=3,
                    return_tensors="pt")
    assert short["input_ids"].shape == (3, 3)
    assert [len(trained.encode(line)) for line in lines] == lengths  # encode is not truncated


def test_a_tiny_causal_lm_sized_by_the_vocabulary(trained):
    config = transformers.LlamaConfig(
        vocab_size=len(trained), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=128,
        pad_token_id=trained.pad_token_id, bos_token_id=trained.bos_token_id,
        eos_token_id=trained.eos_token_id)
    model = transformers.LlamaForCausalLM(config)
    batch = trained([ROUTINE[:80], "RTS"], padding=True, return_tensors="pt")
    out = model(**batch, labels=batch["input_ids"])
    assert out.logits.shape[-1] == len(trained) and torch.isfinite(out.loss)
