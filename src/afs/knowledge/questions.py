"""Question/answer training samples from address entries, both ways: name -> address and
address -> meaning. Phrasing is picked per entry from a seeded generator, so the same table
and seed always give the same samples.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable

from afs.knowledge.addressing import LOW_RAM_END, WRAM_BANKS
from afs.knowledge.entries import AddressEntry, format_address
from afs.samples import TrainingSample

DOMAIN = "knowledge"
# how a table's questions name the system the address belongs to
_CONTEXT = {"alttp_ram": " in A Link to the Past", "snes_registers": " on the SNES"}

_NAME_QUESTIONS = (
    "What is the address of `{name}`{context}?",
    "Where is `{name}` ({gist}) in memory?",
    "Which address holds `{name}` ({gist}){context}?",
    "I need the address of `{name}` for an asar patch. What is it?",
    "Give the address of the {kind} `{name}`.",
)
_ADDRESS_QUESTIONS = (
    "What is at {address}{context}?",
    "What does {address} hold{context}?",
    "An instruction does `{instruction}`. What is it accessing{context}?",
    "Explain the {kind} at {address}.",
)
_NAME_ANSWERS = (
    "`{name}` is at {span}{bank_note}. {description}{layout}",
    "{span}{bank_note}: `{name}`. {description}{layout}",
    "It is {span}{bank_note}. {description}{layout}",
)
_ADDRESS_ANSWERS = (
    "{span} is `{name}`. {description}{layout}",
    "That is `{name}`{bank_note}. {description}{layout}",
)


def gist(description: str) -> str:
    """The head of a description, before its first ':', '(' or ';' (what the value is)."""
    head = re.split(r":|\(|;|\|", description, maxsplit=1)[0].strip().rstrip(",.")
    return head or description


def operand_form(entry: AddressEntry) -> str:
    """How code usually writes the address: `$20` (direct page), `$0E20` (low-RAM mirror or
    register) or `$7EF36D` (long)."""
    offset = entry.address & 0xFFFF
    if entry.bank == 0x7E and offset < 0x100:
        return f"${offset:02X}"
    if entry.bank == 0x7E and offset < LOW_RAM_END or entry.address <= 0xFFFF:
        return f"${offset:04X}"
    return format_address(entry.address)


def _instruction(entry: AddressEntry, rng: random.Random) -> str:
    mnemonic = {"r": "LDA", "w": "STA"}.get(entry.access) or rng.choice(("LDA", "STA"))
    index = ",X" if entry.size > 2 else ""
    return f"{mnemonic} {operand_form(entry)}{index}"


def _layout(entry: AddressEntry) -> str:
    """A sentence on width and how code reaches the value."""
    form = operand_form(entry)
    if entry.size > 2:
        return (f" It is a {entry.size}-byte table; code indexes it, e.g. `LDA {form},X`.")
    width = "a 16-bit value (read it with a 16-bit accumulator)" if entry.size == 2 else "one byte"
    if form != format_address(entry.address):
        return f" It is {width}; code usually writes it as `{form}`."
    return f" It is {width}."


def _kind(entry: AddressEntry) -> str:
    if entry.address <= 0xFFFF:
        return "hardware register"
    return "RAM variable" if entry.bank in WRAM_BANKS else "address"


def _fields(entry: AddressEntry, rng: random.Random) -> dict[str, str]:
    description = entry.description.strip() or "No description is recorded for it."
    if description[-1] not in ".!?":
        description += "."
    head = gist(entry.description) or entry.name
    return {
        "name": entry.name, "span": entry.span, "address": format_address(entry.address),
        "gist": head,
        "description": description, "layout": _layout(entry),
        "context": _CONTEXT.get(entry.source, ""),
        "kind": _kind(entry),
        "bank_note": f" (bank ${entry.bank:02X})" if entry.address > 0xFFFF else "",
        "instruction": _instruction(entry, rng),
    }


def _sample(question: str, answer: str, entry: AddressEntry, direction: str) -> TrainingSample:
    return TrainingSample(instruction=question, output=answer, domain=DOMAIN,
                          source=f"{DOMAIN}:{entry.source or 'custom'}",
                          _metadata={"address": format_address(entry.address), "name": entry.name,
                                     "direction": direction})


def entry_samples(entry: AddressEntry, seed: int = 0) -> list[TrainingSample]:
    """Two samples for one entry: name -> address and address -> meaning."""
    rng = random.Random(f"{seed}:{entry.source}:{entry.name}")  # str seeds are stable
    fields = _fields(entry, rng)
    pairs = ((_NAME_QUESTIONS, _NAME_ANSWERS, "name_to_address"),
             (_ADDRESS_QUESTIONS, _ADDRESS_ANSWERS, "address_to_meaning"))
    return [_sample(rng.choice(questions).format(**fields), rng.choice(answers).format(**fields),
                    entry, direction)
            for questions, answers, direction in pairs]


def training_samples(entries: Iterable[AddressEntry], seed: int = 0) -> list[TrainingSample]:
    """Samples for every entry, in the entries' order."""
    return [sample for entry in entries for sample in entry_samples(entry, seed)]
