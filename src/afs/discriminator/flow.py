"""Data flow between the lines of a snippet, so that a corruption can be a mistake a reader
sees in the snippet itself (a value used but no longer made, a store before its load) rather
than a change that leaves equally good code (two independent loads swapped, ``BEQ`` for
``BNE``), which no model could tell from the real thing.

Lines are described by their instruction statements as ``(line index, mnemonic, operand,
labelled)``; a line's effects are those of all its statements (``afs.asm.effects``), and a
line that defines a label is a barrier: moving it moves a branch target.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from afs.asm.effects import BARRIER, FLAGS, Effects, depends, effects



def line_effects(parsed: Iterable[tuple[int, str, str, bool]]) -> dict[int, Effects]:
    """Effects of each instruction line, keyed by line index."""
    found: dict[int, tuple[set[str], set[str]]] = {}
    for index, mnemonic, operand, labelled in parsed:
        reads, writes = found.setdefault(index, (set(), set()))
        effect = effects(mnemonic, operand)
        reads |= effect.reads | ({BARRIER} if labelled else set())
        writes |= effect.writes
    return {index: Effects(frozenset(r), frozenset(w)) for index, (r, w) in found.items()}


def breaks_dependency(order: Sequence[int], lines: dict[int, Effects]) -> bool:
    """Whether ``order`` (a permutation of ascending line indexes) puts some line before an
    earlier line it depends on."""
    return any(later < earlier and depends(lines[later], lines[earlier])
               for position, earlier in enumerate(order) for later in order[position + 1:])


def fed_resources(lines: dict[int, Effects], index: int) -> frozenset[str]:
    """What line ``index`` writes (flags aside) that a later line of the snippet reads before
    anything writes it again: the values the rest of the snippet takes from this line."""
    fed: set[str] = set()
    pending = set(lines[index].writes - FLAGS - {BARRIER})  # values, not the flags
    for later in sorted(i for i in lines if i > index):
        if lines[later].barrier:
            break
        fed |= pending & lines[later].reads
        pending -= lines[later].writes
    return frozenset(fed)


def starves(fed: frozenset[str], replacement: Effects, flips_width: bool = False) -> bool:
    """Whether a replacement line no longer gives the rest of the snippet what the original
    fed it (``fed_resources``): a value it no longer writes, or (``flips_width``, REP for SEP)
    the register widths set the other way."""
    return bool(fed - replacement.writes) or (flips_width and "W" in fed)
