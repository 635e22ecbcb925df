"""`afs training memory-export` / `history-export` through the real console script: the shipped
example, default roots under ~, filters, limit, summaries and errors."""

from __future__ import annotations

import shutil
from pathlib import Path

from .clitools import assert_user_error, read_records, summary_line

EXAMPLE_CONTEXT = Path(__file__).resolve().parents[2] / "data/01_raw/context"


def test_memory_export_of_the_shipped_example(afs, tmp_path):
    result = afs("training", "memory-export", "--output", "out/memory.jsonl",
                 "--memory-root", EXAMPLE_CONTEXT / "memory")

    line = summary_line(result)
    records = read_records(tmp_path / "out/memory.jsonl")
    rejects = read_records(tmp_path / "out/memory.rejects.jsonl")
    assert len(records) == 13
    assert rejects == [{"file": "notes/sentry_debugging.md", "line": 20,
                        "error": "'## Q' without a '## A'"}]
    assert line == ("memory-export: 13 samples -> out/memory.jsonl; skipped 1 "
                    "(notes/sentry_debugging.md:20: '## Q' without a '## A') -> "
                    "out/memory.rejects.jsonl; redacted 2 (aws_access_key x1, aws_secret_key x1)")
    [ci] = [r for r in records if "ci" in r["_metadata"]["tags"]]
    assert "[REDACTED:aws_access_key]" in ci["output"]
    assert ci["_metadata"]["redactions"] == {"aws_access_key": 1, "aws_secret_key": 1}


def test_history_export_of_the_shipped_example_with_tools(afs, tmp_path):
    result = afs("training", "history-export", "--output", "history.jsonl",
                 "--history-root", EXAMPLE_CONTEXT / "history", "--include-tools")

    line = summary_line(result)
    records = read_records(tmp_path / "history.jsonl")
    assert len(records) == 13
    assert [r["source"] for r in records][:3] == [
        "events_20250314.jsonl:2", "events_20250314.jsonl:3", "events_20250314.jsonl:5"]
    assert line.startswith("history-export: 13 samples -> history.jsonl; skipped 1 "
                           "(events_20250315.jsonl:7: malformed JSON: ")
    assert line.endswith("-> history.rejects.jsonl; left out 8 (cli_event x4, fs_event x4); "
                         "redacted 3 (authorization_header x1, github_token x1, openai_key x1)")


def test_default_roots_are_under_home(afs, tmp_path):
    # the afs fixture runs with HOME=tmp_path
    shutil.copytree(EXAMPLE_CONTEXT, tmp_path / ".context")
    memory = summary_line(afs("training", "memory-export", "--output", "m.jsonl"))
    history = summary_line(afs("training", "history-export", "--output", "h.jsonl"))
    assert memory.startswith("memory-export: 13 samples -> m.jsonl")
    assert history.startswith("history-export: 7 samples -> h.jsonl")
    assert "left out 14 (tool_event x6, cli_event x4, fs_event x4)" in history


def test_tilde_roots_filters_and_limit(afs, tmp_path):
    shutil.copytree(EXAMPLE_CONTEXT / "memory", tmp_path / "agent/memory")
    result = afs("training", "memory-export", "--output", "~/sprites.jsonl",
                 "--memory-root", "~/agent/memory", "--include-tag", "sprites",
                 "--exclude-tag", "oam", "--min-confidence", "0.85", "--limit", "2")

    line = summary_line(result)
    records = read_records(tmp_path / "sprites.jsonl")
    assert [r["source"] for r in records] == ["snes_facts.jsonl:3", "snes_facts.jsonl:4"]
    assert line.startswith(f"memory-export: 2 samples -> {tmp_path}/sprites.jsonl (stopped at "
                           "the limit); skipped 1")
    assert "left out 6 (no_included_tag x5, below_min_confidence x1)" in line


def test_history_tags_select_events(afs, tmp_path):
    result = afs("training", "history-export", "--output", "build.jsonl", "--history-root",
                 EXAMPLE_CONTEXT / "history", "--include-tools", "--include-tag", "build")
    summary_line(result)
    records = read_records(tmp_path / "build.jsonl")
    assert {r["_metadata"]["tool"] for r in records} == {"bash"}
    assert all("build" in r["_metadata"]["tags"] for r in records)


def test_missing_root_and_bad_options_are_one_line_errors(afs):
    assert_user_error(afs("training", "memory-export", "--output", "m.jsonl", "--memory-root",
                          "nowhere"), "nowhere: no such memory folder")
    assert_user_error(afs("training", "history-export", "--output", "h.jsonl"),
                      ".context/history: no such history folder")
    assert_user_error(afs("training", "memory-export", "--output", "m.jsonl", "--memory-root",
                          ".", "--min-confidence", "1.5"), "min_confidence must be in [0, 1]")
    assert_user_error(afs("training", "history-export", "--output", "h.jsonl", "--history-root",
                          ".", "--limit", "-1"), "limit must be 0 or more")


def test_help_lists_both_commands(afs):
    result = afs("training", "--help")
    assert result.returncode == 0
    assert "memory-export" in result.stdout and "history-export" in result.stdout
