import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from afs.samples.keys import contains_ids, normalize_instruction, normalize_text


def test_normalize_text_lowercases_and_collapses_whitespace():
    texts = pd.Series(["  LDA  #$00\n\tSTA $10 ", "x", "", None, " \t "])
    assert normalize_text(texts).tolist() == ["lda #$00 sta $10", "x", "", "", ""]


def test_normalize_instruction_ignores_punctuation_but_keeps_asm_sigils_and_letters():
    texts = pd.Series(["What does Sprite_Move do?", "what does  sprite_move do", "Café: LDA #$00!"])
    assert normalize_instruction(texts).tolist() == [
        "what does sprite_move do", "what does sprite_move do", "café lda #$00"]


@given(st.lists(st.text(max_size=30), max_size=20))
def test_normalize_text_matches_python_split_join(texts):
    expected = [" ".join(t.lower().split()) for t in texts]
    got = normalize_text(pd.Series(texts, dtype="str")).tolist()
    # Python's str.split also splits on a few control characters Arrow keeps; compare those
    # texts only where both agree on what whitespace is
    for text, want, have in zip(texts, expected, got):
        if all(c.isspace() == (c in " \t\n\r\x0b\x0c") for c in text):
            assert have == want


def test_contains_ids():
    assert contains_ids(pd.Series(["a", "b", "c"]), pd.Series(["c", "a"])).tolist() == [True, False, True]
