"""How many samples a rebalance takes from each group, and why.

The weights say each group's share of the mix. A group too small for its share (*scarce*: it
holds fewer than ``scarce_below`` of its share) gives all it has, or is repeated up to its share
when oversampling is allowed, and does not shrink the others: without it, 13 memory samples at
weight 0.03 would cap a mix of 20,000 real samples at 433. The other groups follow the weights
exactly among themselves, as many as the scarcest of them allows (or as ``total`` asks).
``scarce_below=0`` restores the strict mix, in which the scarcest group sizes the whole mix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from afs.curation.choices import SCARCE_BELOW
from afs.curation.ratios import check_ratio, largest_remainder
from afs.errors import AfsError, ConfigError

__all__ = ["SCARCE_BELOW", "EmptyRebalanceError", "RebalancePlan", "plan_rebalance"]


class EmptyRebalanceError(AfsError, ValueError):
    """Rebalancing would keep no sample; the message names the group that emptied and why."""


@dataclass(frozen=True)
class RebalancePlan:
    """Per weighted group: its weight asked, the samples it had after the filters and the
    samples taken (more than it had: repeats); which groups were scarce, which got the one
    sample their share rounded away (``rounded_up``). ``notes`` say how the plan followed the
    rules (a scarce group taken whole, the group that sizes the mix: logged as information);
    ``warnings`` what the user must act on (a weighted group with no sample at all)."""

    weights: dict[str, float]
    available: dict[str, int]
    taken: dict[str, int]
    scarce: tuple[str, ...] = ()
    rounded_up: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return sum(self.taken.values())

    def asked_shares(self) -> dict[str, float]:
        """The weights as shares of the mix (they are relative: 4/3/3 is 0.4/0.3/0.3)."""
        whole = sum(self.weights.values())
        return {name: round(weight / whole, 4) for name, weight in self.weights.items()}

    def effective_weights(self) -> dict[str, float]:
        """Each group's share of the mix as taken."""
        total = self.total
        return {name: round(n / total, 4) if total else 0.0 for name, n in self.taken.items()}

    def summary(self) -> dict[str, Any]:
        """JSON-ready: shares asked and got, samples available and taken, scarce groups, notes
        and warnings."""
        return {"weights": self.asked_shares(), "effective_weights": self.effective_weights(),
                "available": dict(self.available), "taken": dict(self.taken),
                "scarce": list(self.scarce), "rounded_up": list(self.rounded_up),
                "notes": list(self.notes), "warnings": list(self.warnings)}

    def describe_weights(self) -> str:
        """``oracle 0.65 -> 0.666, memory 0.03 -> 0.015 (scarce: all 13)``: asked -> got."""
        got = self.effective_weights()
        parts = []
        for name, asked in self.asked_shares().items():
            text = f"{name} {asked:.3g} -> {got[name]:.3g}"
            if name in self.scarce:
                have, taken = self.available[name], self.taken[name]
                text += f" (scarce: {taken} from {have})" if taken > have else \
                    f" (scarce: all {have})"
            parts.append(text)
        return ", ".join(parts)


def _largest_fitting(have: np.ndarray, share: np.ndarray, allocate: np.ndarray,
                     fit: np.ndarray) -> np.ndarray:
    """Counts for the ``allocate`` groups, proportional to ``share``, as many as the ``fit``
    groups hold without a repeat (the others may need repeats); 0 for the rest."""
    counts = np.zeros(len(have), dtype=np.int64)
    level = float(np.min(have[fit] / share[fit]))  # samples per unit of weight
    total = int(np.floor(level * share[allocate].sum() + 1e-9))
    while total > 0:
        counts[allocate] = largest_remainder(total, share[allocate])
        if not np.any(counts[fit] > have[fit]):
            break
        total -= 1  # rounding can ask one more than a group has
    else:
        counts[:] = 0
    return counts


