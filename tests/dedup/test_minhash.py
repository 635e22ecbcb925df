"""Shingles and signatures: the numpy "words" tokens, the fast-similarity sketch and the
previous rule (ASM tokens + permutations) kept bit for bit."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from datasketch import lsh

from afs.dedup import minhash
from afs.dedup.clusters import deduplicate
from afs.dedup.config import DedupConfig, dedup_text
from afs.errors import ConfigError
from tests.planted import planted_frame, routine

LEGACY = {"tokens": "asm", "sketch": "permutations"}


def words(*texts: str) -> list[list[int]]:
    hashes, offsets = minhash.word_hashes(*minhash.text_bytes(list(texts)))
    return [hashes[a:b].tolist() for a, b in zip(offsets[:-1], offsets[1:], strict=True)]


def test_words_are_runs_punctuation_and_newlines_never_across_texts():
    lda10, lda12, spaced, joined, left, right = words(
        "  LDA $10\n  STA $7E0D00,X", "  LDA $12\n  STA $7E0D00,X",
        "LDA\t$10 \r\n STA   $7E0D00 , X", "abcd", "ab", "cd")
    assert len(lda10) == 7  # LDA, $10, newline, STA, $7E0D00, comma, X
    assert sum(a != b for a, b in zip(lda10, lda12, strict=True)) == 1
    assert spaced == lda10  # spaces, tabs and carriage returns only separate
    assert joined != left + right and len(left) == len(right) == 1


def test_word_hashes_of_empty_texts_and_unicode():
    empty, accented, other = words("", "café $10", "cafe $10")
    assert empty == [] and len(accented) == 2 and accented[1] == other[1] != other[0]


def test_signatures_do_not_depend_on_chunks_or_cores(monkeypatch):
    texts = dedup_text(planted_frame(bases=40)).tolist() + ["", "x"]
    whole = minhash.signatures(texts, seed=3)
    monkeypatch.setattr(minhash, "CHUNK_BYTES", 512)
    monkeypatch.setattr(minhash, "DENSIFY_ROWS", 7)
    monkeypatch.setattr(minhash.os, "cpu_count", lambda: 1)
    assert np.array_equal(minhash.signatures(texts, seed=3), whole)
    assert np.array_equal(minhash.signatures(texts[::-1], seed=3), whole[::-1])
    assert not np.array_equal(minhash.signatures(texts, seed=4), whole)


def test_every_bin_is_filled_and_an_empty_text_matches_only_empty_texts():
    sigs = minhash.signatures(["", "LDA", "LDA", "  LDA $10\n  STA $20", " "], num_perm=64)
    assert (sigs[[0, 4]] == minhash.EMPTY_HASH).all()
    assert not (sigs[1:4] == minhash.EMPTY_HASH).any()
    assert np.array_equal(sigs[1], sigs[2]) and not np.array_equal(sigs[1], sigs[3])


def test_fast_similarity_estimates_the_jaccard_without_bias():
    rng = np.random.default_rng(0)
    truths, estimates = [], []
    for _ in range(300):
        size, shared = int(rng.integers(20, 200)), rng.uniform(0.5, 1.0)
        common = rng.integers(0, 1 << 40, int(size * shared))
        a = np.r_[common, rng.integers(1 << 41, 1 << 42, size - len(common))]
        b = np.r_[common, rng.integers(1 << 43, 1 << 44, size - len(common))]
        texts = [" ".join(f"w{v}" for v in a), " ".join(f"w{v}" for v in b)]
        sigs = minhash.signatures(texts, num_perm=128, shingle_size=1, seed=5)
        truths.append(len(common) / (2 * size - len(common)))
        estimates.append(minhash.estimated_jaccard(sigs[:1], sigs[1:])[0])
    error = np.array(estimates) - np.array(truths)
    assert abs(error.mean()) < 0.01 and np.sqrt((error ** 2).mean()) < 0.04


def test_previous_rule_is_kept_bit_for_bit():
    # sha256 of the signatures that afs.dedup.minhash computed before the words shingler
    # (commit 1c7f087) for these texts, 64 permutations, 5-token shingles, seed 7
    texts = dedup_text(planted_frame(bases=60)).tolist()
    sigs = minhash.signatures(texts, 64, 5, 7, **LEGACY)
    assert hashlib.sha256(sigs.tobytes()).hexdigest() == \
        "bcf9367a5f8e8936925c82decb50c74d94cd1677e74292453215eb470e3ec101"


def test_lsh_params_are_datasketchs_choice():
    for num_perm in (8, 16, 32, 64, 100, 128, 200, 256):
        for threshold in np.round(np.arange(0.05, 1.0001, 0.05), 2):
            assert minhash.lsh_params(float(threshold), num_perm) == \
                lsh._optimal_param(float(threshold), num_perm, 0.5, 0.5), (threshold, num_perm)


@pytest.mark.parametrize(("settings", "kept"), [({}, 504), (LEGACY, 506)],
                         ids=["words", "previous"])
def test_planted_duplicates_are_found_by_either_rule(settings, kept):
    frame = planted_frame()
    result = deduplicate(frame, DedupConfig(**settings))
    kinds = result.rejects["reject_reason"].str.split(":").str[0].value_counts()
    assert kinds["duplicate_of"] > 80  # 100 case and whitespace copies; some are keepers
    # 500 routines: the near copies of each merge with it, a few chains of 3-4 edits stay apart
    assert len(result.kept) == kept
    kept_routines = result.kept["instruction"].str.extract(r"(?i)routine (\d+)")[0].astype(int)
    assert set(kept_routines) == set(range(500))


def test_near_copies_in_routines_merge_and_other_routines_do_not():
    base = routine(7, lines=24)
    edited = base.replace("LDA $0A", "LDA $FF")
    texts = [base, edited, routine(8, lines=24), base + "\n  RTS"]
    sigs = minhash.signatures(texts, seed=42)
    agree = minhash.estimated_jaccard(sigs[[0, 0, 0]], sigs[[1, 2, 3]])
    assert agree[0] >= 0.8 and agree[2] >= 0.8 and agree[1] < 0.5


def test_unknown_tokens_or_sketch_is_a_config_error():
    with pytest.raises(ConfigError, match="tokens must be one of words, asm"):
        DedupConfig(tokens="chars")
    with pytest.raises(ConfigError, match="sketch"):
        DedupConfig(sketch="bottom_k")
    with pytest.raises(ValueError, match="tokens must be one of"):
        minhash.signatures(["x"], tokens="chars")
