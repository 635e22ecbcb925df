"""Speed and memory of ``OracleTrainingGenerator`` over a large synthetic asar tree.

    python benchmarks/generation.py [--files 2000] [--routines 15] [--seed 0] [--keep]

Builds a deterministic Oracle-of-Secrets-shaped tree in a temporary folder: Core/ram.asm (a
symbol file), Core/macros.asm and Core/structs.asm, then --files code files spread over
Sprites/, Items/, Dungeons/, Overworld/ and Menu/, each holding --routines routines (header
comment, `{ }` body, loads and stores to RAM symbols and raw addresses, REP/SEP, local labels,
branches, JSL/JSR, macro calls, RTS/RTL), plus a few markdown docs. With the defaults the tree
has about a million lines. The generator runs over it in a child process, which reports its
time and its peak RSS (``resource.getrusage``, so the tree building does not count) and the
peak of the Python heap (tracemalloc, in a second run). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import subprocess
import sys
import tempfile
from pathlib import Path

AREAS = ("Sprites", "Items", "Dungeons", "Overworld", "Menu")
RAM = [("GameMode", 0x7E0010, "Main module index"), ("SubMode", 0x7E0011, "Submodule index"),
       ("FrameCounter", 0x7E001A, "Frame counter"), ("LinkY", 0x7E0020, "Link's Y coordinate"),
       ("LinkX", 0x7E0022, "Link's X coordinate"), ("SprYLo", 0x7E0D00, "Sprite Y, low"),
       ("SprXLo", 0x7E0D10, "Sprite X, low"), ("SprAction", 0x7E0D80, "Sprite AI state"),
       ("SprState", 0x7E0DD0, "Sprite slot state"), ("SprTimerA", 0x7E0DF0, "Sprite timer"),
       ("Rupees", 0x7EF360, "Rupee count"), ("MaxHealth", 0x7EF36C, "Maximum health")]
VERBS = ("Update", "Draw", "Check", "Spawn", "Move", "Reset", "Apply", "Handle", "Load", "Tick")
NOUNS = ("State", "Timer", "Speed", "Tiles", "Palette", "Hitbox", "Reward", "Counter", "Gfx")
CHILD = """
import json, resource, sys, time, tracemalloc
from afs.oracle.training_generator import OracleTrainingGenerator
root, mode = sys.argv[1], sys.argv[2]
if mode == "traced":
    tracemalloc.start()
start = time.perf_counter()
generator = OracleTrainingGenerator(root)
count = 0
kept = []
for sample in generator.generate():
    count += 1
    if mode == "redact":
        kept.append(sample)
seconds = time.perf_counter() - start
redact_seconds = None
if mode == "redact":  # what data_generation adds: every sample through the redaction gate
    from afs.secrets.gate import redact_samples
    start = time.perf_counter()
    redacted = sum(1 for _ in redact_samples(kept))
    redact_seconds = time.perf_counter() - start