def _counts_for_total(names: list[str], have: np.ndarray, share: np.ndarray, total: int,
                      allow_oversample: bool, strict: bool) -> tuple[np.ndarray, np.ndarray]:
    """(counts, scarce) for ``total`` samples: by weight with repeats (``allow_oversample``);
    else each group short of its share gives all it has and the others share the rest by
    weight (``strict``: a ConfigError names the first group short)."""
    scarce = np.zeros(len(have), dtype=bool)
    if allow_oversample:
        counts = np.zeros(len(have), dtype=np.int64)
        counts[have > 0] = largest_remainder(total, share[have > 0])
        return counts, (counts > have) | (have == 0)
    if total > have.sum():
        held = ", ".join(f"{n} {h}" for n, h in zip(names, have))
        raise ConfigError(f"total {total} is more than the {have.sum()} samples available "
                          f"({held}); lower the total or pass allow_oversample")
    while True:  # each pass makes at least one more group scarce, or ends
        counts = np.where(scarce, have, 0)
        counts[~scarce] = largest_remainder(int(total - counts.sum()), share[~scarce])
        short = counts > have
        if not short.any():
            return counts, scarce
        if strict:
            name = names[int(np.argmax(short))]
            raise ConfigError(f"total {total} needs {counts[short][0]} samples from group "
                              f"'{name}', which has {have[short][0]}; lower the total, pass "
                              "allow_oversample, or let scarce groups give what they have "
                              "(scarce_below > 0)")
        scarce |= short


def _at_least_one_each(names: list[str], counts: np.ndarray, have: np.ndarray,
                       total: int | None) -> list[int]:
    """No group with a weight and samples is rounded away: it gets one sample (added to the
    mix, or with ``total`` given taken from the group that has most). Returns those groups."""
    rounded = [int(i) for i in np.flatnonzero((counts == 0) & (have > 0))]
    for index in rounded:
        if total is not None:
            donor = int(np.argmax(counts))
            if counts[donor] <= 1:
                raise ConfigError(f"total {total} is smaller than the {int((have > 0).sum())} "
                                  "groups with a weight and samples: each needs at least one")
            counts[donor] -= 1
        counts[index] = 1
    return rounded


def check_no_group_empty(available: Mapping[str, int], weights: Mapping[str, float],
                         describe: Callable[[str], str]) -> None:
    """EmptyRebalanceError naming each weighted group without a sample left, and why."""
    empty = [n for n in sorted(weights) if available.get(n, 0) == 0]
    if empty:
        groups = "; ".join(f"group '{n}' (weight {weights[n]:g}) {describe(n)}" for n in empty)
        raise EmptyRebalanceError(
            f"rebalance keeps no sample: {groups}; every group with a weight must give its "
            "share, so the mix is empty. Lower min_quality_score, score the group's data, or "
            "drop its weight")


def _scarce_notes(names: list[str], have: np.ndarray, share: np.ndarray, counts: np.ndarray,
                  scarce: np.ndarray, why: Callable[[int], str], options: str,
                  describe: Callable[[str], str]) -> list[str]:
    """One note per scarce group that has samples: what it has, why it is scarce
    (``why(index)``), what the mix took of it, and the ``options`` that would take it
    otherwise."""
    notes = []
    total = counts.sum()
    for index in np.flatnonzero(scarce & (have > 0)):
        name, held, taken = names[index], int(have[index]), int(counts[index])
        head = (f"rebalance: group '{name}' (weight {share[index]:g}) {describe(name)}, "
                f"{why(index)}, so it is scarce")
        if taken > held:
            notes.append(f"{head}: its {held} samples are repeated to {taken} (allow_oversample),"
                         " its share of the mix")
        else:
            notes.append(f"{head}: all {held} are taken ({taken / total:.3g} of the mix) and the "
                         f"other groups are not capped by it ({options})")
    return notes


def _empty_group_warnings(names: list[str], have: np.ndarray, share: np.ndarray,
                          describe: Callable[[str], str]) -> list[str]:
    """One warning per weighted group without a sample: its weight asks for data the input
    does not hold (a source that made nothing, filters that emptied it, a misspelt name)."""
    return [f"rebalance: group '{names[index]}' (weight {share[index]:g}) "
            f"{describe(names[index])}: the mix has none of it, and the other groups are not "
            "capped by it" for index in np.flatnonzero(have == 0)]


