"""ASMTokenizer: the shipped vocabulary, the spec's example, single-token operands, round trips."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afs.asm.opcodes import MNEMONICS
from afs.errors import ConfigError, DataError
from afs.tokenizer import DEFAULT_VOCAB_SIZE, SEED_PIECES, SPECIAL_TOKENS, ASMTokenizer

from .conftest import ROUTINE, corpus_files

SPEC_BLOCK = """
  LDA #$00
  STA $7E0000
  BRA done
"""


def test_shipped_vocabulary_loads(shipped):
    assert 1000 < shipped.vocab_size == len(shipped) <= DEFAULT_VOCAB_SIZE
    assert [shipped.pad_token, shipped.bos_token, shipped.eos_token, shipped.unk_token] == \
        list(SPECIAL_TOKENS)
    assert [shipped.pad_token_id, shipped.bos_token_id, shipped.eos_token_id,
            shipped.unk_token_id] == [0, 1, 2, 3]


def test_spec_example(shipped):
    code = "LDA #$00 ; Load zero"
    tokens = shipped.tokenize(code)
    assert tokens[:2] == ["LDA", " #$00"]
    assert tokens[2].startswith(" ;")
    assert "".join(tokens) == code
    assert shipped.decode(shipped.encode(code)) == code


def test_spec_block(shipped):
    tokens = shipped.tokenize(SPEC_BLOCK)
    assert tokens[:3] == ["\n  ", "LDA", " #$00"]
    assert {"STA", "BRA"} <= set(tokens)
    assert "".join(tokens) == SPEC_BLOCK


@pytest.mark.parametrize("operand", [" #$00", " ($00),Y", " [$00],Y", " $01,S", " #$FFFF"])
def test_common_operand_shapes_are_single_tokens(shipped, trained, operand):
    for tokenizer in (shipped, trained):
        assert tokenizer.tokenize(f"LDA{operand}") == ["LDA", operand]


def test_seeds_are_single_tokens_even_from_a_tiny_corpus(shipped, trained):
    for tokenizer in (shipped, trained):
        for seed in SEED_PIECES:
            assert len(tokenizer.encode(seed)) == 1, seed
    assert {m + ".w" for m in ("LDA", "STA", "JSR")} <= set(SEED_PIECES)
    for tokenizer in (shipped, trained):
        model = json.loads(tokenizer.backend_tokenizer.to_str())["model"]
        merges = [tuple(m) for m in model["merges"]]
        assert len(set(merges)) == len(merges)
        assert all(a + b in model["vocab"] for a, b in merges)
    assert len(MNEMONICS) == 92


def test_tokens_are_readable_text(shipped):
    tokens = shipped.tokenize("  LDA.w $0DD0,X ; état 😀\r\n")
    assert not any("Ġ" in t or "Ċ" in t for t in tokens)
    assert "LDA.w" in tokens


def test_decode_accepts_tensors_and_rejects_unknown_ids(trained):
    torch = pytest.importorskip("torch")
    ids = trained.encode(ROUTINE)
    assert trained.decode(torch.tensor(ids)) == ROUTINE
    assert trained.batch_decode(torch.tensor([ids[:5], ids[5:10]])) == \
        [trained.decode(ids[:5]), trained.decode(ids[5:10])]
    with pytest.raises(DataError, match="not in the vocabulary"):
        trained.decode([len(trained)])


ASM_FRAGMENTS = st.sampled_from([
    "LDA", "lda", ".w", ".l", " ", "  ", "\t", "\n", "\r\n", "\r", "#$00", "$7E0010", ",X",
    "($00),Y", "[$00],Y", "$01,S", "; comment", ";", "Label:", ".loop", "..sub", "+", "-",
    "!Define", "org", "db", '"', "%Macro(", ")", "é", "😀", "\x00", "\u200b", "<|endoftext|>",
    "Ġ", "<0x41>"])


@settings(max_examples=300, deadline=None)
@given(st.text() | st.lists(ASM_FRAGMENTS).map("".join))
def test_round_trip_any_text(shipped, text):
    assert shipped.decode(shipped.encode(text)) == text


@settings(max_examples=100, deadline=None)
@given(st.text(st.characters(codec="utf-8")))
def test_round_trip_with_a_trained_tokenizer_and_no_unknown_token(trained, text):
    ids = trained.encode(text)
    assert trained.unk_token_id not in ids or trained.unk_token in text
    assert trained.decode(ids) == text


@pytest.mark.parametrize("path", corpus_files() or [pytest.param(None, marks=pytest.mark.skip(
    reason="no data/01_raw/asm corpus"))], ids=lambda p: p and p.name)
def test_round_trip_every_corpus_file(shipped, path):
    text = path.read_bytes().decode("utf-8")
    assert shipped.decode(shipped.encode(text)) == text


def test_missing_or_bad_tokenizer_folder(tmp_path):
    with pytest.raises(ConfigError, match="no such folder"):
        ASMTokenizer.from_pretrained(tmp_path / "nope")
    with pytest.raises(ConfigError, match="no tokenizer.json"):
        ASMTokenizer.from_pretrained(tmp_path)
    (tmp_path / "tokenizer.json").write_text("{}")
    with pytest.raises(DataError, match="tokenizer.json"):
        ASMTokenizer.from_pretrained(tmp_path)
