"""No secret reaches any output of a whole `kedro run`: a `.context` with a planted secret of
every kind (in memory entries of each format and field, history events, a payload file, a
secret-shaped file name, an event's type, a duplicate event id) goes through data generation,
quality scoring, curation, training and deployment; then no file the run wrote (data/,
mlflow.db, mlruns/, models/) and nothing it printed holds any of them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import orjson
import yaml

from tests import secret_kinds
from tests.secrets.test_redact_properties import memory_entry
from tests.pipelines.test_kedro_project import copy_project, kedro, project_env

MEMORY_FIELDS = ("instruction", "output", "input", "thinking", "tags", "project", "id")
HISTORY_FIELDS = ("prompt", "response", "message", "tool_input", "tool_output", "session",
                  "tags", "thinking")


def _model_event(index: int, field: str, text: str) -> dict:
    event = {"id": f"evt-planted-{index}", "timestamp": "2025-03-20T10:00:00Z", "type": "model",
             "session": "s-planted", "tags": ["asm"],
             "payload": {"prompt": f"Why does sprite {index} flicker at $0D{index:02X}?",
                         "response": "Its OAM slot is reused by the HUD; reserve it with "
                                     "JSL Sprite_ReserveSlot.", "model": "qwen"}}
    payload = event["payload"]
    if field in ("prompt", "response", "thinking"):
        payload[field] = payload.get(field, "") + f" Context: {text}"
    elif field == "message":
        del payload["prompt"]
        payload["messages"] = [{"role": "user", "content": f"My env has {text}"},
                               {"role": "assistant", "content": "Noted."},
                               {"role": "user", "content": f"Why does sprite {index} flicker?"}]
    elif field in ("tool_input", "tool_output"):
        event["type"] = "tool"
        event["payload"] = {"tool": "bash", "exit_code": 0,
                            "input": {"command": f"echo '{text}'" if field == "tool_input"
                                      else "env"},
                            "output": f"{text}\n" if field == "tool_output" else "done"}
    elif field == "session":
        event["session"] = text
    elif field == "tags":
        event["tags"] = ["asm", text]
    return event


def plant_context(context: Path) -> list[str]:
    """Add planted secrets to the shipped `.context`; returns the secrets."""
    examples = secret_kinds.planted_examples()
    memory, history = context / "memory", context / "history"
    entries, events, planted_md = [], [], []
    for index, (kind, (text, _)) in enumerate(sorted(examples.items())):
        entries.append(memory_entry(MEMORY_FIELDS[index % len(MEMORY_FIELDS)], text, index))
        events.append(_model_event(index, HISTORY_FIELDS[index % len(HISTORY_FIELDS)], text))
        if index % 4 == 0:
            planted_md.append(f"## Q: What did note {index} say?\n\n## Context\n\n{text}\n\n"
                              f"## A\n\nThat the build of routine {index} needs asar 1.9.")
    (memory / "planted.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries[::2]))
    (memory / "planted.json").write_text(json.dumps(entries[1::2], indent=2))
    (memory / "notes" / "planted.md").write_text(
        "---\n" + yaml.safe_dump({"tags": ["planted", examples["github_token"][0]]}) +
        "---\n\n" + "\n\n".join(planted_md) + "\n")
    # a secret-shaped file name (an AWS key id as its stem), a payload file named like one
    key_id = examples["aws_access_key"][1]
    (memory / f"{key_id}.jsonl").write_text(json.dumps(memory_entry("output", "ok", 99)) + "\n")
    token = examples["gitlab_token"][1]
    (history / "payloads" / f"{token}.json").write_text(json.dumps(
        {"prompt": "What is in the payload file?", "response": "A routine table at $1F8000."}))
    events.append({"id": "evt-planted-ref", "timestamp": "2025-03-20T11:00:00Z", "type": "model",
                   "payload_ref": f"payloads/{token}.json"})
    # echoed by a skip message if anything were: an event's type, a duplicate id
    events.append({**events[0], "id": "evt-planted-type", "type": examples["stripe_key"][1]})
    duplicate = {**events[0], "id": examples["slack_token"][1]}
    events += [duplicate, duplicate]
    (history / "events_20250320.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    return [secret for _, secret in examples.values()]


def _files_written(root: Path) -> list[Path]:
    inputs = (root / "data" / "01_raw", root / "conf")
    return [path for path in root.rglob("*") if path.is_file()
            and not any(path.is_relative_to(folder) for folder in inputs)]


def _searchable(path: Path) -> str:
    """A file's content as text to search: Parquet is compressed, so its table as JSON; a
    JSON writer may escape "/" as "\\/"; case folded (tags are stored lower-case)."""
    if path.suffix == ".parquet":
        import pandas as pd

        data = pd.read_parquet(path).to_json(orient="records", default_handler=str)
    else:
        data = path.read_bytes().decode("utf-8", errors="replace")
    return data.replace("\\/", "/").lower()


def test_kedro_run_on_a_context_with_planted_secrets_writes_and_prints_none(tmp_path):
    root = copy_project(tmp_path / "project")
    secrets = plant_context(root / "data" / "01_raw" / "context")
    result = subprocess.run(kedro("run"), cwd=root, env=project_env(), capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    written = _files_written(root)
    assert (root / "mlflow.db") in written
    assert (root / "data" / "05_model_input" / "samples" / "train.jsonl") in written
    leaks = {}
    for path in written:
        text = _searchable(path)
        found = [secret[:12] for secret in secrets if secret.lower() in text]
        if found:
            leaks[str(path.relative_to(root))] = found
    console = result.stdout + result.stderr
    leaks["console"] = [secret[:12] for secret in secrets if secret.lower() in console.lower()]
    assert {where: found for where, found in leaks.items() if found} == {}
    # the planted records were read and redacted, not lost: every kind was counted
    report = json.loads((root / "data" / "08_reporting" / "generation_report.json").read_text())
    counted = {kind for name in ("memory", "history")
               for kind in report["sources"][name]["redactions"]}
    assert counted >= set(secret_kinds.RECIPES)
    raw = [orjson.loads(line) for line in
           (root / "data" / "03_primary" / "raw_samples.jsonl").read_bytes().splitlines()]
    sources = {sample["source"] for sample in raw}
    assert "[REDACTED:aws_access_key].jsonl:1" in sources
    skipped = report["sources"]["history"]["skipped"]
    assert {"path": "events_20250320.jsonl:" + str(len(secrets) + 2),
            "reason": "unknown event type (expected model, tool, fs, cli)"} in skipped
    assert any(item["reason"].startswith("duplicate event id (first at ") for item in skipped)
