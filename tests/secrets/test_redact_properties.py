"""Secrets planted anywhere in a `.context` never reach an output: generated secrets of every
kind, in every field of a memory entry (JSONL, JSON, Markdown) and of a history event (inline
payload, payload file, messages, tool input and output, event fields), in file names, in the
fields a skipped line would echo (an event's type, a duplicate id) are in no sample field,
not in ``_metadata`` or tags or ``source``, not in the rejects file and not in the summary
line. And detect-secrets, an independent scanner, finds nothing left in redacted text."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afs.context.export import export_history, export_memory
from afs.secrets.redact import redact_text
from afs.generators.runner import run_source
from tests import secret_kinds
from tests.secrets.test_redact import texts_with_secrets
from tests.secret_kinds import RECIPES

# kinds whose secret can be a file's name (its stem)
FILE_NAME_KINDS = sorted(kind for kind, (planted, secret) in
                         secret_kinds.planted_examples().items()
                         if planted == secret and re.fullmatch(r"[A-Za-z0-9_.-]{8,120}", secret))
MEMORY_FIELDS = ("instruction", "input", "output", "thinking", "tags", "domain", "id",
                 "project", "file_name")
HISTORY_FIELDS = ("prompt", "response", "thinking", "model", "message", "system", "tool_input",
                  "tool_output", "session", "tags", "domain", "timestamp", "payload_file",
                  "type", "duplicate_id", "bad_json", "events_file_name")
PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def planted(draw, fields: tuple[str, ...]) -> tuple[str, str, str]:
    """``(field, planted text, secret)``: a secret of a random kind for a random field (a
    file name gets a kind that can be one)."""
    field = draw(st.sampled_from(fields))
    names = FILE_NAME_KINDS if field in ("file_name", "payload_file", "events_file_name") \
        else sorted(RECIPES)
    text, secret = draw(secret_kinds.secrets(draw(st.sampled_from(names))))
    return field, text, secret


def _everything_written(output: Path, summary: str) -> str:
    """Every byte an export leaves: the dataset, its rejects file and the summary line."""
    written = [path.read_text() for path in output.parent.iterdir() if path.is_file()]
    return "\n".join([*written, summary])


def _assert_nowhere(secret: str, text: str) -> None:
    assert secret not in text
    assert secret.lower() not in text.lower()  # tags are lower-cased: no lower-case copy either


# ------------------------------------------------------------------------------- memory

def memory_entry(field: str, text: str, index: int = 0) -> dict:
    """A memory entry with ``text`` planted in ``field`` (``index`` makes each one distinct)."""
    entry = {"instruction": f"What does routine Planted_{index} store in $7E0F{index:02X}?",
             "output": f"It writes the timer to $7E0F{index:02X} with STA.w, once a frame.",
             "tags": ["asm"], "confidence": 0.9}
    if field in ("instruction", "output"):
        entry[field] += f" See {text} there."
    elif field in ("input", "thinking"):
        entry[field] = f"notes:\n{text}\nend"
    elif field == "tags":
        entry["tags"] = ["asm", text]
    elif field in ("domain", "id", "project"):
        entry[field] = text
    return entry


def _write_memory(root: Path, fmt: str, field: str, text: str) -> None:
    entry = memory_entry(field, text)
    stem = text if field == "file_name" else "notes"
    root.mkdir(parents=True)
    if fmt == "jsonl":
        (root / f"{stem}.jsonl").write_text(json.dumps(entry) + "\n" + "{broken\n")
    elif fmt == "json":
        (root / f"{stem}.json").write_text(json.dumps([entry, 7], indent=2))
    else:
        shared = {key: entry.pop(key) for key in ("tags", "domain", "id", "project")
                  if key in entry}
        sections = [f"## Q: {entry['instruction']}"]
        if "input" in entry:
            sections.append(f"## Context\n\n{entry['input']}")
        if "thinking" in entry:
            sections.append(f"## Thinking\n\n{entry['thinking']}")
        sections += [f"## A\n\n{entry['output']}", "## Q: unanswered"]
        (root / f"{stem}.md").write_text(f"---\n{yaml.safe_dump(shared)}---\n\n" +
                                         "\n\n".join(sections) + "\n")


@PROPERTY
@given(planted(MEMORY_FIELDS), st.sampled_from(["jsonl", "json", "md"]))
def test_no_secret_planted_in_a_memory_entry_reaches_any_output(case, fmt):
    field, text, secret = case
    with tempfile.TemporaryDirectory() as folder:
        root, output = Path(folder) / "memory", Path(folder) / "out" / "memory.jsonl"
        _write_memory(root, fmt, field, text)
        report = export_memory(root, output, rejects_path=output.with_suffix(".rejects.jsonl"))
        assert report.written == 1 and len(report.skipped) == 1  # the bad line is skipped
        _assert_nowhere(secret, _everything_written(output, report.summary()))
        [sample] = [json.loads(line) for line in output.read_text().splitlines()]
        assert sample["_metadata"]["redactions"]
        assert sum(report.redactions.values()) >= 1


# ------------------------------------------------------------------------------ history

MODEL = {"prompt": "How do I clear A?", "response": "LDA #$00", "model": "qwen"}


def _history_lines(field: str, text: str) -> tuple[list[str], dict[str, object]]:
    """Event lines with the secret in ``field``, and payload files (name -> object)."""
    event = {"id": "e1", "timestamp": "2025-03-14T10:00:00Z", "type": "model",
             "session": "s1", "tags": ["asm"], "payload": dict(MODEL)}
    payloads: dict[str, object] = {}
    extra: list[dict] = []
    payload = event["payload"]
    if field in ("prompt", "response", "thinking", "model"):
        payload[field] = f"{payload.get(field, '')} {text} ok"
    elif field in ("message", "system"):
        del payload["prompt"]
        payload["messages"] = [{"role": "system", "content": f"setup {text}"},
                               {"role": "user", "content": "earlier"},
                               {"role": "assistant", "content": "answer"},
                               {"role": "user", "content": [{"type": "text", "text": "q"}]}]
        if field == "message":
            payload["messages"][1]["content"] = f"earlier: {text}"
    elif field in ("tool_input", "tool_output"):
        event["type"] = "tool"
        event["payload"] = {"tool": "bash", "input": {"command": f"echo {text}"},
                            "output": f"ran\n{text}\n", "exit_code": 0}
        if field == "tool_input":
            event["payload"]["output"] = "ok"
        else:
            event["payload"]["input"] = {"command": "env"}
    elif field in ("session", "domain", "timestamp"):
        event[field] = text
    elif field == "tags":
        event["tags"] = ["asm", text]
    elif field == "payload_file":
        payloads[f"{text}.json"] = event.pop("payload")
        event["payload_ref"] = f"payloads/{text}.json"
    elif field == "type":
        extra.append({**event, "id": "e2", "type": text})
    elif field == "duplicate_id":
        event["id"] = text
        extra.append({**event, "payload": {"prompt": "again", "response": "ok"}})
    lines = [json.dumps(item) for item in (event, *extra)]
    if field == "bad_json":
        lines.append('{"id": "e3", "type": "model", "payload": {"prompt": ' + json.dumps(text))
    return lines, payloads


@PROPERTY
@given(planted(HISTORY_FIELDS))
def test_no_secret_planted_in_a_history_event_reaches_any_output(case):
    field, text, secret = case
    with tempfile.TemporaryDirectory() as folder:
        root, output = Path(folder) / "history", Path(folder) / "out" / "history.jsonl"
        (root / "payloads").mkdir(parents=True)
        lines, payloads = _history_lines(field, text)
        name = f"events_{secret}.jsonl" if field == "events_file_name" else "events_20250314.jsonl"
        (root / name).write_text("\n".join(lines) + "\n")
        for payload_name, payload in payloads.items():
            (root / "payloads" / payload_name).write_text(json.dumps(payload))
        report = export_history(root, output, include_tools=True,
                                rejects_path=output.with_suffix(".rejects.jsonl"))
        _assert_nowhere(secret, _everything_written(output, report.summary()))
        if field in ("type", "duplicate_id", "bad_json", "events_file_name"):
            assert report.skipped  # what was skipped is named by file:line and reason only
        else:
            assert report.written == 1 and sum(report.redactions.values()) >= 1


@settings(max_examples=30, deadline=None)
@given(planted(("instruction", "output", "tags", "file_name")))
def test_generation_report_and_samples_of_a_source_hold_no_secret(case):
    """The data_generation pipeline's library: a source's table and report."""
    field, text, secret = case
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "memory"
        _write_memory(root, "jsonl", field, text)
        frame, report = run_source("memory", {"generator": "memory",
                                              "params": {"memory_root": str(root)}})
        written = frame.to_json(orient="records") + json.dumps(report)
        _assert_nowhere(secret, written.replace("\\/", "/"))
        assert report["redactions"] and report["skipped"]


# ------------------------------------------------------------ detect-secrets as an oracle

def _detect_secrets_findings(text: str) -> list[tuple[str, str]]:
    """What detect-secrets' detectors (all but the noisy high-entropy and IP ones) report."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import transient_settings

    plugins = [{"name": plugin.__name__} for plugin in
               get_mapping_from_secret_type_to_class().values()
               if "HighEntropy" not in plugin.__name__ and plugin.__name__ != "IPPublicDetector"]
    with transient_settings({"plugins_used": plugins}):
        return [(found.type, found.secret_value) for line in text.splitlines()
                for found in scan_line(line)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts_with_secrets())
def test_detect_secrets_finds_nothing_in_redacted_text(case):
    text, _, _ = case
    left = [(kind, value) for kind, value in _detect_secrets_findings(redact_text(text)[0])
            if "REDACTED" not in (value or "")]
    assert left == []


def test_detect_secrets_sees_the_planted_secrets_it_knows():
    """The oracle is awake: on the unredacted examples it reports the kinds it knows."""
    found = {kind for planted_text, _ in secret_kinds.planted_examples().values()
             for kind, _ in _detect_secrets_findings(planted_text)}
    assert {"Private Key", "GitHub Token", "GitLab Token", "Slack Token", "Discord Bot Token",
            "Telegram Bot Token", "Twilio API Key", "SendGrid API Key", "PyPI Token",
            "Azure Storage Account access key"} <= found
