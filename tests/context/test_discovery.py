"""discover_contexts: depth limit, ignored and hidden folders, symlink loops, broken links;
ensure_context / ensure_all: repairs and dry runs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from afs.context.discovery import discover_contexts
from afs.context.layout import CONTEXT_DIRS, METADATA_FILE, init_context
from afs.context.repair import ensure_all, ensure_context
from afs.context.validation import validate_context
from afs.errors import ConfigError


def make_context(folder: Path, name: str | None = None) -> Path:
    return init_context(folder / ".context", name).path


@pytest.fixture
def tree(tmp_path):
    """src/{alpha, games/zelda, archive/old, .git/hooks, a/b/c/d/deep} each with a .context."""
    src = tmp_path / "src"
    for project in ("alpha", "games/zelda", "archive/old", ".git/hooks", "a/b/c/d/deep"):
        make_context(src / project)
    (src / "games/zelda/.context/memory/facts.jsonl").write_text("x" * 100)
    return src


def paths(found, root: Path) -> list[str]:
    return [str(context.path.relative_to(root)) for context in found]


def test_finds_contexts_skipping_ignored_and_hidden_folders(tree):
    found = discover_contexts(tree)

    assert paths(found, tree) == ["a/b/c/d/deep/.context", "alpha/.context",
                                  "games/zelda/.context"]
    zelda = found[2]
    assert (zelda.name, zelda.depth, zelda.project) == ("zelda", 2, tree / "games/zelda")
    assert zelda.files == 2 and zelda.bytes > 100 and not zelda.is_symlink
    assert json.loads(json.dumps(zelda.to_dict()))["files"] == 2


def test_ignore_patterns_and_hidden_folders_can_be_searched(tree):
    assert paths(discover_contexts(tree, ignore=("game*", "a")), tree) == [
        "alpha/.context", "archive/old/.context"]
    assert ".git/hooks/.context" in paths(discover_contexts(tree, include_hidden=True), tree)


def test_depth_limit(tree):
    assert paths(discover_contexts(tree, max_depth=1), tree) == ["alpha/.context"]
    assert paths(discover_contexts(tree, max_depth=4), tree) == ["alpha/.context",
                                                                 "games/zelda/.context"]
    assert len(discover_contexts(tree, max_depth=5)) == 3
    make_context(tree)
    assert paths(discover_contexts(tree, max_depth=0), tree) == [".context"]


def test_a_context_folder_as_root_is_the_only_result(tree):
    [found] = discover_contexts(tree / "alpha/.context")
    assert found.path == tree / "alpha/.context" and found.depth == 0


def test_symlink_loops_end_and_symlinked_projects_are_found(tree, tmp_path):
    (tree / "alpha/loop").symlink_to(tree, target_is_directory=True)
    (tree / "alpha/self").symlink_to(".", target_is_directory=True)
    elsewhere = tmp_path / "elsewhere"
    make_context(elsewhere / "beta")
    (tree / "linked").symlink_to(elsewhere, target_is_directory=True)
    (tree / "dangling").symlink_to(tmp_path / "missing", target_is_directory=True)
    (tree / "omega").mkdir()
    (tree / "omega/.context").symlink_to(tree / "alpha/.context", target_is_directory=True)

    found = discover_contexts(tree, max_depth=50)

    assert paths(found, tree) == ["a/b/c/d/deep/.context", "alpha/.context",
                                  "games/zelda/.context", "linked/beta/.context",
                                  "omega/.context"]
    assert [context.is_symlink for context in found] == [False] * 4 + [True]


def test_unlistable_folders_go_to_on_error(tree, monkeypatch):
    real_scandir = os.scandir

    def scandir(path="."):
        if Path(path).name == "games":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    errors = []
    found = discover_contexts(tree, on_error=lambda folder, exc: errors.append(folder))
    assert errors == [tree / "games"] and len(found) == 2


def test_bad_roots_and_depths(tmp_path):
    with pytest.raises(ConfigError, match="no such folder"):
        discover_contexts(tmp_path / "nope")
    with pytest.raises(ConfigError, match="max_depth"):
        discover_contexts(tmp_path, max_depth=-1)


def test_ensure_context_repairs_and_dry_run_writes_nothing(tmp_path):
    root = tmp_path / "proj/.context"
    (root / "memory").mkdir(parents=True)
    before = sorted(os.listdir(root))

    planned = ensure_context(root, dry_run=True)

    assert sorted(os.listdir(root)) == before
    assert [(a.kind, a.path.name) for a in planned] == [
        *(("create_dir", name) for name in CONTEXT_DIRS if name != "memory"),
        ("write_metadata", METADATA_FILE)]
    assert ensure_context(root) == planned
    assert validate_context(root) == [] and ensure_context(root) == []
    assert json.loads((root / METADATA_FILE).read_text())["name"] == "proj"


def test_ensure_context_fixes_metadata_and_keeps_what_it_can(tmp_path):
    root = init_context(tmp_path / ".context", "keep-me").path
    metadata = json.loads((root / METADATA_FILE).read_text())
    del metadata["updated"]
    (root / METADATA_FILE).write_text(json.dumps({**metadata, "created": "?", "note": 1}))

    [action] = ensure_context(root)

    fixed = json.loads((root / METADATA_FILE).read_text())
    assert action.kind == "fix_metadata" and "no 'updated' field" in action.detail
    assert fixed["name"] == "keep-me" and fixed["note"] == 1 and fixed["created"] != "?"
    assert validate_context(root) == []


def test_unparsable_metadata_is_kept_as_a_backup(tmp_path):
    root = init_context(tmp_path / ".context", "x").path
    for text in ("my notes {", "[1, 2]"):
        (root / METADATA_FILE).write_text(text)
        [action] = ensure_context(root)
        assert action.kind == "fix_metadata" and "metadata.json.bak" in action.detail
    assert (root / "metadata.json.bak").read_text() == "my notes {"
    assert (root / "metadata.json.bak2").read_text() == "[1, 2]"
    assert validate_context(root) == []


def test_newer_metadata_is_left_alone(tmp_path):
    root = init_context(tmp_path / ".context", "x").path
    text = json.dumps({**json.loads((root / METADATA_FILE).read_text()), "schema_version": 9})
    (root / METADATA_FILE).write_text(text)
    assert ensure_context(root) == []
    assert (root / METADATA_FILE).read_text() == text


def test_ensure_all_repairs_every_discovered_context(tree):
    for name in ("alpha", "games/zelda", "archive/old"):
        (tree / name / ".context/tools").rmdir()

    dry = ensure_all(tree, dry_run=True)
    done = ensure_all(tree)

    assert [(r.path.parent.name, len(r.actions)) for r in done] == [
        ("deep", 0), ("alpha", 1), ("zelda", 1)]
    assert [r.to_dict() for r in dry] == [r.to_dict() for r in done]
    assert all(not r.actions for r in ensure_all(tree))
    assert not (tree / "archive/old/.context/tools").exists()  # ignored, so never touched
