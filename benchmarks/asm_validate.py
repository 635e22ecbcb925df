"""Lines per second of ``afs.asm.validate`` on one core.

    python benchmarks/asm_validate.py [--lines 200000] [--repeat 3] [--asar]

The input is the project's asm corpus (data/01_raw/asm/**/*.asm), each file wrapped in its own
`namespace` and repeated until the text has about --lines lines, so labels stay unique and
the validator sees real code: labels, macros, structs, defines, tables, comments. Three
inputs: the corpus as is, the same text with every instruction line unique (defeats the
validator's per-instruction cache), and one file per corpus file validated separately (as
`afs asm validate` does). With --asar, the real asar assembling the corpus's main.asm, for
scale. Prints a markdown table (best of --repeat runs).
"""

from __future__ import annotations

import argparse
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "01_raw" / "asm"


def corpus_files() -> list[Path]:
    files = sorted(CORPUS.rglob("*.asm"))
    if not files:
        sys.exit(f"no .asm files under {CORPUS}")
    return files


def repeated_corpus(lines: int) -> str:
    """The corpus's files, each in its own namespace, repeated to about ``lines`` lines."""
    texts = [path.read_text(encoding="utf-8") for path in corpus_files()]
    parts, count, copy = [], 0, 0
    while count < lines:
        for text in texts:
            # macros are global in asar: give each copy its own names
            text = re.sub(r"(macro\s+|%)([A-Za-z0-9_]+)\(", rf"\g<1>\g<2>_{copy}(", text)
            text = re.sub(r"(namespace\s+)(?!off\b|nested\b)(\w+)", rf"\g<1>\g<2>_{copy}", text)
            parts.append(f"namespace Copy{copy}\n{text}\nnamespace off\n")
            count += text.count("\n") + 3
        copy += 1
    return "".join(parts)


def uniquified(text: str) -> str:
    """Every `$hex` operand made different from line to line (cache misses everywhere)."""
    counter = iter(range(10**9))
    return re.sub(r"\$([0-9A-Fa-f]{4})\b", lambda m: f"${(next(counter) % 0xFFFF):04X}", text)


def best_time(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--asar", action="store_true", help="also time a real asar on main.asm")
    args = parser.parse_args()

    from afs.asm import validate

    text = repeated_corpus(args.lines)
    unique = uniquified(text)
    n_lines = text.count("\n")
    rows = []
    for name, source in (("corpus, repeated", text), ("corpus, unique operands", unique)):
        result = validate(source)
        seconds = best_time(lambda s=source: validate(s), args.repeat)
        rows.append((name, n_lines, seconds, len(result.errors)))
    files = [path.read_text(encoding="utf-8") for path in corpus_files()]
    file_lines = sum(t.count("\n") for t in files)
    seconds = best_time(lambda: [validate(t) for t in files], args.repeat)
    rows.append((f"corpus, {len(files)} files one by one", file_lines, seconds,
                 sum(len(validate(t).errors) for t in files)))
    if args.asar and shutil.which("asar") and (CORPUS / "main.asm").exists():
        with tempfile.TemporaryDirectory() as scratch:
            rom = Path(scratch) / "out.sfc"
            main_lines = sum(t.count("\n") for t in files)

            def run_asar() -> None:
                rom.unlink(missing_ok=True)
                subprocess.run(["asar", "--no-title-check", str(CORPUS / "main.asm"), str(rom)],
                               capture_output=True, check=False)

            rows.append(("real asar 1.91, main.asm (all files)", main_lines,
                         best_time(run_asar, args.repeat), None))

    print(f"machine: {platform.processor() or platform.machine()}, Python "
          f"{platform.python_version()}, one process (one core)\n")
    print("| input | lines | seconds | lines/s | errors |")
    print("|---|---:|---:|---:|---:|")
    for name, lines, seconds, errors in rows:
        shown = "" if errors is None else str(errors)
        print(f"| {name} | {lines:,} | {seconds:.3f} | {lines / seconds:,.0f} | {shown} |")


if __name__ == "__main__":
    main()
