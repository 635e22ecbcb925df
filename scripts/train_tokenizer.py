"""Train the vocabulary shipped with AFS (src/afs/tokenizer/vocab) from the project's corpus.

    python scripts/train_tokenizer.py [--corpus data/01_raw/asm] [--vocab-size 4096]

Trains on every *.asm file under --corpus and, unless --no-docs, every *.md file (the docs'
prose helps the comments: on held-out asm files it gives slightly fewer tokens per line),
writes tokenizer.json and tokenizer_config.json to --output, and lists the files it read in
corpus.json beside them. Same corpus, same files byte for byte.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from afs.tokenizer import SHIPPED_VOCAB_DIR, ASMTokenizer
from afs.tokenizer.training import DEFAULT_MIN_FREQUENCY, DEFAULT_VOCAB_SIZE, corpus_files

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "data/01_raw/asm")
    parser.add_argument("--output", type=Path, default=SHIPPED_VOCAB_DIR)
    parser.add_argument("--vocab-size", type=int, default=DEFAULT_VOCAB_SIZE)
    parser.add_argument("--min-frequency", type=int, default=DEFAULT_MIN_FREQUENCY)
    parser.add_argument("--no-docs", action="store_true", help="train on *.asm files only")
    args = parser.parse_args()

    files = corpus_files([args.corpus], ("*.asm",) if args.no_docs else ("*.asm", "*.md"))
    tokenizer = ASMTokenizer.train(files, vocab_size=args.vocab_size,
                                   min_frequency=args.min_frequency)
    tokenizer.save_pretrained(args.output)
    corpus = {
        "files": [f.relative_to(args.corpus).as_posix() for f in files],
        "bytes": sum(f.stat().st_size for f in files),
        "vocab_size": tokenizer.vocab_size,
        "requested_vocab_size": args.vocab_size,
        "min_frequency": args.min_frequency,
    }
    (args.output / "corpus.json").write_text(json.dumps(corpus, indent=2) + "\n",
                                             encoding="utf-8")
    print(f"{len(files)} files, {corpus['bytes']} bytes -> {tokenizer.vocab_size} tokens "
          f"-> {args.output}")


if __name__ == "__main__":
    main()
