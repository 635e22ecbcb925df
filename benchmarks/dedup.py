"""Near-duplicate removal side by side: AFS against what a user would pick instead.

    python benchmarks/dedup.py [--rows 1000000] [--quick]
                               [--methods afs,afs-previous,datasketch,rensa,datatrove]
                               [--json PATH]

Needs the ``bench`` extra (``pip install -e .[bench]``: datatrove, datasketch, rensa).

Rows: ``benchmarks/scale.py``'s workload (v1_training, then synthetic samples; 1% exact and
5% near copies, a near copy being an earlier row whose output gets " See also the caller's
notes." appended), built once and written to a temporary folder as Parquet (and as JSONL
for datatrove) before any clock starts. Every method gets the same text per row, the
instruction, input and output joined by newlines (``afs.dedup.config.dedup_text``), and the
same rule where it has the setting: Jaccard >= 0.8 over 5-token shingles, 128 hashes, LSH
with datasketch's choice of 9 bands of 13 rows, seed 42.

- ``afs``: ``deduplicate(frame, DedupConfig())``: exact (normalised) duplicates, then the
  numpy "words" shingles and the fast-similarity sketch, LSH pairs verified, connected
  components, the best member of each cluster kept.
- ``afs-previous``: the same with ``tokens="asm", sketch="permutations"``: the ASM
  tokenizer's BPE ids and 128 permutations (the kept set of before, bit for bit).
- ``datasketch``: whitespace words, 5-word shingles made in Python, ``MinHash.bulk`` (the
  batch API, ``LeanMinHash`` objects), then ``MinHashLSH``: each row is queried and, unless
  it hits an earlier kept row, inserted and kept (the usual streaming pattern).
- ``rensa``: the same shingles, ``RMinHashDeduplicator(threshold=0.8, num_perm=128,
  use_lsh=True).add_pairs``: its Rust R-MinHash, LSH and threshold check.
- ``datatrove``: its four MinHash stages (signatures, buckets, clusters, filter) with
  ``LocalPipelineExecutor(tasks=1, workers=1)`` over the JSONL, ``MinhashConfig(n_grams=5,
  num_buckets=9, hashes_per_bucket=13)``. Its English word tokenizer (and its whitespace
  fallback) is spaCy's, not installed here: a ``WordTokenizer`` that splits on whitespace
  is passed instead, as the others split (spaCy would be slower). Its text normalisation
  (lowercase, punctuation and digits simplified) is its own. The clock includes writing its
  signature, bucket, cluster and output files.

Each method runs in its own child process: seconds (wall, from the rows in memory to the
kept set), rows/s, peak RSS of the child from the clock's start (VmHWM, reset once the rows
are loaded; it includes the loaded rows: a frame for AFS, a list of texts for the others,
nothing for datatrove, which reads its files; the RSS with the rows loaded is in brackets).
Agreement: rows whose keep/drop decision differs from ``afs``'s, and recall of the planted
near copies: a copy counts as found when it and its source are not both kept. Prints a
markdown table.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

METHODS = ("afs", "afs-previous", "datasketch", "rensa", "datatrove")
THRESHOLD, NUM_PERM, SHINGLE, SEED, BANDS, ROWS_PER_BAND = 0.8, 128, 5, 42, 9, 13
SUFFIX = " See also the caller's notes."  # what scale.build_frame appends to a near copy


def write_rows(rows: int, folder: Path, jsonl: bool) -> None:
    """The workload as rows.parquet (the frame), texts.jsonl (datatrove's input, when
    ``jsonl``) and planted.npy (each planted near copy's row and its source's row)."""
    import numpy as np
    import orjson

    from afs.dedup.config import dedup_text
    from scale import build_frame

    frame = build_frame(rows)
    frame.to_parquet(folder / "rows.parquet")
    if jsonl:
        with open(folder / "texts.jsonl", "wb") as handle:
            for row, text in enumerate(dedup_text(frame).tolist()):
                handle.write(orjson.dumps({"id": str(row), "text": text}) + b"\n")
    np.save(folder / "planted.npy", planted_pairs(frame))


def planted_pairs(frame):
    """(copy row, source row) of each planted near copy: same instruction and input, the
    output with the suffix appended; the source is the first such row."""
    import numpy as np
    import pandas as pd

    out = frame["output"].fillna("")
    head = frame["instruction"].fillna("") + "\x1f" + frame["input"].fillna("") + "\x1f"
    copies = np.flatnonzero(out.str.endswith(SUFFIX).to_numpy())
    first = pd.Series(np.arange(len(frame))).groupby((head + out).to_numpy()).min()
    sources = first.reindex((head + out.str.slice(0, -len(SUFFIX))).iloc[copies].to_numpy())
    found = sources.notna().to_numpy()
    return np.stack([copies[found], sources.to_numpy()[found].astype(np.int64)], axis=1)


def status_mib(field: str) -> float:
    """VmRSS or VmHWM (peak) of this process, from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


