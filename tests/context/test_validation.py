"""validate_context: each kind of problem, with its code and path; a fresh context is clean."""

from __future__ import annotations

import json
import os

import pytest

from afs.context.layout import METADATA_FILE, init_context
from afs.context.validation import PROBLEM_CODES, Problem, validate_context
from afs.errors import ConfigError


@pytest.fixture
def root(tmp_path):
    return init_context(tmp_path / ".context", "test").path


def codes(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(problem.code, problem.path.name) for problem in problems]


def test_a_fresh_context_has_no_problems(root):
    assert validate_context(root) == []


def test_missing_folders_and_metadata(root):
    (root / "tools").rmdir()
    (root / "knowledge").rmdir()
    (root / "knowledge").write_text("oops")
    (root / METADATA_FILE).unlink()

    assert codes(validate_context(root)) == [
        ("not_a_dir", "knowledge"), ("missing_metadata", METADATA_FILE), ("missing_dir", "tools")]


@pytest.mark.parametrize("text, message", [
    ("{", "line 1: not JSON"),
    ("[1]", "must be a JSON object"),
    ('{"schema_version": 1, "name": "x", "created": "2025-01-01T00:00:00Z"}',
     "no 'updated' field"),
])
def test_bad_metadata(root, text, message):
    (root / METADATA_FILE).write_text(text)
    [problem] = validate_context(root)
    assert problem.code == "bad_metadata" and message in problem.message
    assert str(problem) == f"{root / METADATA_FILE}: bad_metadata: {problem.message}"


def test_broken_looping_and_escaping_symlinks(root, tmp_path):
    (tmp_path / "outside.md").write_text("x")
    (root / "memory/gone.md").symlink_to("missing.md")
    (root / "memory/self").symlink_to("self")
    (root / "memory/out.md").symlink_to(tmp_path / "outside.md")
    (root / "memory/in.md").symlink_to("../history", target_is_directory=True)

    problems = validate_context(root)

    assert codes(problems) == [("broken_symlink", "gone.md"), ("escaping_symlink", "out.md"),
                               ("broken_symlink", "self")]
    assert "loops" in problems[2].message
    assert {problem.code for problem in problems} <= set(PROBLEM_CODES)


def test_unreadable_file_and_folder(root, monkeypatch):
    secret, locked = root / "memory/secret.jsonl", root / "history/locked"
    secret.write_text("{}")
    locked.mkdir()
    # (tests may run as root, who can read anything: deny the two paths by hand)
    real_open, real_scandir = os.open, os.scandir

    def deny(real, path, *args):
        if os.fspath(path) in (str(secret), str(locked)):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args)

    monkeypatch.setattr(os, "open", lambda path, *a: deny(real_open, path, *a))
    monkeypatch.setattr(os, "scandir", lambda path=".": deny(real_scandir, path))

    problems = validate_context(root)

    assert codes(problems) == [("unreadable_dir", "locked"), ("unreadable_file", "secret.jsonl")]
    assert problems[1].message == "Permission denied"


def test_to_dict_and_a_missing_context(root, tmp_path):
    (root / "scratchpad").rmdir()
    [problem] = validate_context(root)
    assert json.loads(json.dumps(problem.to_dict())) == {
        "path": str(root / "scratchpad"), "code": "missing_dir",
        "message": "standard folder is missing"}
    with pytest.raises(ConfigError, match="no such context folder"):
        validate_context(tmp_path / "nowhere")
