"""MemoryGenerator and export_memory: the three entry formats, order, skips with file:line,
tag/confidence filters, limit, redaction, and the shipped example memory."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import orjson
import pytest

from afs.context.export import export_memory
from afs.context.memory import MemoryGenerator
from afs.errors import ConfigError, DataError
from afs.generators.lookup import create_generator
from afs.samples import load_jsonl

EXAMPLE_MEMORY = Path(__file__).resolve().parents[2] / "data/01_raw/context/memory"

MARKDOWN = """---
tags: [DMA, vram]
confidence: 0.9
domain: asm
---

# Notes (ignored: before the first Q)

## Q: How do I start DMA channel 0?

## A
Write $01 to MDMAEN:

```asm
## Q inside a fence is code, not a heading
  LDA.b #$01 : STA.w MDMAEN
```

## Q
When can VRAM be written?

## Context
The hack does not hook NMI.

## Thinking
The PPU reads VRAM while drawing.

## A
In V-blank or forced blank.
"""


def write(root: Path, name: str, text: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def jsonl(*records: object) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


@pytest.fixture
def memory(tmp_path) -> Path:
    root = tmp_path / "memory"
    write(root, "facts.jsonl", jsonl(
        {"instruction": "What does SEP #$20 do?", "output": "Makes A 8-bit.", "tags": ["65816"],
         "confidence": 0.95, "id": "m1"},
        "",
        {"prompt": "Where is Link's X?", "response": "$7E0022", "tags": "ram, link",
         "confidence": 0.5},
        {"user": "What is $0DD0,X?", "assistant": "The sprite state.", "context": "ALTTP",
         "thinking": "16 slots."}))
    write(root, "notes/dma.md", MARKDOWN)
    write(root, "sprites.json", json.dumps([
        {"question": "Negate a velocity?", "answer": "EOR.b #$FF : INC", "tags": ["sprites"]},
        {"instruction": "Wisp notice range?", "output": "48 pixels", "tags": ["sprites", "scratch"]},
    ], indent=2))
    write(root, "one.json", json.dumps({"instruction": "Bank of new code?", "output": "$20-$24"}))
    write(root, "README.txt", "not a memory file")
    return root


def samples_of(generator):
    return list(generator.generate())


def test_every_format_in_sorted_file_order_with_sources(memory):
    generator = MemoryGenerator(memory)
    samples = samples_of(generator)
    assert [s.source for s in samples] == [
        "facts.jsonl:1", "facts.jsonl:3", "facts.jsonl:4", "notes/dma.md:9", "notes/dma.md:19",
        "one.json:1", "sprites.json:2", "sprites.json:9"]
    first, link, state, dma, vram, one, negate, _ = samples
    assert (first.instruction, first.output, first.domain) == \
        ("What does SEP #$20 do?", "Makes A 8-bit.", "memory")
    assert first._metadata == {"id": "m1", "tags": ["65816"], "confidence": 0.95}
    assert link._metadata["tags"] == ["ram", "link"]
    assert (state.input, state.thinking) == ("ALTTP", "16 slots.")
    assert dma.instruction == "How do I start DMA channel 0?"
    assert "## Q inside a fence is code" in dma.output and dma.domain == "asm"
    assert dma._metadata == {"tags": ["dma", "vram"], "confidence": 0.9}
    assert (vram.instruction, vram.input, vram.thinking, vram.output) == (
        "When can VRAM be written?", "The hack does not hook NMI.",
        "The PPU reads VRAM while drawing.", "In V-blank or forced blank.")
    assert (one.instruction, negate.output) == ("Bank of new code?", "EOR.b #$FF : INC")
    assert generator.skipped == [] and generator.left_out == Counter()


def test_generation_is_deterministic(memory):
    generator = MemoryGenerator(memory)
    first = [s.to_dict() for s in generator.generate()]
    assert [s.to_dict() for s in generator.generate()] == first
    assert [s.to_dict() for s in MemoryGenerator(memory).generate()] == first


@pytest.mark.parametrize("name, text, expected", [
    ("bad.jsonl", jsonl({"instruction": "q", "output": "a"}, '{"instruction": "q", "output":'),
     "bad.jsonl:2: malformed JSON: Expecting value (column 31)"),
    ("bad.jsonl", jsonl({"instruction": "only a question"}),
     "bad.jsonl:1: missing field 'output' (or response, assistant, answer)"),
    ("bad.jsonl", jsonl({"instruction": "q", "output": "  "}), "bad.jsonl:1: field 'output' is empty"),
    ("bad.jsonl", jsonl({"instruction": ["q"], "output": "a"}),
     "bad.jsonl:1: field 'instruction' must be a string, got array"),
    ("bad.jsonl", jsonl([1, 2]), "bad.jsonl:1: expected a JSON object, got array"),
    ("bad.jsonl", jsonl({"instruction": "q", "output": "a", "tags": 3}),
     "bad.jsonl:1: field 'tags' must be a list of strings, got number"),
    ("bad.jsonl", jsonl({"instruction": "q", "output": "a", "confidence": 1.5}),
     "bad.jsonl:1: field 'confidence' must be a number in [0, 1], got 1.5"),
    ("bad.json", '[\n  {"instruction": "q", "output": "a"},\n  {"instruction": }\n]',
     "bad.json:3: malformed JSON: Expecting value (column 19)"),
    ("bad.md", "## Q: asked\n\nnever answered\n", "bad.md:1: '## Q' without a '## A'"),
    ("bad.md", "intro\n\n## A\nan answer\n", "bad.md:3: '## A' before any '## Q'"),
    ("bad.md", "## Q\nq\n## A\na\n## A\nb\n",
     "bad.md:1: second '## A' (line 5) in one entry"),
    ("bad.md", "---\ntags: [a\n---\n## Q\nq\n## A\na\n",
     "bad.md:2: front matter is not valid YAML (expected ',' or ']', but got '<stream end>')"),
    ("bad.md", "---\ntags: [a]\n## Q\nq\n", "bad.md:1: front matter has no closing '---'"),
    ("bad.md", b"## Q\nq\n## A\n\xff\xfe\n", "bad.md: line 4: invalid UTF-8 at byte 12"),
])
def test_bad_input_is_skipped_with_file_line_and_reason(tmp_path, name, text, expected):
    root = tmp_path / "memory"
    write(root, name, text)
    write(root, "z_good.jsonl", jsonl({"instruction": "still read", "output": "yes"}))
    generator = MemoryGenerator(root)
    samples = samples_of(generator)
    assert [str(s) for s in generator.skipped] == [expected]
    assert samples[-1].instruction == "still read"


def test_tags_filter_case_insensitively_and_count_what_they_leave_out(memory):
    generator = MemoryGenerator(memory, include_tags=["SPRITES", "dma"], exclude_tags=["scratch"])
    assert [s.source for s in generator.generate()] == [
        "notes/dma.md:9", "notes/dma.md:19", "sprites.json:2"]
    assert generator.left_out == Counter(no_included_tag=4, excluded_tag=1)


def test_min_confidence_leaves_out_low_and_unknown_confidence(memory):
    generator = MemoryGenerator(memory, min_confidence=0.9)
    assert [s.source for s in generator.generate()] == [
        "facts.jsonl:1", "notes/dma.md:9", "notes/dma.md:19"]
    assert generator.left_out == Counter(no_confidence=4, below_min_confidence=1)


@pytest.mark.parametrize("limit, count", [(0, 0), (2, 2), (100, 8)])
def test_limit_stops_the_stream(memory, limit, count):
    generator = MemoryGenerator(memory, limit=limit)
    assert len(samples_of(generator)) == count
    assert generator.limited == (limit <= count)


def test_bad_options_and_a_missing_root_are_errors(tmp_path):
    with pytest.raises(ConfigError, match="limit must be 0 or more"):
        MemoryGenerator(tmp_path, limit=-1)
    with pytest.raises(ConfigError, match=r"min_confidence must be in \[0, 1\]"):
        MemoryGenerator(tmp_path, min_confidence=2)
    with pytest.raises(DataError, match="nowhere: no such memory folder"):
        samples_of(MemoryGenerator(tmp_path / "nowhere"))


def test_secrets_in_entries_are_redacted_and_counted(tmp_path):
    root = tmp_path / "memory"
    write(root, "ci.jsonl", jsonl({
        "instruction": "How does CI upload? Use https://ci:hunter2@roms.example.invalid",
        "output": "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "tags": ["ci"],
        "api_key": "kept out of the sample anyway"}))
    generator = MemoryGenerator(root)
    [sample] = samples_of(generator)
    assert "hunter2" not in sample.instruction and "AKIA" not in sample.output
    assert sample._metadata["redactions"] == {"aws_access_key": 1, "secret_field": 1,
                                              "url_password": 1}
    assert generator.redactions == Counter(aws_access_key=1, secret_field=1, url_password=1)


def test_export_writes_jsonl_and_rejects(memory, tmp_path):
    write(memory, "broken.jsonl", "{not json}\n")
    output = tmp_path / "out" / "memory.jsonl"
    report = export_memory(memory, output, exclude_tags=["scratch"],
                           rejects_path=tmp_path / "out" / "memory.rejects.jsonl")
    assert report.written == 7 == len(load_jsonl(output))
    assert [str(s) for s in report.skipped] == [
        "broken.jsonl:1: malformed JSON: Expecting property name enclosed in double quotes "
        "(column 2)"]
    rejects = [orjson.loads(line) for line in report.rejects_path.read_bytes().splitlines()]
    assert rejects == [{"file": "broken.jsonl", "line": 1, "error": report.skipped[0].reason}]
    assert report.summary() == (
        f"7 samples -> {output}; skipped 1 (broken.jsonl:1: malformed JSON: Expecting property "
        "name enclosed in double quotes (column 2)) -> "
        f"{report.rejects_path}; left out 1 (excluded_tag x1); redacted 0")
    assert sorted(p.name for p in output.parent.iterdir()) == ["memory.jsonl",
                                                               "memory.rejects.jsonl"]


def test_registry_builds_the_memory_generator_by_keyword(memory):
    generator = create_generator("memory", memory_root=memory, limit=3, exclude_tags=["x"])
    assert isinstance(generator, MemoryGenerator) and len(samples_of(generator)) == 3


def test_shipped_example_memory_exports(tmp_path):
    output = tmp_path / "memory.jsonl"
    report = export_memory(EXAMPLE_MEMORY, output)
    assert report.written == 13
    assert [str(s) for s in report.skipped] == [
        "notes/sentry_debugging.md:20: '## Q' without a '## A'"]
    assert report.redactions == Counter(aws_access_key=1, aws_secret_key=1)
    text = output.read_text()
    assert "AKIAIOSFODNN7EXAMPLE" not in text and "wJalrXUtnFEMI" not in text
    assert {s.domain for s in load_jsonl(output)} == {"asm", "memory"}


def test_empty_optional_fields_are_no_fields(tmp_path):
    root = tmp_path / "memory"
    write(root, "a.jsonl", jsonl({"instruction": "q", "output": "a", "thinking": " ",
                                  "input": "", "context": "ALTTP", "domain": ""}))
    [sample] = samples_of(MemoryGenerator(root))
    assert (sample.thinking, sample.input, sample.domain) == (None, "ALTTP", "memory")
