"""HistoryGenerator and export_history: model and tool events, payload_refs, fs/cli events,
order, skips with file:line, tags, limit, redaction, and the shipped example history."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from afs.context.export import export_history
from afs.context.history import HistoryGenerator
from afs.generators.lookup import create_generator
from afs.samples import load_jsonl

EXAMPLE_HISTORY = Path(__file__).resolve().parents[2] / "data/01_raw/context/history"


def event(number: int, kind: str, payload=None, **extra) -> dict:
    record = {"id": f"e{number}", "timestamp": f"2025-03-14T10:00:{number:02d}Z", "type": kind}
    if payload is not None:
        record["payload"] = payload
    return {**record, **extra}


def write_events(root: Path, day: str, *lines) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"events_{day}.jsonl"
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n"
                            for line in lines))
    return path


def write_payload(root: Path, name: str, payload) -> str:
    path = root / "payloads" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload, indent=2))
    return f"payloads/{name}"


MODEL = {"model": "coder", "prompt": "Why does LDA.w bob_heights fail?",
         "response": "It is a sub-label: write .bob_heights.", "thinking": "asar scoping."}
TOOL = {"tool": "bash", "input": {"command": "asar main.asm build/hack.sfc"},
        "output": "main.asm:3: error: (Elabel_not_found): Label 'x' wasn't found.", "exit_code": 1}


@pytest.fixture
def history(tmp_path) -> Path:
    root = tmp_path / "history"
    conversation = write_payload(root, "e3.json", {"messages": [
        {"role": "system", "content": "You are an asar agent."},
        {"role": "user", "content": "The HUD shows garbage for a frame."},
        {"role": "assistant", "content": "How big is the DMA queue?"},
        {"role": "user", "content": [{"type": "text", "text": "Four entries."},
                                     {"type": "image", "source": "…"}]},
        {"role": "assistant", "content": "Then the flush timing is the problem."}]})
    write_events(root, "20250315",
                 event(3, "model", payload_ref=conversation, tags=["dma"]),
                 event(4, "fs", {"op": "edit", "path": "Menu/hud.asm", "diff": "+  BCC +"}),
                 event(5, "cli", {"command": "asar main.asm build/hack.sfc", "exit_code": 0}))
    write_events(root, "20250314",
                 event(1, "model", MODEL, tags=["Sprites"], session="s1"),
                 event(2, "tool", TOOL, tags=["build"]))
    return root


def sources(generator) -> list[str]:
    return [sample.source for sample in generator.generate()]


def test_model_events_become_samples_in_file_and_line_order(history):
    generator = HistoryGenerator(history)
    first, second = generator.generate()
    assert (first.source, second.source) == ("events_20250314.jsonl:1", "events_20250315.jsonl:1")
    assert (first.instruction, first.output, first.thinking, first.domain) == (
        MODEL["prompt"], MODEL["response"], "asar scoping.", "history")
    assert first._metadata == {"event_id": "e1", "event_type": "model",
                               "timestamp": "2025-03-14T10:00:01Z", "session": "s1",
                               "tags": ["sprites"], "model": "coder"}
    assert second.instruction == "Four entries."  # the last user message, text blocks only
    assert second.input == ("User: The HUD shows garbage for a frame.\n\n"
                            "Assistant: How big is the DMA queue?")  # no system prompt
    assert second.output == "Then the flush timing is the problem."
    assert second._metadata["payload_ref"] == "payloads/e3.json"
    assert generator.left_out == Counter(tool_event=1, fs_event=1, cli_event=1)
    assert generator.skipped == []


def test_tool_events_only_with_include_tools(history):
    generator = HistoryGenerator(history, include_tools=True)
    samples = list(generator.generate())
    tool = samples[1]
    assert tool.source == "events_20250314.jsonl:2"
    assert tool.instruction == "Run the `bash` tool with the input below and give its result."
    assert json.loads(tool.input) == TOOL["input"] and tool.output == TOOL["output"]
    assert tool._metadata["tool"] == "bash" and tool._metadata["exit_code"] == 1
    assert generator.left_out == Counter(fs_event=1, cli_event=1)


def test_generation_is_deterministic(history):
    generator = HistoryGenerator(history, include_tools=True)
    first = [s.to_dict() for s in generator.generate()]
    assert [s.to_dict() for s in generator.generate()] == first


def test_response_field_wins_over_messages_and_messages_may_end_with_the_user(tmp_path):
    root = tmp_path / "history"
    write_events(root, "20250314", event(1, "model", {
        "messages": [{"role": "user", "content": "Negate A?"}], "response": "EOR #$FF : INC"}))
    [sample] = HistoryGenerator(root).generate()
    assert (sample.instruction, sample.input, sample.output) == ("Negate A?", "", "EOR #$FF : INC")


@pytest.mark.parametrize("line, reason", [
    ('{"id": "e9", "type": "model", "payload": {"prompt": "cut', "malformed JSON: "
     "Unterminated string starting at (column 53)"),
    ("[1]", "expected a JSON object, got array"),
    (event(9, "model", MODEL, id=None), "missing field 'id'"),
    (event(9, "model", MODEL, timestamp=None), "missing field 'timestamp'"),
    (event(9, "thought", MODEL), "unknown event type (expected model, tool, fs, cli)"),
    (event(9, "model"), "missing field 'payload' (or payload_ref)"),
    (event(9, "model", "text"), "payload must be a JSON object, got string"),
    (event(9, "model", MODEL, payload_ref="payloads/x.json"),
     "has both 'payload' and 'payload_ref'"),
    (event(9, "model", payload_ref="payloads/missing.json"),
     "payload_ref: no such file"),
    (event(9, "model", payload_ref="../secrets.json"),
     "payload_ref points outside the history folder"),
    (event(9, "model", payload_ref="payloads/broken.json"),
     "payload_ref: malformed JSON: Expecting property name enclosed "
     "in double quotes (line 1)"),
    (event(9, "model", {"prompt": "q"}), "missing field 'response' (or output, completion, "
     "assistant)"),
    (event(9, "model", {"messages": [{"role": "user", "content": "q"}]}),
     "model event has no response and its last message is not from the assistant"),
    (event(9, "model", {"messages": [{"role": "assistant", "content": "a"}]}),
     "model event's messages do not end with a user message before the response"),
    (event(9, "model", {"messages": [{"role": "bot", "content": "a"}]}),
     "message 1 has no role user, assistant, tool or system"),
    (event(9, "tool", {"tool": "grep", "input": "x"}), "tool event has no 'output' (or result)"),
    (event(9, "tool", {"input": "x", "output": "y"}), "missing field 'tool' (or name)"),
    (event(9, "fs", {"op": "edit"}, tags=7), "field 'tags' must be a list of strings, got number"),
    (event(1, "model", MODEL), "duplicate event id (first at events_20250314.jsonl:1)"),
])
def test_bad_lines_are_skipped_with_file_line_and_reason(tmp_path, line, reason):
    root = tmp_path / "history"
    write_payload(root, "broken.json", "{")
    (tmp_path / "secrets.json").write_text("{}")
    write_events(root, "20250314", event(1, "model", MODEL), line, event(2, "model", MODEL))
    generator = HistoryGenerator(root, include_tools=True)
    assert sources(generator) == ["events_20250314.jsonl:1", "events_20250314.jsonl:3"]
    assert [str(s) for s in generator.skipped] == [f"events_20250314.jsonl:2: {reason}"]


def test_other_jsonl_files_and_unreadable_logs_are_skipped(tmp_path):
    root = tmp_path / "history"
    write_events(root, "20250314", event(1, "model", MODEL))
    (root / "notes.jsonl").write_text("{}\n")
    (root / "events_20250315.jsonl").write_bytes(b'{"id": "\xff"}\n')
    generator = HistoryGenerator(root)
    assert sources(generator) == ["events_20250314.jsonl:1"]
    assert [str(s) for s in generator.skipped] == [
        "events_20250315.jsonl: line 1: invalid UTF-8 at byte 8",
        "notes.jsonl: not an events_YYYYMMDD.jsonl file"]


def test_tags_and_limit(history):
    generator = HistoryGenerator(history, include_tools=True, include_tags=["sprites", "build"])
    assert sources(generator) == ["events_20250314.jsonl:1", "events_20250314.jsonl:2"]
    assert generator.left_out == Counter(no_included_tag=1, fs_event=1, cli_event=1)
    generator = HistoryGenerator(history, exclude_tags=["DMA"], limit=1)
    assert sources(generator) == ["events_20250314.jsonl:1"] and generator.limited


def test_secrets_in_payloads_are_redacted_and_counted(tmp_path):
    root = tmp_path / "history"
    write_events(root, "20250314", event(1, "tool", {
        "tool": "http", "input": {"url": "https://api.example.invalid", "api_key": "s3cr3t-v4lue",
                                  "headers": {"Authorization": "Bearer abcdef123456"}},
        "output": "GITHUB_TOKEN=ghp_" + "a1B2" * 9 + "\nPWD=/home/agent"}))
    generator = HistoryGenerator(root, include_tools=True)
    [sample] = generator.generate()
    assert "s3cr3t" not in sample.input and "abcdef123456" not in sample.input
    assert sample.output == "GITHUB_TOKEN=[REDACTED:github_token]\nPWD=/home/agent"
    assert sample._metadata["redactions"] == {"authorization_header": 1, "github_token": 1,
                                              "secret_field": 1}
    assert generator.redactions == Counter(sample._metadata["redactions"])


def test_registry_builds_the_history_generator_by_keyword(history):
    generator = create_generator("history", history_root=history, include_tools=True, limit=2)
    assert isinstance(generator, HistoryGenerator) and len(list(generator.generate())) == 2


@pytest.mark.parametrize("include_tools, written, left_out", [
    (False, 7, Counter(tool_event=6, fs_event=4, cli_event=4)),
    (True, 13, Counter(fs_event=4, cli_event=4)),
])
def test_shipped_example_history_exports(tmp_path, include_tools, written, left_out):
    output = tmp_path / "history.jsonl"
    report = export_history(EXAMPLE_HISTORY, output, include_tools=include_tools)
    assert report.written == written == len(load_jsonl(output))
    assert [s.path for s in report.skipped] == ["events_20250315.jsonl:7"]
    assert report.left_out == left_out
    if include_tools:  # the env dump and the curl upload are tool events
        assert report.redactions == Counter(github_token=1, openai_key=1, authorization_header=1)
        text = output.read_text()
        assert "ghp_" not in text and "sk-proj-" not in text and "eyJhbGci" not in text
