"""Token shingles, n-gram hashes and MinHash signatures, batched with numpy.

Texts are cut with the ASM tokenizer (its Rust backend encodes a batch on all cores), so
`LDA $10` and `LDA $12` differ in one token: close, not equal. Shingles are k consecutive
token ids hashed with a rolling polynomial. Each of ``num_perm`` hash functions is a seeded
multiply-shift hash ((a * h + b) mod 2^64) >> 32 (no 64-bit division: several times faster than
datasketch's mod-prime permutations in numpy), applied to every shingle of a chunk of texts at
once; signatures are 32-bit like datasketch's and load into ``datasketch.LeanMinHash`` for
inspection (``jaccard`` between two of ours). LSH bands and rows come from datasketch.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from afs.tokenizer import ASMTokenizer

EMPTY_HASH = np.uint32(0xFFFFFFFF)
SIGNATURE_CHUNK_TEXTS = 8192
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
SIGNATURE_CHUNK_SHINGLES = 1 << 15  # shingles per numpy pass: 32 MB at 128 permutations


@lru_cache(maxsize=1)
def _tokenizer():
    return ASMTokenizer().backend_tokenizer


def token_ids(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """All texts' token ids concatenated (uint64) and each text's start offset (n + 1)."""
    encodings = _tokenizer().encode_batch(list(texts), add_special_tokens=False)
    lengths = np.fromiter((len(e.ids) for e in encodings), np.int64, len(encodings))
    offsets = np.zeros(len(encodings) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    ids = np.fromiter((i for e in encodings for i in e.ids), np.uint64, int(offsets[-1]))
    return ids, offsets


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads a polynomial hash over all 64 bits."""
    with np.errstate(over="ignore"):
        values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


def ngram_hashes(ids: np.ndarray, offsets: np.ndarray, n: int,
                 short: str = "whole") -> tuple[np.ndarray, np.ndarray]:
    """64-bit hash of every run of ``n`` tokens inside each text, and the text each belongs
    to. A text shorter than ``n`` tokens gives one hash of all its tokens (``short="whole"``)
    or none (``short="skip"``); an empty text gives none."""
    total = len(ids)
    lengths = np.diff(offsets)
    with np.errstate(over="ignore"):
        rolling = np.zeros(max(total - n + 1, 0), dtype=np.uint64)
        for j in range(n):  # n vector passes, not a Python loop per token
            rolling = rolling * _MULTIPLIER + ids[j: j + len(rolling)] + np.uint64(1)
    owner = np.repeat(np.arange(len(lengths)), lengths)
    starts = np.arange(len(rolling))
    full = starts + n <= offsets[1:][owner[: len(rolling)]] if len(rolling) else starts > 0
    hashes, owners = [rolling[full]], [owner[: len(rolling)][full]]
    if short == "whole":
        few = np.flatnonzero((lengths > 0) & (lengths < n))
        if len(few):
            whole = np.zeros(len(few), dtype=np.uint64)
            with np.errstate(over="ignore"):
                for j in range(n):
                    valid = j < lengths[few]
                    token = np.where(valid, ids[np.minimum(offsets[few] + j, max(total - 1, 0))],
                                     0)
                    whole = np.where(valid, whole * _MULTIPLIER + token + np.uint64(1), whole)
            hashes.append(whole)
            owners.append(few)
    hashes_all = _mix(np.concatenate(hashes))
    owners_all = np.concatenate(owners)
    order = np.argsort(owners_all, kind="stable")
    return hashes_all[order], owners_all[order]


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded multiply-shift parameters: odd multipliers ``a`` and offsets ``b`` (uint64)."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 1 << 63, num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.integers(0, 1 << 63, num_perm, dtype=np.uint64)
    return a, b


def signatures(texts: Sequence[str], num_perm: int = 128, shingle_size: int = 5,
               seed: int = 1) -> np.ndarray:
    """MinHash signature of each text over its k-token shingles: (len(texts), num_perm)
    uint32. An empty text gets the all-max signature (it matches only empty texts). Texts go
    through in chunks, so memory holds the signatures plus one chunk's tokens."""
    a, b = permutations(num_perm, seed)
    result = np.full((len(texts), num_perm), EMPTY_HASH, dtype=np.uint32)
    for first in range(0, len(texts), SIGNATURE_CHUNK_TEXTS):
        ids, offsets = token_ids(texts[first: first + SIGNATURE_CHUNK_TEXTS])
        hashes, owners = ngram_hashes(ids, offsets, shingle_size)
        owners += first
        for start in range(0, len(hashes), SIGNATURE_CHUNK_SHINGLES):
            stop = min(start + SIGNATURE_CHUNK_SHINGLES, len(hashes))
            block_owners = owners[start:stop]
            firsts = np.concatenate(([0], np.flatnonzero(np.diff(block_owners)) + 1))
            with np.errstate(over="ignore"):
                values = np.multiply.outer(hashes[start:stop], a)
                values += b
            values >>= np.uint64(32)
            minima = np.minimum.reduceat(values.astype(np.uint32), firsts, axis=0)
            rows = block_owners[firsts]  # a text cut by the block edge is reduced twice
            result[rows] = np.minimum(result[rows], minima)
    return result


def lean_minhash(signature: np.ndarray, seed: int = 1):
    """One signature as a ``datasketch.LeanMinHash`` (``.jaccard`` against another)."""
    from datasketch import LeanMinHash

    try:  # datasketch 2 asks which scheme made the values: ours is the mod-prime affine one
        return LeanMinHash(seed=seed, hashvalues=signature, scheme="legacy")
    except TypeError:  # datasketch 1.x has a single scheme
        return LeanMinHash(seed=seed, hashvalues=signature)


def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) that datasketch's MinHashLSH would pick for ``threshold``."""
    from datasketch import lsh

    return lsh._optimal_param(threshold, num_perm, 0.5, 0.5)


def band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(len(sigs), bands) uint64 bucket key of each band of each signature."""
    keys = np.zeros((len(sigs), bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for r in range(rows):
            band_rows = sigs[:, r: bands * rows: rows][:, :bands].astype(np.uint64)
            keys = keys * _MULTIPLIER + band_rows + np.uint64(1)
    return _mix(keys + np.arange(bands, dtype=np.uint64))  # equal rows in two bands differ


def estimated_jaccard(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Share of equal signature slots, row by row."""
    return (left == right).mean(axis=1)
