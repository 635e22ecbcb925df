"""Corruptions: each kind changes the snippet, is labelled and deterministic."""

from __future__ import annotations

import pytest

from afs.asm import validate
from afs.discriminator.corruptions import KINDS, corrupt, corrupt_all

SNIPPET = """.dispatch
  LDA.w SprSubtype, X
  CMP.b #$03 : BCC +
    STZ.w SprState, X                   ; invalid subtype: despawn
    RTS
  +
  REP #$20
  LDA #$0012 : STA $7E0010
  JSL JumpTableLocal"""
POOL = ["  LDY #$04", "  STA.w $0D40,X"]


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_changes_the_snippet_and_is_deterministic(kind):
    first = corrupt(SNIPPET, kind, seed=3, pool=POOL)
    assert first is not None and first.kind == kind
    assert first.text != SNIPPET
    assert corrupt(SNIPPET, kind, seed=3, pool=POOL) == first


def test_unknown_kind_is_an_error():
    with pytest.raises(ValueError, match="unknown corruption kind"):
        corrupt(SNIPPET, "nope")


def test_impossible_mode_fails_the_validator_on_the_corpus(corpus_files):
    from afs.discriminator.data import read_documents, blocks_of, windows_of

    checked = 0
    for document in read_documents(corpus_files):
        for block in blocks_of(document.text):
            for snippet in windows_of(block):
                corrupted = corrupt(snippet, "impossible_mode", seed=1)
                if corrupted is None:
                    continue
                result = validate(corrupted.text)
                assert not result.valid, corrupted.text
                checked += 1
    assert checked > 20


def test_wrong_width_contradicts_rep():
    # 16-bit A after REP #$20 takes #$0012; the corruption writes the 8-bit #$12
    text = "REP #$20\nLDA #$0012\nSTA $10\nRTS"
    assert "LDA #$12\n" in corrupt(text, "wrong_width", seed=0).text
    text = "SEP #$30\nLDX #$34\nSTX $10\nRTS"
    assert "LDX #$0034" in corrupt(text, "wrong_width", seed=0).text
    # no REP/SEP in the snippet: a contradicting one is put before the immediate
    out = corrupt("LDA #$12\nSTA $10\nRTS", "wrong_width", seed=0).text
    assert out.startswith("REP #$20\nLDA #$12")


def test_wrong_mnemonic_is_real_and_still_assembles():
    from afs.asm.opcodes import MNEMONICS

    out = corrupt("LDA $10\nCLC\nADC #$01\nSTA $10", "wrong_mnemonic", seed=5)
    assert out is not None
    words = [line.split()[0] for line in out.text.splitlines()]
    assert all(word in MNEMONICS for word in words)
    assert validate(out.text).valid


def test_not_applicable_gives_none():
    assert corrupt("RTS\nRTL\nNOP", "swapped_index") is None
    assert corrupt("NOP\nNOP\nNOP", "shuffled_order") is None
    assert corrupt("LDA $10", "foreign_line", pool=[]) is None
    assert [c.kind for c in corrupt_all("NOP\nNOP\nNOP", pool=[])] == ["unknown_mnemonic", "impossible_mode"]


def test_shuffled_order_only_makes_orders_that_change_the_code():
    from afs.asm.effects import depends, effects

    # LDX/LDY/INY are independent of each other: no reorder of them is a mistake
    assert corrupt("LDX #$01\nLDY #$02\nINC $10", "shuffled_order", seed=0) is None
    text = "LDA $10\nLDX $12\nSTA $14"
    for seed in range(20):
        out = corrupt(text, "shuffled_order", seed=seed).text.split("\n")
        moved = [(line.split()[0], (line.split() + [""])[1]) for line in out]
        original = [(line.split()[0], line.split()[1]) for line in text.split("\n")]
        # some dependent pair of the original is now the other way round
        assert any(depends(effects(*original[i]), effects(*original[j]))
                   and moved.index(original[j]) < moved.index(original[i])
                   for i in range(3) for j in range(i + 1, 3)), out
