"""Counts of wrong or weak facts in the samples ``OracleTrainingGenerator`` writes from real
asar trees (issue 17 §3-§4). Reads only the samples and the trees, so the same script measures
any version of the generator (run it with another checkout's ``src`` first on PYTHONPATH to
get the "before" figures).

    python benchmarks/generated_facts.py TREE [TREE ...] [--json counts.json]

Each count is a class of flaw, measured on the sample text:

- ``size_claims`` / ``size_claims_unsupported``: symbol samples that state a width ("one byte",
  "a 16-bit value", "an N-byte table"); unsupported when nothing in the tree or the built-in
  tables gives that width: not the `skip`/`db`/`dw`/`dl` after its label, not a built-in entry
  of that size at that address (ALTTP RAM on an ALTTP tree, SNES registers on any), and not
  the symbol's own comment ("$08 bytes", "word").
- ``size_claims_wrong``: a stated width that those contradict, or any width stated for a ROM
  label (code or data in a ROM bank).
- ``shared_descriptions``: symbol samples whose description is the same text as another
  symbol's (a block header used as each symbol's description); ``largest_share`` the most
  symbols sharing one. A text the answer presents as the group's ("Listed under the heading
  …", "The comment above … documents them together") is not a description and is counted
  apart, in
  ``heading_or_group_samples``.
- ``annotations``: samples whose answer carries a tool tag (`@watch fmt=hex`).
- ``flattened_tables``: answer lines that hold two or more source comment lines of which one
  is a table row (`$00 = …`, `- …`, `x - …`).
- ``bare_write_specs``: write samples whose specification has fewer than 3 words with letters.
- ``write_code_after_end``: write answers with code after the closing brace of the routine.
- ``macro_placeholder_calls`` / ``macro_calls_rejected``: macro answers with a call written with
  `<param>` placeholders / whose shown call does not assemble with the definition
  (``afs.asm.validate``).
- ``ambiguous_instructions``: samples whose instruction text is also another sample's, with a
  different answer.
- ``thinking_restates``: samples whose `thinking` adds nothing: 90 % or more of its words are
  in the answer and it names no line.
- ``foreign_game_facts``: explain samples of a tree that is not A Link to the Past which
  describe memory with the built-in ALTTP RAM table's descriptions.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from afs.asm import validate
from afs.knowledge.database import builtin_entries, register_entries

_SIZE_CLAIM = re.compile(r"It is (one byte|a 16-bit value|a (\d+)-byte table|(\d+) bytes long)")
_ADDRESS = re.compile(r"\$[0-9A-Fa-f]{2,6}\b")
_CALL = re.compile(r"`(%\w+\([^`…]*\))`")
_TAG = re.compile(r"(?:^|\s)@[A-Za-z][\w.-]*")
_TABLE_ROW = re.compile(r"^\s*(?:\$[0-9A-Fa-f]+|\d+|[A-Za-z])\s*(?:=|-|:)\s|^\s*[-*|]\s")
_COMMENT_SIZE = re.compile(r"\$([0-9A-Fa-f]+) bytes|(\d+) bytes|\bword\b|16-bit", re.I)
_WORD = re.compile(r"[A-Za-z]\w*")
_ALTTP = re.compile(r"link to the past|\balttp\b|\blttp\b|\bzelda\b|\bhyrule\b", re.I)


def generate(tree: Path) -> tuple[list[dict], float]:
    from afs.oracle.training_generator import OracleTrainingGenerator
    start = time.perf_counter()
    samples = [s.to_dict() if hasattr(s, "to_dict") else dict(s.__dict__)
               for s in OracleTrainingGenerator(tree).generate()]
    return samples, time.perf_counter() - start


def _comment_lines(tree: Path, file: str) -> list[str]:
    try:
        text = (tree / file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    comments = (line.split(";", 1)[1].strip(" ;") for line in text.split("\n") if ";" in line)
    return list(dict.fromkeys(c for c in comments if len(c) >= 6 and len(c.split()) >= 2))


def _is_rom(address: int) -> bool:
    bank, offset = address >> 16, address & 0xFFFF
    return not (0x7E <= bank <= 0x7F) and (offset >= 0x8000 or bank >= 0x40) and bank > 0


def _claimed_size(output: str) -> int | None:
    match = _SIZE_CLAIM.search(output)
    if not match:
        return None
    if match.group(1) == "one byte":
        return 1
    if match.group(1).startswith("a 16-bit"):
        return 2
    return int(match.group(2) or match.group(3))


def _source_sizes(tree: Path, file: str, line: int) -> set[int]:
    """Widths the symbol's own line gives: a size in its comment ("$08 bytes", "word"), or the
    `skip n` / `db …` after its label (on that line, or the next for a bare label)."""
    try:
        lines = (tree / file).read_text(encoding="utf-8").split("\n")
        text = lines[line - 1]
    except (OSError, UnicodeDecodeError, IndexError):
        return set()
    sizes = set()
    match = _COMMENT_SIZE.search(text.split(";", 1)[1]) if ";" in text else None
    if match:
        sizes.add(int(match.group(1), 16) if match.group(1) else
                  int(match.group(2)) if match.group(2) else 2)
    code = text.split(";", 1)[0]
    if re.match(r"\s*\w+:\s*$", code) and line < len(lines):
        code = "x: " + lines[line].split(";", 1)[0]
    if ":" in code and (size := _reserved(code.split(":", 1)[1].strip())):
        sizes.add(size)
    return sizes


def _reserved(statement: str) -> int | None:
    """Bytes a `skip n` / `db/dw/dl/dd …` statement reserves (measured here, not by the
    generator's own parser)."""
    words = statement.split(None, 1)
    if len(words) < 2:
        return None
    word, argument = words[0].lower(), words[1]
    if word == "skip":
        text = argument.strip()
        return int(text[1:], 16) if text.startswith("$") else int(text) if text.isdigit() else None
    width = {"db": 1, "dw": 2, "dl": 3, "dd": 4}.get(word)
    return width * len(argument.split(",")) if width else None


def size_counts(tree: Path, symbols: list[dict]) -> dict[str, int]:
    tables = [*builtin_entries(), *register_entries()] if _is_alttp(tree) else register_entries()
    builtin = {e.address: e.size for e in tables}
    claims = unsupported = wrong = 0
    for sample in symbols:
        size = _claimed_size(sample["output"])
        if size is None:
            continue
        claims += 1
        meta = sample["_metadata"]
        address = int(meta["address"].lstrip("$"), 16)
        evidence = {*_source_sizes(tree, meta["file"], meta["line"]), builtin.get(address)}
        evidence.discard(None)
        if _is_rom(address) or (evidence and size not in evidence):
            wrong += 1
        if size not in evidence:
            unsupported += 1
    return {"size_claims": claims, "size_claims_unsupported": unsupported,
            "size_claims_wrong": wrong}


def _description(sample: dict) -> str:
    """The answer without the symbol's name, addresses and width sentence."""
    text = sample["output"].replace(f"`{sample['_metadata']['name']}`", "")
    text = _SIZE_CLAIM.split(text)[0]
    text = _ADDRESS.sub("", text)
    return " ".join(w for w in _WORD.findall(text) if w not in ("That", "is", "at", "It",
                                                                  "bank", "It", "The"))


_GROUPED = ("Listed under the heading", "documents them together")


def shared_descriptions(symbols: list[dict]) -> dict[str, int]:
    grouped = [s for s in symbols if any(p in s["output"] for p in _GROUPED)]
    symbols = [s for s in symbols if not any(p in s["output"] for p in _GROUPED)]
    names = defaultdict(set)
    for sample in symbols:
        names[(sample["_metadata"]["file"], _description(sample))].add(
            sample["_metadata"]["name"])
    shared = [sample for sample in symbols
              if len(names[(sample["_metadata"]["file"], _description(sample))]) > 1
              and _description(sample)]
    return {"shared_descriptions": len(shared),
            "largest_share": max((len(v) for k, v in names.items() if k[1]), default=0),
            "heading_or_group_samples": len(grouped)}


def flattened_lines(tree: Path, samples: list[dict]) -> int:
    count = 0
    cache: dict[str, list[str]] = {}
    for sample in samples:
        file = sample["_metadata"].get("file")
        if not file or sample["domain"] == "docs":
            continue
        comments = cache.setdefault(file, _comment_lines(tree, file))
        for line in sample["output"].split("\n"):
            inside = list(dict.fromkeys(c for c in comments if c in line))
            # a comment inside another matched one (`X = Source` in `X = Source, A = Size`)
            inside = [c for c in inside if not any(c != d and c in d for d in inside)]
            if len(inside) >= 2 and any(_TABLE_ROW.match(c) for c in inside):
                count += 1
                break
    return count


def _spec(sample: dict) -> str:
    return sample["instruction"].split("\n\n", 1)[1] if "\n\n" in sample["instruction"] else ""


def _bare(spec: str) -> bool:
    """Fewer than 3 words (tokens with two letters in a row, not a `$`/`0x` number)."""
    words = [w for w in spec.split() if re.search(r"[A-Za-z]{2}", w)
             and not re.match(r"\$|0[xX]", w)]
    return len(words) < 3


def _code_after_end(output: str) -> bool:
    code = output.split("```asm\n", 1)[-1].rsplit("\n```", 1)[0].split("\n")
    depth, closed = 0, False
    for line in code:
        stripped = line.split(";", 1)[0].strip()
        if closed and stripped:
            return True
        depth += stripped.count("{") - stripped.count("}")
        if stripped == "}" and depth == 0:
            closed = True
    return False


def macro_counts(samples: list[dict]) -> dict[str, int]:
    placeholders = rejected = calls = 0
    for sample in samples:
        definition = sample["output"].split("```asm\n", 1)[-1].rsplit("\n```", 1)[0]
        prose = sample["output"].split("```asm\n", 1)[0]
        shown = [c for c in _CALL.findall(prose) if not c.endswith("()") or "(" in c]
        if any("<" in c for c in shown):
            placeholders += 1
        for call in dict.fromkeys(shown):
            calls += 1
            if not validate(f"{definition}\n{call}\n").valid:
                rejected += 1
                break
    return {"macro_samples": len(samples), "macro_placeholder_calls": placeholders,
            "macro_calls_rejected": rejected}


def ambiguous(samples: list[dict]) -> tuple[int, list[tuple[str, int]]]:
    outputs = defaultdict(set)
    for sample in samples:
        outputs[sample["instruction"]].add(sample["output"])
    shared = [s for s in samples if len(outputs[s["instruction"]]) > 1]
    top = Counter(s["instruction"][:60] for s in shared).most_common(3)
    return len(shared), top


def restates(sample: dict) -> bool:
    thinking = sample.get("thinking")
    if not thinking:
        return False
    words = [w.lower() for w in _WORD.findall(thinking)]
    answer = {w.lower() for w in _WORD.findall(sample["output"] + sample.get("input", ""))}
    inside = sum(w in answer for w in words) / max(len(words), 1)
    return inside >= 0.9 and not re.search(r"\blines? \d", thinking)


def _is_alttp(tree: Path) -> bool:
    """Two or more asm files name the game (as the generator decides by default)."""
    return sum(bool(_ALTTP.search(p.read_text(errors="replace")))
               for p in tree.rglob("*.asm") if p.is_file()) >= 2


def foreign_facts(tree: Path, samples: list[dict]) -> int:
    if _is_alttp(tree):
        return 0  # an ALTTP tree: the built-in table is the right one
    descriptions = [e.description for e in builtin_entries() if len(e.description) >= 20]
    return sum(any(d in s["output"] for d in descriptions)
               for s in samples if s["domain"] == "asm.explain")


def measure(tree: Path) -> dict:
    samples, seconds = generate(tree)
    by_domain = Counter(s["domain"] for s in samples)
    symbols = [s for s in samples if s["domain"] == "asm.symbols"]
    writes = [s for s in samples if s["domain"] == "asm.write"]
    shared, top = ambiguous(samples)
    counts = {
        "tree": tree.name, "samples": len(samples), "seconds": round(seconds, 1),
        "domains": dict(sorted(by_domain.items())),
        "symbol_samples": len(symbols),
        **size_counts(tree, symbols),
        **shared_descriptions(symbols),
        "annotations": sum(bool(_TAG.search(s["output"])) for s in samples),
        "flattened_tables": flattened_lines(tree, samples),
        "write_samples": len(writes),
        "bare_write_specs": sum(_bare(_spec(s)) for s in writes),
        "write_code_after_end": sum(_code_after_end(s["output"]) for s in writes),
        **macro_counts([s for s in samples if s["domain"] == "asm.macro"]),
        "ambiguous_instructions": shared, "most_repeated": top,
        "thinking": sum(bool(s.get("thinking")) for s in samples),
        "thinking_restates": sum(restates(s) for s in samples),
        "foreign_game_facts": foreign_facts(tree, samples),
    }
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--json", type=Path, help="also write the counts here")
    args = parser.parse_args()
    results = [measure(tree) for tree in args.trees]
    keys = [k for k in results[0] if k not in ("tree", "domains", "most_repeated")]
    print("| count | " + " | ".join(r["tree"] for r in results) + " |")
    print("| --- |" + " ---: |" * len(results))
    for key in keys:
        print(f"| {key} | " + " | ".join(str(r[key]) for r in results) + " |")
    for result in results:
        print(f"\n{result['tree']}: {result['domains']}; most repeated: {result['most_repeated']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