START: dict[str, float] = {}


def start_clock() -> float:
    """The rows are loaded: note their RSS, restart the peak (Linux's clear_refs 5) so the
    peak is the run's, and start the clock."""
    START["loaded_mib"] = status_mib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")
    return time.perf_counter()


def texts_of(folder: Path) -> list[str]:
    import pandas as pd

    from afs.dedup.config import dedup_text

    return dedup_text(pd.read_parquet(folder / "rows.parquet")).tolist()


def shingle_lists(texts: list[str]) -> list[list[bytes]]:
    """5-word shingles the way a user writes them (a text shorter than 5 words: itself)."""
    result = []
    for text in texts:
        words = text.split()
        grams = {" ".join(words[i: i + SHINGLE]) for i in range(max(len(words) - SHINGLE + 1, 1))}
        result.append([gram.encode() for gram in grams])
    return result


def run_afs(folder: Path, previous: bool):
    import numpy as np
    import pandas as pd

    from afs.dedup.clusters import deduplicate
    from afs.dedup.config import DedupConfig

    frame = pd.read_parquet(folder / "rows.parquet")
    settings = {"tokens": "asm", "sketch": "permutations"} if previous else {}
    config = DedupConfig(threshold=THRESHOLD, num_perm=NUM_PERM, shingle_size=SHINGLE,
                         seed=SEED, **settings)
    started = start_clock()
    result = deduplicate(frame, config)
    seconds = time.perf_counter() - started
    position = pd.Series(np.arange(len(frame)), index=frame["sample_id"].to_numpy())
    return position.loc[result.kept["sample_id"].to_numpy()].to_numpy(), seconds


def run_datasketch(folder: Path):
    from datasketch import MinHash, MinHashLSH

    texts = texts_of(folder)
    started = start_clock()
    sketches = MinHash.bulk(shingle_lists(texts), num_perm=NUM_PERM, seed=SEED)
    index = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    kept = []
    for row, sketch in enumerate(sketches):
        if not index.query(sketch):
            index.insert(row, sketch)
            kept.append(row)
    return kept, time.perf_counter() - started


def run_rensa(folder: Path):
    from rensa import RMinHashDeduplicator

    texts = texts_of(folder)
    started = start_clock()
    shingles = shingle_lists(texts)
    deduplicator = RMinHashDeduplicator(threshold=THRESHOLD, num_perm=NUM_PERM, use_lsh=True)
    keep = deduplicator.add_pairs((str(row), grams) for row, grams in enumerate(shingles))
    return [row for row, flag in enumerate(keep) if flag], time.perf_counter() - started


