"""ASMTokenizer against a plain byte-level BPE of the same size, trained on the same files.

    python benchmarks/tokenizer.py [--corpus data/01_raw/asm] [--vocab-size 4096] [--repeat 3]

The corpus files (*.asm, sorted) are split: every 5th file is held out, the rest train both
tokenizers. ASMTokenizer trains first; the baseline, `tokenizers`' ByteLevelBPETokenizer (GPT-2
pre-tokenization, no asm knowledge, same special tokens and min frequency), then gets the
vocabulary size ASMTokenizer ended with. Where a small corpus runs out of pairs first, a
second baseline with min frequency 1 gets as close to that size as its pairs allow, and a
second ASMTokenizer is trained to the size the first baseline reached. Prints a markdown table: vocabulary, tokens per line
and characters per token on the training and held-out files, and encode throughput (each file
encoded with one call, best of --repeat, lines per second over all files).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from afs.tokenizer import ASMTokenizer
from afs.tokenizer.training import (
    DEFAULT_MIN_FREQUENCY,
    DEFAULT_VOCAB_SIZE,
    SPECIAL_TOKENS,
    corpus_files,
    read_corpus,
)

ROOT = Path(__file__).resolve().parents[1]
HOLD_OUT_EVERY = 5


def byte_level_bpe(files: list[Path], vocab_size: int, min_frequency: int):
    from tokenizers import ByteLevelBPETokenizer

    baseline = ByteLevelBPETokenizer(add_prefix_space=False)
    baseline.train([str(f) for f in files], vocab_size=vocab_size, min_frequency=min_frequency,
                   special_tokens=list(SPECIAL_TOKENS), show_progress=False)
    return baseline


def count_tokens(encode, texts: list[str]) -> int:
    return sum(len(encode(text)) for text in texts)


def encode_seconds(encode, texts: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            encode(text)
        best = min(best, time.perf_counter() - start)
    return best


def line_count(texts: list[str]) -> int:
    return sum(text.count("\n") + (not text.endswith("\n")) for text in texts if text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "data/01_raw/asm")
    parser.add_argument("--vocab-size", type=int, default=DEFAULT_VOCAB_SIZE)
    parser.add_argument("--min-frequency", type=int, default=DEFAULT_MIN_FREQUENCY)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    files = corpus_files([args.corpus])
    held_out = files[HOLD_OUT_EVERY - 1::HOLD_OUT_EVERY]
    train_files = [f for f in files if f not in held_out]
    train_texts, held_texts = read_corpus(train_files), read_corpus(held_out)
    all_texts = train_texts + held_texts

    asm = ASMTokenizer.train(train_files, args.vocab_size, args.min_frequency)
    encoders = {"ASMTokenizer": (len(asm), asm.encode)}
    baselines = [byte_level_bpe(train_files, len(asm), args.min_frequency)]
    if baselines[0].get_vocab_size() < len(asm):  # ran out of pairs: let singletons merge too
        baselines.append(byte_level_bpe(train_files, len(asm), 1))
    for baseline, min_frequency in zip(baselines, (args.min_frequency, 1)):
        encoders[f"byte-level BPE, min frequency {min_frequency}"] = (
            baseline.get_vocab_size(), lambda text, b=baseline: b.encode(text).ids)
    smaller = baselines[0].get_vocab_size()
    if smaller < len(asm):  # the same size as the baseline that stopped early
        small_asm = ASMTokenizer.train(train_files, smaller, args.min_frequency)
        encoders[f"ASMTokenizer, vocab size {smaller}"] = (len(small_asm), small_asm.encode)
    sizes = (f"{len(train_files)} training files ({line_count(train_texts):,} lines, "
             f"{sum(map(len, train_texts)):,} chars), {len(held_out)} held out "
             f"({line_count(held_texts):,} lines, {sum(map(len, held_texts)):,} chars)")
    print(sizes + "\n")
    print("| tokenizer | vocab | tokens/line train | chars/token train | tokens/line held out "
          "| chars/token held out | encode lines/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, (vocab, encode) in encoders.items():
        cells = [name, f"{vocab:,}"]
        for texts in (train_texts, held_texts):
            tokens = count_tokens(encode, texts)
            cells += [f"{tokens / max(line_count(texts), 1):.2f}",
                      f"{sum(map(len, texts)) / max(tokens, 1):.2f}"]
        seconds = encode_seconds(encode, all_texts, args.repeat)
        cells.append(f"{line_count(all_texts) / seconds:,.0f}")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
