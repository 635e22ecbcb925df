"""Deterministic synthetic 65816 samples: shipped example data, tests and benchmarks.

`synthetic_samples(n, seed)` returns a canonical sample frame of asar-flavoured records in
five domains (routines of 3-25 lines with labels, `LDA.b $F0`, `STA.w $0DD0,X`, `JSL ...`,
`REP #$20`, comments, RTS/RTL; explanations; WRAM notes; commit summaries; doc headers).

It is built for volume: random choices are drawn as numpy arrays up front, and text comes
from small pre-rendered pools joined in bulk, so a million samples take seconds. Every
sample names a unique ROM address (from ``start + row``), so sample ids never collide within
a call, nor across calls whose ``start`` ranges do not overlap.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from afs.samples.frame import FRAME_COLUMNS, normalize_frame
from afs.samples.model import compute_sample_id

DOMAINS = ("asm", "oracle", "memory", "history", "docs")
SOURCES = ("oracle_of_secrets", "usdasm_disassembly", "agent_memory")
MIN_ROUTINE_LINES, MAX_ROUTINE_LINES = 3, 25
_CHUNK_ROWS = 100_000

_PREFIXES = ("Link", "Sprite", "Ancilla", "Overworld", "Dungeon", "Menu", "Boss_Kydrog",
             "Minecart", "ZoraPrincess", "HUD")
_ACTIONS = {
    "HandleSword": "handles the sword swing and spawns the slash hitbox",
    "Move": "moves the object by its X/Y velocity",
    "CheckDamage": "checks contact damage against Link and applies knockback",
    "SpawnItem": "spawns a collectible item at the object's position",
    "UpdateTiles": "rewrites the tilemap buffer after a state change",
    "Draw": "queues the OAM entries for the current animation frame",
    "LoadGfx": "DMA-transfers a graphics sheet into VRAM",
    "PlaySfx": "queues a sound effect on the SPC700 port",
    "TickTimer": "decrements the object's timer and advances its state when it expires",
    "InitState": "clears the state tables for a freshly spawned object",
    "CheckCollision": "tests the object's hitbox against the tile collision map",
    "ApplyGravity": "adds gravity to the vertical velocity and clamps it",
}
# (operand, addressing suffix, what the variable holds)
_RAM = (
    ("$0DD0", ",X", "the sprite state (0 = dead, 9 = active)"),
    ("$0D80", ",X", "the sprite's AI sub-state"),
    ("$0E20", ",X", "the sprite type id"),
    ("$0DF0", ",X", "the main per-sprite timer"),
    ("$0F50", ",X", "the sprite's OAM property bits"),
    ("$0B08", "", "the ancilla slot being processed"),
    ("$F0", "", "the joypad 1 new-press mask"),
    ("$10", "", "the main game module index"),
    ("$20", "", "Link's Y coordinate (low byte)"),
    ("$22", "", "Link's X coordinate (low byte)"),
    ("$7EF36C", "", "Link's maximum health (hearts x 8)"),
    ("$7EF340", "", "the equipped bow"),
)
_THINKING_REASONS = (
    "The table index lives in X, so the ,X addressing walks the per-sprite slots",
    "A must be 16-bit for the coordinate maths, and 8-bit again before the table writes",
    "The data bank is switched with PHB : PHK : PLB so .w operands read this bank's tables",
    "The timer reaching zero is the only exit condition, so the branch skips to .return",
)
_RETURN_REASONS = {
    "RTS": "Its callers use JSR from the same bank, so RTS is enough.",
    "RTL": "It is called with JSL from other banks, so it has to return with RTL.",
}


def _operand_width(operand: str) -> str:
    """asar length suffix for an operand: .b direct page, .w absolute, .l long."""
    return {3: ".b", 5: ".w", 7: ".l"}[len(operand)]


def _instruction_pool(rng: np.random.Generator, labels: Sequence[str]) -> list[str]:
    """Pre-rendered body lines (instruction, often with a comment) to draw routines from."""
    lines = ["REP #$20  ; 16-bit A", "SEP #$20  ; 8-bit A", "SEP #$30  ; 8-bit A, X, Y",
             "REP #$30", "PHB : PHK : PLB", "PLB", "TAX", "TAY", "ASL A", "LSR A", "XBA",
             "; wait for the next frame before touching the state again"]
    for operand, index, meaning in _RAM:
        width = _operand_width(operand)
        short = meaning.split(" (")[0]
        for op in ("LDA", "STA", "INC", "STZ"):
            if op in ("INC", "STZ") and width == ".l":
                continue  # no long addressing mode for these
            lines.append(f"{op}{width} {operand}{index}  ; {short}")
    for value in rng.integers(0, 256, size=24):
        op = rng.choice(["LDA", "CMP", "AND", "ORA", "LDY", "CLC : ADC", "SEC : SBC"])
        lines.append(f"{op} #${value:02X}")
    lines += [f"{op} .return" for op in ("BEQ", "BNE", "BCS", "BMI")]
    lines += [f"{op} {label}" for label in rng.choice(labels, size=16) for op in ("JSL", "JSR")]
    return ["  " + line for line in lines]


def _body_picks(rng: np.random.Generator, n: int, pool: list[str]):
    """Pool indices of each routine's body, its instruction count, and whether it branches.

    A routine has ``T - 2`` body slots (T = 3..25 lines with label and return). One that
    branches before its last slot spends that slot on the ``.return`` label; in one that does
    not, a branch in the last slot would have no target, so that slot gets a plain line.
    """
    slots = rng.integers(MIN_ROUTINE_LINES, MAX_ROUTINE_LINES + 1, size=n) - 2
    picks = rng.integers(0, len(pool), size=(n, MAX_ROUTINE_LINES - 2), dtype=np.uint16)
    is_branch = np.array([".return" in line for line in pool])
    before_last = np.arange(picks.shape[1]) < (slots - 1)[:, None]
    branches = (is_branch[picks] & before_last).any(axis=1)
    rows, last = np.arange(n), slots - 1
    lone = ~branches & is_branch[picks[rows, last]]
    picks[rows[lone], last[lone]] = rng.choice(np.flatnonzero(~is_branch), size=int(lone.sum()))
    return picks, slots - branches, branches


def _routines(
    rng: np.random.Generator, n: int, labels: np.ndarray, addresses: list[str],
    returns: np.ndarray, pool: list[str],
) -> list[str]:
    """`n` routines of 3-25 lines: a label, body lines from ``pool``, RTS/RTL."""
    picks, lengths, branches = _body_picks(rng, n, pool)
    pool_array = np.array(pool, dtype=object)
    routines: list[str] = []
    for start in range(0, n, _CHUNK_ROWS):  # bounds the memory of the line matrix
        stop = min(start + _CHUNK_ROWS, n)
        rows = pool_array[picks[start:stop]].tolist()
        for k, row, length, branch in zip(range(start, stop), rows, lengths[start:stop].tolist(),
                                          branches[start:stop].tolist(), strict=True):
            tail = ".return\n  " if branch else "  "
            routines.append(f"{labels[k]}:  ; {addresses[k]}\n" + "\n".join(row[:length])
                            + f"\n{tail}{returns[k]}")
    return routines


def _snes_addresses(start: int, n: int) -> list[str]:
    """Unique LoROM code addresses ($BB:8000-$BB:FFFF) for rows start..start+n-1."""
    index = np.arange(start, start + n, dtype=np.int64) % (0xE0 * 0x8000)
    bank = 0x20 + (index >> 15)
    offset = 0x8000 | (index & 0x7FFF)
    return [f"${b:02X}{o:04X}" for b, o in zip(bank.tolist(), offset.tolist(), strict=True)]


def _domain_texts(domain: str, label: str, address: str, purpose: str, code: str,
                  ram: tuple[str, str, str], commit: str) -> tuple[str, str, str]:
    """(instruction, input, output) of one sample in ``domain``."""
    operand, index, meaning = ram
    if domain == "asm":
        return (f"Write a 65816 routine `{label}` at {address} that {purpose}.", "", code)
    if domain == "oracle":
        return (f"Explain what `{label}` does in Oracle of Secrets.", code,
                f"`{label}` (at {address}) {purpose}. It reads {operand}{index}, "
                f"which holds {meaning}, and returns to its caller when done.")
    if domain == "memory":
        return (f"What does `{label}` ({address}) keep in {operand}?", "",
                f"{operand}{index} holds {meaning}. `{label}` updates it with "
                f"`STA{_operand_width(operand)} {operand}{index}` after it {purpose}.")
    if domain == "history":
        return (f"Summarise commit {commit} to `{label}` ({address}).",
                f"- LDA{_operand_width(operand)} {operand}{index}\n+ JSL {label}_Helper",
                f"The routine at {address} now calls `{label}_Helper` instead of reading "
                f"{operand} directly, so it {purpose} in one place.")
    return (f"Write a documentation header for `{label}`.", code,
            f";; {label} ({address})\n;; {purpose[0].upper()}{purpose[1:]}.\n;; Uses {operand}: {meaning}.")


def synthetic_samples(
    n: int,
    seed: int = 0,
    domains: Sequence[str] = DOMAINS,
    sources: Sequence[str] = SOURCES,
    start: int = 0,
    thinking_ratio: float = 0.3,
    metadata_ratio: float = 0.4,
) -> pd.DataFrame:
    """A canonical sample frame of ``n`` deterministic synthetic samples.

    ``domains`` and ``sources`` are drawn uniformly per row; quality scores follow a
    Beta(5, 2) (mostly good, some poor). ``start`` offsets the unique ROM address each row
    names, so files made with disjoint ranges share no sample ids.
    """
    rng = np.random.default_rng(seed)
    label_names = np.array([f"{p}_{a}" for p in _PREFIXES for a in _ACTIONS], dtype=object)
    purposes = np.array([_ACTIONS[a] for _ in _PREFIXES for a in _ACTIONS], dtype=object)
    label_ids = rng.integers(0, len(label_names), size=n)
    labels = label_names[label_ids]
    addresses = _snes_addresses(start, n)
    returns = rng.choice(np.array(["RTS", "RTL"], dtype=object), size=n)
    pool = _instruction_pool(rng, label_names.tolist())
    code = _routines(rng, n, labels, addresses, returns, pool)
    domain_of = np.asarray(domains, dtype=object)[rng.integers(0, len(domains), size=n)]
    ram_of = rng.integers(0, len(_RAM), size=n).tolist()
    commits = rng.integers(0, 1 << 28, size=n).tolist()
    texts = [
        _domain_texts(d, lab, addr, purpose, routine, _RAM[r], f"{c:07x}")
        for d, lab, addr, purpose, routine, r, c in zip(
            domain_of.tolist(), labels.tolist(), addresses, purposes[label_ids].tolist(),
            code, ram_of, commits, strict=True)
    ]
    frame = pd.DataFrame(texts, columns=["instruction", "input", "output"])
    # hash the Python strings before pandas turns them into Arrow text (3x slower to iterate)
    frame["sample_id"] = [compute_sample_id(*text) for text in texts]
    frame["thinking"] = _thinking(rng, n, thinking_ratio, returns)
    frame["domain"] = domain_of
    frame["source"] = np.asarray(sources, dtype=object)[rng.integers(0, len(sources), size=n)]
    frame["quality_score"] = rng.beta(5.0, 2.0, size=n).round(3)
    frame["_metadata"] = _metadata(rng, n, metadata_ratio, labels)
    frame["_extra"] = None
    return normalize_frame(frame[list(FRAME_COLUMNS)])


def _thinking(rng: np.random.Generator, n: int, ratio: float, returns: np.ndarray) -> list:
    """Reasoning text for about ``ratio`` of rows (None elsewhere)."""
    chosen = rng.random(n) < ratio
    reasons = rng.integers(0, len(_THINKING_REASONS), size=n).tolist()
    return [f"{_THINKING_REASONS[r]}. {_RETURN_REASONS[ret]}" if keep else None
            for keep, r, ret in zip(chosen.tolist(), reasons, returns.tolist(), strict=True)]


def _metadata(rng: np.random.Generator, n: int, ratio: float, labels: np.ndarray) -> list:
    """`_metadata` JSON text (source file and line) for about ``ratio`` of rows."""
    chosen = rng.random(n) < ratio
    lines = rng.integers(1, 4000, size=n).tolist()
    return [f'{{"file":"{label.split("_")[0]}/{label}.asm","line":{line}}}' if keep else None
            for keep, label, line in zip(chosen.tolist(), labels.tolist(), lines, strict=True)]
