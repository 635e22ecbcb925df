"""The context-audit agent on a tree with a good context, a broken one and an ignored one."""

from __future__ import annotations

import json
import os
import time

import pytest

from afs.agents.base import get_agent, run_agent
from afs.agents.context_audit import audit_contexts
from afs.context.layout import init_context
from afs.errors import ConfigError

DAY = 86400


@pytest.fixture
def tree(tmp_path):
    """src/good/.context (valid, one 40-day-old note), src/team/broken/.context (no metadata,
    only memory/), src/archive/old/.context (ignored by default)."""
    root = tmp_path / "src"
    good = init_context(root / "good", name="good").path
    note = good / "memory" / "note.md"
    note.write_text("## Q?\nA.\n")
    old = time.time() - 40 * DAY
    os.utime(note, (old, old))
    (good / "history" / "events_20250101.jsonl").write_text("{}\n")
    broken = root / "team" / "broken" / ".context"
    (broken / "memory").mkdir(parents=True)
    (broken / "memory" / "facts.jsonl").write_text("{}\n")
    init_context(root / "archive" / "old")
    return root


def test_the_report_counts_validates_measures_and_lists_stale_files(tree, tmp_path):
    output = tmp_path / "audit.json"
    result = run_agent(get_agent("context-audit"),
                       ["--", "--path", str(tree), "--output", str(output)])
    report = json.loads(output.read_text())
    counts = report["counts"]
    assert counts["contexts"] == 2 and counts["valid"] == 1 and counts["with_problems"] == 1
    assert counts["problems_by_code"]["missing_metadata"] == 1
    assert counts["problems_by_code"]["missing_dir"] == 6  # all standard folders but memory/
    assert counts["stale_files"] == 1
    good, broken = report["contexts"]
    assert good["name"] == "good" and good["valid"] and not good["problems"]
    assert good["stale_files"][0]["path"] == "memory/note.md"
    assert good["stale_files"][0]["age_days"] == pytest.approx(40, abs=0.2)
    assert good["subdirs"]["history"] == {"files": 1, "bytes": 3}
    assert good["files"] == 3 and good["bytes"] == good["subdirs"]["memory"]["bytes"] + 3 + \
        (tree / "good" / ".context" / "metadata.json").stat().st_size
    assert broken["path"].endswith("team/broken/.context") and not broken["valid"]
    assert {p["code"] for p in broken["problems"]} == {"missing_metadata", "missing_dir"}
    assert result.exit_code == 0
    assert result.summary.startswith("2 contexts: 1 valid, 1 with problems (7: missing_dir x6, "
                                     "missing_metadata x1); 4 files")
    assert result.summary.endswith(f"-> {output}")


def test_fail_on_problems_sets_the_exit_code_and_stdout_gets_the_json(tree):
    result = run_agent(get_agent("context-audit"),
                       ["--path", str(tree), "--fail-on-problems", "--stale-days", "100"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["counts"]["stale_files"] == 0 and report["stale_days"] == 100


def test_ignore_and_depth_flags_replace_the_configured_ones(tree):
    everything = audit_contexts(tree, ignore=[])
    assert everything["counts"]["contexts"] == 3
    shallow = audit_contexts(tree, max_depth=1)
    assert [c["name"] for c in shallow["contexts"]] == ["good"]


def test_a_missing_root_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="no such folder"):
        audit_contexts(tmp_path / "nowhere")