def run_datatrove(folder: Path):
    import orjson
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.word_tokenizers import WordTokenizer

    class SplitWords(WordTokenizer):
        """Whitespace words (``str.split``), as the other methods get."""

        def word_tokenize(self, text: str) -> list[str]:
            return text.split()

        def sent_tokenize(self, text: str) -> list[str]:
            return [text]

        def span_tokenize(self, text: str) -> list[tuple[int, int]]:
            return [(0, len(text))]

    work = folder / "datatrove"
    config = MinhashConfig(n_grams=SHINGLE, num_buckets=BANDS, hashes_per_bucket=ROWS_PER_BAND,
                           seed=SEED)

    def reader():
        return JsonlReader(str(folder), glob_pattern="texts.jsonl")

    stages = [
        [reader(), MinhashDedupSignature(output_folder=str(work / "signatures"), config=config,
                                         language=SplitWords())],
        [MinhashDedupBuckets(input_folder=str(work / "signatures"),
                             output_folder=str(work / "buckets"), config=config)],
        [MinhashDedupCluster(input_folder=str(work / "buckets"),
                             output_folder=str(work / "remove_ids"), config=config)],
        [reader(), MinhashDedupFilter(input_folder=str(work / "remove_ids")),
         JsonlWriter(str(work / "kept"), compression=None)],
    ]
    started = start_clock()
    for number, pipeline in enumerate(stages):
        tasks = BANDS if number == 1 else 1  # the buckets stage runs one task per band
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1,
                              logging_dir=str(work / f"logs-{number}")).run()
    seconds = time.perf_counter() - started
    kept = [int(orjson.loads(line)["id"]) for path in sorted((work / "kept").glob("*.jsonl"))
            for line in path.read_bytes().splitlines()]
    return kept, seconds


def child(method: str, folder: Path) -> None:
    import numpy as np

    runners = {"afs": lambda: run_afs(folder, False), "afs-previous": lambda: run_afs(folder, True),
               "datasketch": lambda: run_datasketch(folder), "rensa": lambda: run_rensa(folder),
               "datatrove": lambda: run_datatrove(folder)}
    kept, seconds = runners[method]()
    np.save(folder / f"kept-{method}.npy", np.sort(np.asarray(kept, dtype=np.int64)))
    peak = max(status_mib("VmHWM"),
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    (folder / f"report-{method}.json").write_text(json.dumps(
        {"method": method, "seconds": seconds, "peak_rss_mib": peak,
         "loaded_mib": START.get("loaded_mib", float("nan"))}))


def compare(reports: list[dict], folder: Path, rows: int) -> None:
    """Adds kept, differing rows (from afs's kept set) and planted-copy recall."""
    import numpy as np

    planted = np.load(folder / "planted.npy")
    reference = None
    for report in reports:
        kept = np.zeros(rows, dtype=bool)
        kept[np.load(folder / f"kept-{report['method']}.npy")] = True
        reference = kept if reference is None else reference
        report["kept"] = int(kept.sum())
        report["differs"] = int((kept != reference).sum())
        found = ~(kept[planted[:, 0]] & kept[planted[:, 1]])
        report["recall"] = float(found.mean()) if len(found) else float("nan")
        report["planted"] = len(planted)


def table(reports: list[dict], rows: int) -> str:
    lines = [f"{rows:,} rows; differing rows against `{reports[0]['method']}`'s kept set; "
             f"recall of {reports[0]['planted']:,} planted near copies",
             "", "| method | seconds | rows/s | peak RSS (rows loaded) | kept | rows differing | "
             "planted recall |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in reports:
        lines.append(f"| {r['method']} | {r['seconds']:.1f} | {rows / r['seconds']:,.0f} | "
                     f"{r['peak_rss_mib']:,.0f} MiB ({r['loaded_mib']:,.0f}) | {r['kept']:,} | "
                     f"{r['differs']:,} | {r['recall']:.3f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="20,000 rows")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.dir)
        return
    rows = 20_000 if args.quick else args.rows
    methods = [m for m in args.methods.split(",") if m]
    unknown = set(methods) - set(METHODS)
    if unknown or not methods:
        parser.error(f"unknown methods {sorted(unknown)}; choose from {', '.join(METHODS)}")
    with tempfile.TemporaryDirectory(prefix="afs-dedup-bench-") as name:
        folder = Path(name)
        write_rows(rows, folder, "datatrove" in methods)
        reports = []
        for method in methods:
            subprocess.run([sys.executable, __file__, "--child", method, "--dir", str(folder)],
                           check=True)
            reports.append(json.loads((folder / f"report-{method}.json").read_text()))
            print(f"{method}: {reports[-1]['seconds']:.1f} s", file=sys.stderr, flush=True)
        compare(reports, folder, rows)
    if args.json:
        args.json.write_text(json.dumps(reports, indent=2))
    print(table(reports, rows))


if __name__ == "__main__":
    main()
