"""Question/answer training samples from address entries, both ways: name -> address and
address -> meaning. Phrasing is picked per entry from a seeded generator, so the same table
and seed always give the same samples.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence

from afs.knowledge.addressing import LOW_RAM_END, WRAM_BANKS, is_register, is_rom
from afs.knowledge.entries import AddressEntry, format_address
from afs.samples import TrainingSample

DOMAIN = "knowledge"
# how a table's questions name the system the address belongs to
_CONTEXT = {"alttp_ram": " in A Link to the Past", "snes_registers": " on the SNES"}

_NAME_QUESTIONS = (
    "What is the address of `{name}`{context}?",
    "Where is `{name}` ({gist}) in memory{context}?",
    "Which address holds `{name}` ({gist}){context}?",
    "I need the address of `{name}`{context} for an asar patch. What is it?",
    "Give the address of the {kind} `{name}`{context}.",
)
_ADDRESS_QUESTIONS = (
    "What is at {address}{context}?",
    "What does {address} hold{context}?",
    "An instruction does `{instruction}`. What is it accessing{context}?",
    "Explain the {kind} at {address}{context}.",
)
_PLAIN_NAME_QUESTIONS = tuple(q for q in _NAME_QUESTIONS if "{gist}" not in q)
# a ROM label may be code or data: no load instruction is a natural question about it
_ROM_ADDRESS_QUESTIONS = tuple(q for q in _ADDRESS_QUESTIONS if "{instruction}" not in q)
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
    head = re.split(r":|\(|;|\||\n", description, maxsplit=1)[0].strip().rstrip(",.")
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


def _is_table(entry: AddressEntry) -> bool:
    """Wider than a long (4-byte) value: a table or buffer that code indexes."""
    return entry.size_known and entry.size > 4


def _instruction(entry: AddressEntry, rng: random.Random) -> str:
    mnemonic = {"r": "LDA", "w": "STA"}.get(entry.access) or rng.choice(("LDA", "STA"))
    index = ",X" if _is_table(entry) else ""
    return f"{mnemonic} {operand_form(entry)}{index}"


def _short_form(entry: AddressEntry) -> str:
    """How a shorter operand reaches the address, when one does (RAM in bank $7E only)."""
    form = operand_form(entry)
    if form == format_address(entry.address):
        return ""
    if len(form) == 3:
        return f"; as a direct-page operand (D = $0000) it is `{form}`"
    return f"; from a bank that maps low RAM it is the absolute operand `{form}`"


def _layout(entry: AddressEntry) -> str:
    """A sentence on width and how code reaches the value; the width only when it is known
    (a symbol file gives a start address, not an extent)."""
    form, short = operand_form(entry), _short_form(entry)
    if not entry.size_known:
        return f" In code{short[1:]}." if short else ""
    if _is_table(entry):
        return f" It is a {entry.size}-byte table; code indexes it, e.g. `LDA {form},X`."
    width = {1: "one byte", 2: "a 16-bit value (read it with a 16-bit accumulator)",
             3: "a 24-bit (3-byte) value", 4: "a 32-bit (4-byte) value"}[entry.size]
    return f" It is {width}{short}."


def _kind(entry: AddressEntry) -> str:
    if is_register(entry.address):
        return "hardware register"
    if entry.bank in WRAM_BANKS or entry.address < LOW_RAM_END:
        return "RAM variable"
    return "ROM label" if is_rom(entry.address) else "address"


def _description(text: str) -> str:
    description = text.strip() or "No description is recorded for it."
    return description if description[-1] in ".!?" else description + "."


def _fields(entry: AddressEntry, rng: random.Random, context: str | None) -> dict[str, str]:
    head = gist(entry.description) if entry.description else ""
    return {
        "name": entry.name, "span": entry.span, "address": format_address(entry.address),
        "gist": head,
        "description": _description(entry.description), "layout": _layout(entry),
        "context": _CONTEXT.get(entry.source, "") if context is None else context,
        "kind": _kind(entry),
        "bank_note": f" (bank ${entry.bank:02X})" if entry.address > 0xFFFF else "",
        "instruction": _instruction(entry, rng),
    }


def _sample(question: str, answer: str, entry: AddressEntry, direction: str) -> TrainingSample:
    return TrainingSample(instruction=question, output=answer, domain=DOMAIN,
                          source=f"{DOMAIN}:{entry.source or 'custom'}",
                          _metadata={"address": format_address(entry.address), "name": entry.name,
                                     "direction": direction})


def _rng(entry: AddressEntry, seed: int, direction: str) -> random.Random:
    return random.Random(f"{seed}:{entry.source}:{entry.name}:{direction}")  # str seeds are stable


def name_sample(entry: AddressEntry, seed: int = 0, context: str | None = None,
                gist_of: str | None = None) -> TrainingSample:
    """"What is the address of `name`?" answered with the address and the description.
    ``context`` ends each question (default: the built-in table's system, if any); a question
    may name what the value is, from ``gist_of`` (default: the description; '' for none)."""
    rng = _rng(entry, seed, "name")
    fields = _fields(entry, rng, context)
    if gist_of is not None:
        fields["gist"] = gist(gist_of) if gist_of else ""
    questions = _NAME_QUESTIONS if fields["gist"] else _PLAIN_NAME_QUESTIONS
    return _sample(rng.choice(questions).format(**fields),
                   rng.choice(_NAME_ANSWERS).format(**fields), entry, "name_to_address")


def address_sample(entries: Sequence[AddressEntry], seed: int = 0,
                   context: str | None = None) -> TrainingSample:
    """"What is at $address?" answered with every name given to that address (one entry, or
    several that share the address: the question must have one answer)."""
    first = entries[0]
    rng = _rng(first, seed, "address")
    fields = _fields(first, rng, context)
    questions = _ROM_ADDRESS_QUESTIONS if is_rom(first.address) else _ADDRESS_QUESTIONS
    question = rng.choice(questions).format(**fields)
    if len(entries) == 1:
        answer = rng.choice(_ADDRESS_ANSWERS).format(**fields)
    else:
        answer = f"{format_address(first.address)} has {len(entries)} names, " \
                 f"{_names(entries)}.\n\n" + _descriptions(entries)
    sample = _sample(question, answer, first, "address_to_meaning")
    sample._metadata["names"] = [e.name for e in entries]
    return sample


def _names(entries: Sequence[AddressEntry]) -> str:
    names = [f"`{e.name}`" for e in entries]
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]


def _descriptions(entries: Sequence[AddressEntry]) -> str:
    """Each distinct description once, after the names it belongs to, one paragraph each
    (a multi-line description keeps its lines)."""
    by_text: dict[str, list[AddressEntry]] = {}
    for entry in entries:
        by_text.setdefault(_description(entry.description), []).append(entry)
    return "\n\n".join(f"{_names(group)}: {text}" for text, group in by_text.items())


def entry_samples(entry: AddressEntry, seed: int = 0,
                  context: str | None = None) -> list[TrainingSample]:
    """Two samples for one entry: name -> address and address -> meaning."""
    return [name_sample(entry, seed, context), address_sample([entry], seed, context)]


def training_samples(entries: Iterable[AddressEntry], seed: int = 0) -> list[TrainingSample]:
    """Samples for every entry, in the entries' order."""
    return [sample for entry in entries for sample in entry_samples(entry, seed)]