def _cap_note(names: list[str], have: np.ndarray, share: np.ndarray, counts: np.ndarray,
              scarce: np.ndarray, describe: Callable[[str], str]) -> list[str]:
    """The group(s) that set the mix's size (the fewest samples for their weight of the groups
    that are not scarce), when the others lose samples to it."""
    capped = int((have - counts).clip(min=0).sum())
    if not capped:
        return []
    ratio = np.where(scarce, np.inf, have / share)
    limiting = np.flatnonzero(ratio <= ratio.min() * (1 + 1e-9))
    among = " of the groups that are not scarce" if scarce.any() else ""
    return [f"rebalance: group '{names[i]}' (weight {share[i]:g}) caps the mix: it "
            f"{describe(names[i])}, the fewest for its weight{among} (its share of the "
            f"{have.sum()} samples available is {share[i] / share.sum() * have.sum():.0f}); so "
            f"the mix holds {counts.sum()} samples and {capped} samples of the other groups are "
            "left out (rebalance_cap)"
            for i in limiting]


def _counts_without_total(have: np.ndarray, share: np.ndarray, fair: np.ndarray,
                          scarce_below: float, allow_oversample: bool,
                          ) -> tuple[np.ndarray, np.ndarray]:
    """(counts, scarce): the largest mix in which the groups that are not scarce follow the
    weights without a repeat; the scarce ones give all they have (or, ``allow_oversample``,
    are repeated up to their share)."""
    scarce = have < scarce_below * fair
    allocate = have > 0 if allow_oversample else ~scarce
    counts = _largest_fitting(have, share, allocate, fit=~scarce)
    if not allow_oversample:
        counts[scarce] = have[scarce]
    return counts, scarce


def plan_rebalance(available: Mapping[str, int], weights: Mapping[str, float],
                   total: int | None = None, allow_oversample: bool = False,
                   scarce_below: float = SCARCE_BELOW,
                   describe: Callable[[str], str] | None = None) -> RebalancePlan:
    """The samples to take from each group of positive ``weights``, given the samples each has.

    Without ``total``: a group holding fewer than ``scarce_below`` of its share of the samples
    available is scarce and gives all it has; the others follow the weights, as many as they
    allow without a repeat. With ``total``: each group short of its share gives all it has and
    the others share the rest by weight. ``allow_oversample`` repeats scarce groups up to their
    share instead; ``scarce_below=0`` is the strict mix (the scarcest group sizes it; with
    ``total``, a group short of its share is an error). ``describe(name)`` says in the notes
    what a group has left (``has 13 of its 20 samples left ...``).
    """
    scarce_below = check_ratio("scarce_below", scarce_below)
    names = sorted(weights)
    share = np.array([float(weights[n]) for n in names])
    have = np.array([int(available.get(n, 0)) for n in names], dtype=np.int64)
    describe = describe or (lambda name: f"has {int(available.get(name, 0))} samples")
    if total is not None and total <= 0:
        raise EmptyRebalanceError(f"rebalance keeps no sample: total is {total}")
    if scarce_below == 0 or not have.any():  # strict: every group must give its share
        check_no_group_empty(available, weights, describe)
    fair = share / share.sum() * (have.sum() if total is None else total)
    if total is None:
        counts, scarce = _counts_without_total(have, share, fair, scarce_below, allow_oversample)
        why = f"under {scarce_below:g} of its share ({{:.0f}}) of the {have.sum()} samples available"
        options = ("allow_oversample repeats it up to its share; scarce_below 0 lets it size "
                   "the mix")
    else:
        counts, scarce = _counts_for_total(names, have, share, total, allow_oversample,
                                           strict=scarce_below == 0)
        why = f"short of its share ({{:.0f}}) of the total {total}"
        options = "allow_oversample repeats it up to its share"
    rounded = [names[i] for i in _at_least_one_each(names, counts, have, total)]
    notes = [f"rebalance: group '{name}' has {available[name]} samples but its share of a mix "
             f"of {counts.sum()} rounds to none; it gets one" for name in rounded]
    notes += _scarce_notes(names, have, share, counts, scarce,
                          lambda index: why.format(fair[index]), options, describe)
    if total is None:
        notes += _cap_note(names, have, share, counts, scarce, describe)
    return RebalancePlan(
        weights={n: float(w) for n, w in zip(names, share)},
        available={n: int(h) for n, h in zip(names, have)},
        taken={n: int(c) for n, c in zip(names, counts)},
        scarce=tuple(n for n, flag in zip(names, scarce) if flag),
        rounded_up=tuple(rounded), notes=tuple(notes),
        warnings=tuple(_empty_group_warnings(names, have, share, describe)))