peak_heap = tracemalloc.get_traced_memory()[1] if mode == "traced" else None
print(json.dumps({"samples": count, "seconds": seconds, "skipped": len(generator.skipped),
                  "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "peak_heap": peak_heap, "redact_seconds": redact_seconds}))
"""


def symbol_file() -> str:
    lines = ["; Core/ram.asm - RAM symbols", ""]
    for name, address, description in RAM:
        lines += [f"; {description}.", f"{name} = ${address:06X}", ""]
    return "\n".join(lines)


def macro_file() -> str:
    return ("; 16-bit accumulator.\nmacro SetA16()\n  REP #$20\nendmacro\n\n"
            "; 8-bit accumulator.\nmacro SetA8()\n  SEP #$20\nendmacro\n\n"
            "; Queue sound `id` on channel 3.\nmacro PlaySFX(id)\n  LDA.b #<id> : STA.w $012F\n"
            "endmacro\n")


def struct_file() -> str:
    return ("; One OAM entry.\nstruct OamEntry $0800\n  .XPos: skip 1 ; screen X\n"
            "  .YPos: skip 1 ; screen Y\n  .Tile: skip 1 ; tile\n  .Attr: skip 1 ; flags\n"
            "endstruct\n")


def routine(rng: random.Random, name: str, callees: list[str]) -> list[str]:
    """One plausible routine (about 40 lines) with a header comment."""
    symbol, _, what = rng.choice(RAM)
    long = rng.random() < 0.5
    lines = ["; " + "-" * 60, f"; {name}",
             f"; {rng.choice(VERBS)} the {rng.choice(NOUNS).lower()} of the object in slot X",
             f"; using {what.lower()} ({symbol}). Expects 8-bit A/X/Y.", "; " + "-" * 60,
             f"{name}:", "{"]
    if long:
        lines.append("  PHB : PHK : PLB")
    for step in range(rng.randint(6, 10)):
        ram_name, address, _ = rng.choice(RAM)
        index = ", X" if address & 0xFF00 == 0x0D00 else ""
        width = ".b" if address & 0xFFFF < 0x100 else ".w" if address < 0x7E2000 else ".l"
        choice = rng.randrange(6)
        if choice == 0:
            lines += ["  REP #$20", f"  LDA{width} {ram_name}{index} : CLC : ADC.w #${rng.randrange(1, 256):04X}",
                      f"  STA{width} {ram_name}{index}", "  SEP #$20"]
        elif choice == 1:
            lines += [f"  LDA.b ${rng.randrange(0, 16):02X} : STA.w ${address & 0xFFFF:04X}{index}"
                      f"         ; copy the scratch value"]
        elif choice == 2:
            lines += [f"  JSL {rng.choice(callees)}"]
        elif choice == 3:
            lines += [f"  LDA{width} {ram_name}{index} : BEQ .skip{step}",
                      f"    DEC{width if width != '.l' else '.w'} ${address & 0xFFFF:04X}{index}",
                      f".skip{step}"]
        elif choice == 4:
            lines += ["  %SetA16()", f"  LDA.w #${rng.randrange(0, 0x10000):04X}",
                      "  STA.b $00", "  %SetA8()"]
        else:
            lines += ["  ; wait until the timer runs out before moving on",
                      f"  LDA.w SprTimerA, X : BNE +", "    INC.w SprAction, X", "  +"]
    if long:
        lines.append("  PLB")
    lines += ["  RTL" if long else "  RTS", "}", ""]
    return lines


def build_tree(root: Path, files: int, routines: int, seed: int) -> int:
    """Write the tree; returns its number of lines."""
    rng = random.Random(seed)
    (root / "Core").mkdir(parents=True)
    (root / "Docs").mkdir()
    texts = {"Core/ram.asm": symbol_file(), "Core/macros.asm": macro_file(),
             "Core/structs.asm": struct_file()}
    for area in AREAS:
        (root / area).mkdir()
    for number in range(files):
        area = AREAS[number % len(AREAS)]
        prefix = f"{area[:-1]}{number:04d}"
        names = [f"{prefix}_{rng.choice(VERBS)}{rng.choice(NOUNS)}{k}" for k in range(routines)]
        callees = [f"{AREAS[(number + 1) % len(AREAS)][:-1]}{(number + 1) % files:04d}_Main",
                   "Sprite_DrawMultiple", "JumpTableLocal"]
        body = [f"; {area}/{prefix.lower()}.asm - generated module {number}", ""]
        for name in names:
            body += routine(rng, name, callees)
        texts[f"{area}/{prefix.lower()}.asm"] = "\n".join(body)
    for number in range(5):
        texts[f"Docs/topic{number}.md"] = (
            f"# Topic {number}\n\nThis page describes part {number} of the hack in a few "
            "sentences so that the docs samples have text to work with.\n\n## Table\n\n"
            "| Name | Use |\n| --- | --- |\n| `GameMode` | module index |\n| `SubMode` | submodule |\n")
    lines = 0
    for relative, text in texts.items():
        (root / relative).write_text(text, encoding="utf-8")
        lines += text.count("\n") + 1
    return lines


def run_child(root: Path, mode: str) -> dict:
    """mode: plain (time, RSS), traced (Python heap) or redact (time of the redaction gate)."""
    result = subprocess.run([sys.executable, "-c", CHILD, str(root), mode],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--routines", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the tree (prints its path)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="afs-generation-")
    root = Path(folder) / "tree"
    lines = build_tree(root, args.files, args.routines, args.seed)
    plain = run_child(root, "plain")
    traced = run_child(root, "traced")
    redact = run_child(root, "redact")
    if args.keep:
        print(f"tree: {root}")
    else:
        import shutil
        shutil.rmtree(folder)
    files = args.files + 8
    print(f"Python {platform.python_version()}, {platform.machine()}\n")
    print("| files | lines | samples | seconds | lines/s | peak RSS | peak Python heap "
          "| redaction s | redacted samples/s |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {files:,} | {lines:,} | {plain['samples']:,} | {plain['seconds']:.1f} | "
          f"{lines / plain['seconds']:,.0f} | {plain['max_rss_kb'] / 1024:,.0f} MiB | "
          f"{traced['peak_heap'] / 2**20:,.1f} MiB | {redact['redact_seconds']:.1f} | "
          f"{redact['samples'] / redact['redact_seconds']:,.0f} |")


if __name__ == "__main__":
    main()
