"""Embeddings benchmark: index N synthetic documents and run Q queries per provider.

The documents are rebuilt from the repository's own text (the asm corpus, its docs, the
README): each one is a routine or a markdown section (one chunk), with its labels renamed
so no two texts are alike (the index reuses vectors of identical chunk texts, which would
flatter it). Queries are phrases cut from random documents. Prints a markdown table of index
documents/s and query p50/p95 latency for ``none`` (keyword) and ``hf`` (vector, hybrid).

    .venv/bin/python benchmarks/embeddings.py                 # 10,000 docs, 1,000 queries
    .venv/bin/python benchmarks/embeddings.py --docs 500 --queries 100 --providers none
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from afs.embeddings import chunk_document, index_directory, make_provider, open_index

REPO = Path(__file__).resolve().parents[1]
SOURCES = [REPO / "README.md", REPO / "docs", REPO / "data" / "01_raw" / "asm",
           REPO / "data" / "01_raw" / "context" / "memory" / "notes"]
LABEL = re.compile(r"\b([A-Z][A-Za-z0-9]*_[A-Za-z0-9_]+)\b")


def base_units() -> list[tuple[str, str]]:
    """(kind suffix, text) of every routine and section of the repository's own documents."""
    units = []
    for source in SOURCES:
        files = [source] if source.is_file() else sorted(
            p for p in source.rglob("*") if p.suffix in {".md", ".asm"})
        for path in files:
            for chunk in chunk_document(path.name, path.read_text(encoding="utf-8")):
                body = chunk.text.removeprefix(f"{chunk.title}\n\n") if chunk.title else chunk.text
                if 80 <= len(body) <= 700:
                    units.append((path.suffix, body))
    return units


def write_corpus(folder: Path, n: int, seed: int = 0) -> list[str]:
    """``n`` documents under ``folder`` (100 per subfolder); returns their texts."""
    rng = random.Random(seed)
    units = base_units()
    texts = []
    for i in range(n):
        suffix, unit = rng.choice(units)
        text = LABEL.sub(lambda m, i=i: f"{m.group(1)}{i}", unit)
        header = f"; module {i}" if suffix == ".asm" else f"# Module {i}\n"
        path = folder / f"part{i // 100:03d}" / f"doc{i:05d}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{header}\n{text}\n", encoding="utf-8")
        texts.append(text)
    return texts


def make_queries(texts: list[str], n: int, seed: int = 1) -> list[str]:
    """Phrases of 3 to 7 words from random documents."""
    rng = random.Random(seed)
    queries = []
    while len(queries) < n:
        words = re.findall(r"[A-Za-z][A-Za-z0-9_']+", rng.choice(texts))
        if len(words) >= 8:
            start = rng.randrange(len(words) - 7)
            queries.append(" ".join(words[start:start + rng.randint(3, 7)]))
    return queries


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def time_queries(store: Path, queries: list[str], mode: str) -> tuple[float, float, float]:
    """(first query ms, p50 ms, p95 ms); the first query builds the FAISS index."""
    with open_index(store) as searcher:
        start = time.perf_counter()
        searcher.search(queries[0], 5, mode)
        first = (time.perf_counter() - start) * 1000
        latencies = []
        for query in queries:
            start = time.perf_counter()
            searcher.search(query, 5, mode)
            latencies.append((time.perf_counter() - start) * 1000)
    return first, percentile(latencies, 50), percentile(latencies, 95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--providers", nargs="+", default=["none", "hf"])
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        texts = write_corpus(corpus, args.docs)
        queries = make_queries(texts, args.queries)
        print(f"{args.docs} documents, {args.queries} queries (k=5); machine: "
              f"{os.cpu_count()} CPU cores; uptime before: {uptime()}\n")
        print("| provider | mode | docs | chunks | index s | docs/s | first query ms "
              "| p50 ms | p95 ms |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|", flush=True)
        for name in args.providers:
            store = Path(tmp) / f"{name}.sqlite"
            report = index_directory(corpus, store, make_provider(name), progress=True)
            for mode in ["keyword"] if name == "none" else ["vector", "hybrid"]:
                first, p50, p95 = time_queries(store, queries, mode)
                print(f"| {name} | {mode} | {report.files} | {report.chunks} "
                      f"| {report.seconds:.1f} | {report.files / report.seconds:.1f} "
                      f"| {first:.1f} | {p50:.2f} | {p95:.2f} |", flush=True)
    print(f"\nuptime after: {uptime()}")


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


if __name__ == "__main__":
    main()
