"""Shingles, n-gram hashes and MinHash signatures, batched with numpy.

Two ways to cut a text into tokens (``DedupConfig.tokens``):

- ``"words"`` (the default): runs of letters, digits, ``_ $ # % ! .`` and non-ASCII bytes
  are one token each, every other non-space byte (punctuation, each newline) is a token of
  its own, other whitespace only separates. Found in numpy over the UTF-8 bytes of many
  texts at once (byte classes, token edges, a prefix polynomial hash per token): no regex,
  no Python object per token.
  ``LDA $10`` and ``LDA $12`` still differ in one token; ``$7E0D00`` is one token.
- ``"asm"``: the ASM tokenizer's ids (its Rust BPE with a large pre-tokenizer regex: about
  20x slower, kept for the kept sets made before the words shingler).

Shingles are k consecutive tokens hashed with a rolling polynomial. Two sketches estimate
the Jaccard similarity of two texts' shingle sets (``DedupConfig.sketch``):

- ``"fast_similarity"`` (the default; Dahlgaard, Knudsen and Thorup, "Fast Similarity
  Sketching", FOCS 2017): in each of SKETCH_ROUNDS rounds every shingle is hashed to one of
  ``num_perm`` bins with a value, the round number above the value's bits; each bin keeps
  its minimum, so a later round only fills bins that the earlier ones left empty. The few
  bins still empty borrow from the first non-empty bin along a fixed, seeded probe sequence
  (Shrivastava, "Optimal Densification for Fast and Accurate Minwise Hashing", ICML 2017).
  Two texts agree on a bin with probability = their Jaccard, as with num_perm
  permutations, for 8 hashes per shingle instead of num_perm; the bins sample without
  replacement, so the estimate is tighter (on the benchmark's pairs with Jaccard 0.6-0.95:
  RMS error 0.027 against 0.035-0.037 for 128 permutations).
- ``"permutations"``: ``num_perm`` seeded multiply-shift hashes ((a * h + b) mod 2^64) >> 32
  per shingle (the earlier sketch).

Signatures are (texts, num_perm) uint32; ``lsh_params`` picks bands and rows as datasketch's
``MinHashLSH`` would (computed here: importing scipy's integrator took 1.3 s).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa

from afs.dedup.config import SKETCHES, TOKEN_KINDS
from afs.tokenizer import ASMTokenizer

EMPTY_HASH = np.uint32(0xFFFFFFFF)
SIGNATURE_CHUNK_TEXTS = 8192  # "asm" tokens: texts per encode_batch call
SIGNATURE_CHUNK_SHINGLES = 1 << 15  # "permutations": shingles per numpy pass (32 MB at 128)
CHUNK_BYTES = 1 << 20  # "words": text bytes per numpy pass (its arrays stay in the cache)
DENSIFY_ROWS = 1 << 15  # "fast_similarity": signatures whose empty bins are filled at once
PAIR_CHUNK = 1 << 16  # signature pairs compared per numpy pass
RANDOM_PROBES = 32  # then the bins to the right, so every probe sequence reaches each bin
SKETCH_ROUNDS = 8  # "fast_similarity": hashes per shingle; ~4% of bins are left to densify
VALUE_BITS = 28  # above them, the round: earlier rounds win; no value is EMPTY_HASH
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_BYTE_PRIME = 0x100000001B3


@lru_cache(maxsize=1)
def _tokenizer():
    return ASMTokenizer().backend_tokenizer


def token_ids(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """All texts' ASM token ids concatenated (uint64) and each text's start offset (n + 1)."""
    encodings = _tokenizer().encode_batch(list(texts), add_special_tokens=False)
    lengths = np.fromiter((len(e.ids) for e in encodings), np.int64, len(encodings))
    offsets = np.zeros(len(encodings) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    ids = np.fromiter((i for e in encodings for i in e.ids), np.uint64, int(offsets[-1]))
    return ids, offsets


def text_bytes(texts: Any) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of all texts (a list, a pandas Series or an Arrow array; None is
    empty) as one uint8 array, and each text's start offset (n + 1). Arrow-backed strings
    are not copied."""
    array = texts if isinstance(texts, (pa.Array, pa.ChunkedArray)) else \
        pa.array(texts, type=pa.large_string(), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks() if array.num_chunks else pa.array([], pa.large_string())
    array = array.cast(pa.large_string()).fill_null("")
    validity, offsets, data = array.buffers()
    offsets = np.frombuffer(offsets, np.int64)[array.offset: array.offset + len(array) + 1]
    data = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
    return data[offsets[0]: offsets[-1]], offsets - offsets[0]


def _byte_classes() -> np.ndarray:
    """0: separator (whitespace but the newline, control), 1: part of a word, 2: a token of
    its own (punctuation, and the newline: line structure counts, as in the ASM tokenizer's
    line-break tokens; without it one edit in a routine weighs a third more)."""
    classes = np.full(256, 2, dtype=np.uint8)
    for byte in range(256):
        char = chr(byte)
        if byte >= 0x80 or char.isalnum() or char in "_$#%!.":
            classes[byte] = 1
        elif char != "\n" and (char.isspace() or byte < 0x20 or byte == 0x7F):
            classes[byte] = 0
    return classes


_CLASSES = _byte_classes()
_BYTE_VALUES = np.arange(1, 257, dtype=np.uint64)  # byte + 1: no byte hashes as nothing


@lru_cache(maxsize=4)
def _byte_powers(length: int) -> tuple[np.ndarray, np.ndarray]:
    """P^i and P^-i (mod 2^64) for i < length: the prefix hash's position weights."""
    powers = np.full(length, np.uint64(_BYTE_PRIME), dtype=np.uint64)
    inverse = np.full(length, np.uint64(pow(_BYTE_PRIME, -1, 1 << 64)), dtype=np.uint64)
    powers[:1] = inverse[:1] = 1
    with np.errstate(over="ignore"):
        np.cumprod(powers, out=powers)
        np.cumprod(inverse, out=inverse)
    return powers, inverse


def _powers_for(length: int) -> tuple[np.ndarray, np.ndarray]:
    size = CHUNK_BYTES
    while size < length:  # one text longer than a chunk: a table that covers it
        size *= 2
    return _byte_powers(size)


def word_hashes(data: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hash of each "words" token of each text, in order (texts' bytes in ``data``,
    text i at ``offsets[i]:offsets[i + 1]``), and each text's first token (n + 1). A token
    never spans two texts."""
    classes = _CLASSES[data]
    word = classes == 1
    alone = classes == 2
    after_gap = np.ones(len(data), dtype=bool)  # the byte before is no word byte
    before_gap = np.ones(len(data), dtype=bool)  # the byte after is no word byte
    np.logical_not(word[:-1], out=after_gap[1:])
    np.logical_not(word[1:], out=before_gap[:-1])
    after_gap[offsets[:-1][offsets[:-1] < len(data)]] = True
    before_gap[offsets[1:][offsets[1:] > 0] - 1] = True
    starts = np.flatnonzero(alone | (word & after_gap))
    ends = np.flatnonzero(alone | (word & before_gap)) + 1
    powers, inverse = _powers_for(len(data))
    prefix = np.zeros(len(data) + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        np.cumsum(_BYTE_VALUES[data] * powers[: len(data)], out=prefix[1:])
        hashes = (prefix[ends] - prefix[starts]) * inverse[starts]  # as if each began at 0
    return hashes, np.searchsorted(starts, offsets)


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads a polynomial hash over all 64 bits."""
    with np.errstate(over="ignore"):
        values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


def ngram_hashes(ids: np.ndarray, offsets: np.ndarray, n: int,
                 short: str = "whole") -> tuple[np.ndarray, np.ndarray]:
    """64-bit hash of every run of ``n`` tokens inside each text, and the text each belongs
    to (ascending). A text shorter than ``n`` tokens gives one hash of all its tokens
    (``short="whole"``) or none (``short="skip"``); an empty text gives none."""
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
    few = np.flatnonzero((lengths > 0) & (lengths < n)) if short == "whole" else []
    if len(few):
        whole = np.zeros(len(few), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for j in range(n):
                valid = j < lengths[few]
                token = np.where(valid, ids[np.minimum(offsets[few] + j, max(total - 1, 0))], 0)
                whole = np.where(valid, whole * _MULTIPLIER + token + np.uint64(1), whole)
        hashes.append(whole)
        owners.append(few)
    hashes_all = _mix(np.concatenate(hashes))
    owners_all = np.concatenate(owners)
    if len(few):  # the whole-text hashes go in among the others, by text
        order = np.argsort(owners_all, kind="stable")
        hashes_all, owners_all = hashes_all[order], owners_all[order]
    return hashes_all, owners_all


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded multiply-shift parameters: odd multipliers ``a`` and offsets ``b`` (uint64)."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 1 << 63, num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.integers(0, 1 << 63, num_perm, dtype=np.uint64)
    return a, b


def signatures(texts: Any, num_perm: int = 128, shingle_size: int = 5, seed: int = 1,
               tokens: str = "words", sketch: str = "fast_similarity",
               on_texts: Callable[[int], None] | None = None) -> np.ndarray:
    """MinHash signature of each text over its k-token shingles: (len(texts), num_perm)
    uint32. ``texts``: a list of str, a pandas Series or an Arrow string array. An empty
    text gets the all-max signature (it matches only empty texts). Texts go through in
    chunks on every core, so memory holds the signatures plus a chunk's tokens per core;
    ``on_texts(n)`` is called as each chunk of ``n`` texts is signed (progress)."""
    if tokens not in TOKEN_KINDS or sketch not in SKETCHES:
        raise ValueError(f"tokens must be one of {TOKEN_KINDS} and sketch one of {SKETCHES}, "
                         f"got {tokens!r} and {sketch!r}")
    data, offsets = text_bytes(texts)
    result = np.full((len(offsets) - 1, num_perm), EMPTY_HASH, dtype=np.uint32)
    fill = _fast_similarity_minima if sketch == "fast_similarity" else _permutation_minima

    def sign(first: int, last: int) -> None:
        shingles, owners = _shingles(data, offsets, first, last, shingle_size, tokens)
        fill(result[first:last], shingles, owners, num_perm, seed)
        if on_texts is not None:
            on_texts(last - first)

    _on_every_core(sign, _chunks(offsets, CHUNK_BYTES if tokens == "words" else None))
    if sketch == "fast_similarity":
        _on_every_core(lambda first, last: densify(result[first:last], seed),
                       [(first, min(first + DENSIFY_ROWS, len(result)))
                        for first in range(0, len(result), DENSIFY_ROWS)])
    return result


def _on_every_core(work: Any, ranges: list[tuple[int, int]]) -> None:
    """``work(first, last)`` for each range, in threads: numpy's kernels and the Rust
    tokenizer run without the GIL."""
    workers = min(os.cpu_count() or 1, len(ranges))
    if workers <= 1:
        for bounds in ranges:
            work(*bounds)
        return
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda bounds: work(*bounds), ranges))


def _chunks(offsets: np.ndarray, chunk_bytes: int | None) -> list[tuple[int, int]]:
    """(first, last) text ranges of about ``chunk_bytes`` bytes each (or of
    SIGNATURE_CHUNK_TEXTS texts), at least one text each."""
    n = len(offsets) - 1
    if chunk_bytes is None:
        edges = list(range(0, n, SIGNATURE_CHUNK_TEXTS)) + [n]
    else:
        cuts = np.searchsorted(offsets, np.arange(0, int(offsets[-1]), chunk_bytes), "right")
        edges = sorted({0, n, *np.clip(cuts - 1, 0, n).tolist()})
    return [(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def _shingles(data: np.ndarray, offsets: np.ndarray, first: int, last: int,
              shingle_size: int, tokens: str) -> tuple[np.ndarray, np.ndarray]:
    """Shingle hashes of texts first..last-1 and their text numbers (from 0)."""
    if tokens == "words":
        lo, hi = offsets[first], offsets[last]
        ids, token_offsets = word_hashes(data[lo:hi], offsets[first: last + 1] - lo)
    else:
        chunk = [bytes(data[offsets[i]: offsets[i + 1]]).decode("utf-8")
                 for i in range(first, last)]
        ids, token_offsets = token_ids(chunk)
    return ngram_hashes(ids, token_offsets, shingle_size)


def _permutation_minima(result: np.ndarray, hashes: np.ndarray, owners: np.ndarray,
                        num_perm: int, seed: int) -> None:
    """``result[t]``: the minimum of each multiply-shift permutation over text t's shingles."""
    a, b = permutations(num_perm, seed)
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


@lru_cache(maxsize=64)
def _round_keys(seed: int, rounds: int) -> tuple[np.ndarray, np.ndarray]:
    """Per round: a 64-bit key xored into the shingle hash and an odd multiplier."""
    rng = np.random.default_rng([seed & 0xFFFFFFFFFFFFFFFF, 0x5EED])
    keys = rng.integers(0, 1 << 63, rounds, dtype=np.uint64) * np.uint64(2)
    multipliers = rng.integers(0, 1 << 63, rounds, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    return keys, multipliers


def _fast_similarity_minima(result: np.ndarray, hashes: np.ndarray, owners: np.ndarray,
                            num_perm: int, seed: int) -> None:
    """``result[t, bin]``: the smallest (round, value) among text t's shingles hashed into
    ``bin``: each of SKETCH_ROUNDS rounds sends every shingle to one bin, and a round's
    values are all below the next round's, so later rounds only fill bins that earlier
    ones left empty (empty bins stay EMPTY_HASH until ``densify``)."""
    flat = result.reshape(-1)
    cells = owners.astype(np.int64) * num_perm
    keys, multipliers = _round_keys(seed, SKETCH_ROUNDS)
    top = np.uint64(64 - VALUE_BITS)
    for number in range(SKETCH_ROUNDS):
        with np.errstate(over="ignore"):  # the shingle hashes are mixed: a multiply suffices
            hashed = (hashes ^ keys[number]) * multipliers[number]
            bins = (((hashed >> np.uint64(3)) & np.uint64(0xFFFFFFFF)) *
                    np.uint64(num_perm)) >> np.uint64(32)  # Lemire's range reduction
        values = (hashed >> top).astype(np.uint32) | np.uint32(number << VALUE_BITS)
        np.minimum.at(flat, cells + bins.astype(np.int64), values)


@lru_cache(maxsize=8)
def random_probes(num_perm: int, seed: int) -> np.ndarray:
    """(RANDOM_PROBES, num_perm): row a is the bin that each empty bin looks at a-th. After
    these, an empty bin takes the first non-empty bin to its right (cyclically), so a
    signature with any value fills every bin. The same sequences for every text."""
    rng = np.random.default_rng([seed & 0xFFFFFFFFFFFFFFFF, 0x0DE5])
    return rng.integers(0, num_perm, (RANDOM_PROBES, num_perm), dtype=np.int64)


def densify(sigs: np.ndarray, seed: int) -> None:
    """Fill each empty bin of each one-permutation signature (C-contiguous, in place) with
    the value of the first non-empty bin along its probe sequence; all-empty signatures (no
    shingles) stay EMPTY_HASH."""
    bins = sigs.shape[1]
    flat = sigs.reshape(-1)
    empty = sigs == EMPTY_HASH
    empty &= ~empty.all(axis=1, keepdims=True)
    cells = np.flatnonzero(empty)
    original = flat.copy()
    for probe in random_probes(bins, seed):
        if not len(cells):
            return
        column = cells % bins
        found = original[cells - column + probe[column]]
        filled = found != EMPTY_HASH
        flat[cells[filled]] = found[filled]
        cells = cells[~filled]
    if len(cells):
        flat[cells] = original[_first_value_to_the_right(original, cells, bins)]


def _first_value_to_the_right(flat: np.ndarray, cells: np.ndarray, bins: int) -> np.ndarray:
    """For each empty cell of ``flat`` (signatures of ``bins`` bins, one after the other),
    the cell of the first non-empty bin to its right in its signature, wrapping around."""
    rows, row_of_cell = np.unique(cells // bins, return_inverse=True)
    filled = flat.reshape(-1, bins)[rows] != EMPTY_HASH
    twice = np.concatenate([filled, filled], axis=1)
    position = np.where(twice, np.arange(2 * bins), 2 * bins)
    next_filled = np.minimum.accumulate(position[:, ::-1], axis=1)[:, ::-1]
    column = cells % bins
    return cells - column + next_filled[row_of_cell, column + 1] % bins


def lean_minhash(signature: np.ndarray, seed: int = 1):
    """One signature as a ``datasketch.LeanMinHash`` (``.jaccard`` against another)."""
    from datasketch import LeanMinHash

    try:  # datasketch 2 asks which scheme made the values: ours is the mod-prime affine one
        return LeanMinHash(seed=seed, hashvalues=signature, scheme="legacy")
    except TypeError:  # datasketch 1.x has a single scheme
        return LeanMinHash(seed=seed, hashvalues=signature)


@lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) that datasketch's ``MinHashLSH`` picks for ``threshold``
    (false positives and negatives weighted equally): the same search, its integrals by
    Gauss-Legendre quadrature, exact for these polynomials (scipy's ``quad`` is not
    imported: a second and a half)."""
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 2)
    best, best_error = (0, 0), np.inf
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            error = (_integral(lambda s: 1 - (1 - s ** rows) ** bands, 0.0, threshold,
                               nodes, weights) +
                     _integral(lambda s: (1 - s ** rows) ** bands, threshold, 1.0,
                               nodes, weights)) * 0.5
            if error < best_error:
                best, best_error = (bands, rows), error
    return best


def _integral(function, low: float, high: float, nodes: np.ndarray,
              weights: np.ndarray) -> float:
    half = (high - low) / 2
    return float(half * np.dot(weights, function(low + half * (nodes + 1))))


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


def pair_agreement(sigs: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``estimated_jaccard`` of rows ``left[i]`` and ``right[i]`` of ``sigs``, gathered
    PAIR_CHUNK pairs at a time (millions of pairs would copy a GB of signatures)."""
    return np.concatenate([np.zeros(0)] + [
        estimated_jaccard(sigs[left[first: first + PAIR_CHUNK]],
                          sigs[right[first: first + PAIR_CHUNK]])
        for first in range(0, len(left), PAIR_CHUNK)])


def config_signatures(texts: Any, config: Any,
                      on_texts: Callable[[int], None] | None = None) -> np.ndarray:
    """``signatures`` with a ``DedupConfig``'s settings: the one place that passes them."""
    return signatures(texts, config.num_perm, config.shingle_size, config.seed, config.tokens,
                      config.sketch, on_texts)
