"""`.context` layout: what --path means, init's folders and metadata, refusal without force."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from afs.context.layout import (
    CONTEXT_DIRS,
    METADATA_FILE,
    SCHEMA_VERSION,
    context_dir,
    default_context_name,
    init_context,
    metadata_problems,
    read_metadata,
)
from afs.errors import ConfigError, DataError


def test_path_names_the_context_folder_or_the_project_that_holds_it(tmp_path):
    assert context_dir(tmp_path / ".context") == tmp_path / ".context"
    assert context_dir(tmp_path / "proj") == tmp_path / "proj" / ".context"


def test_init_creates_the_layout_and_metadata(tmp_path):
    info = init_context(tmp_path / ".context", "default")

    root = tmp_path / ".context"
    assert info.path == root and info.name == "default"
    assert sorted(p.name for p in root.iterdir()) == sorted([*CONTEXT_DIRS, METADATA_FILE])
    metadata = json.loads((root / METADATA_FILE).read_text())
    assert metadata["schema_version"] == SCHEMA_VERSION and metadata["name"] == "default"
    assert datetime.fromisoformat(metadata["created"]).tzinfo is not None
    assert read_metadata(root) == metadata
    assert not [p for p in root.iterdir() if p.name.endswith(".tmp")]


def test_init_in_a_project_folder_keeps_existing_files(tmp_path):
    memory = tmp_path / "proj/.context/memory"
    memory.mkdir(parents=True)
    (memory / "facts.jsonl").write_text("{}\n")

    info = init_context(tmp_path / "proj", None)

    assert info.path == tmp_path / "proj/.context" and info.name == "proj"
    assert (memory / "facts.jsonl").read_text() == "{}\n"


def test_init_refuses_an_existing_context_unless_forced(tmp_path):
    first = init_context(tmp_path / ".context", "one")
    metadata_path = tmp_path / ".context" / METADATA_FILE
    metadata = json.loads(metadata_path.read_text())
    metadata_path.write_text(json.dumps({**metadata, "note": "kept"}))

    with pytest.raises(ConfigError, match="already a context.*--force"):
        init_context(tmp_path / ".context", "two")
    again = init_context(tmp_path / ".context", "two", force=True)

    assert again.name == "two" and again.created == first.created
    assert json.loads(metadata_path.read_text())["note"] == "kept"


def test_init_refuses_a_file_where_the_context_or_a_folder_belongs(tmp_path):
    (tmp_path / ".context").write_text("not a folder")
    with pytest.raises(ConfigError, match="not a folder"):
        init_context(tmp_path / ".context", "x")
    (tmp_path / "p/.context").mkdir(parents=True)
    (tmp_path / "p/.context/memory").write_text("")
    with pytest.raises(ConfigError, match="memory: exists and is not a folder"):
        init_context(tmp_path / "p", "x")


@pytest.mark.parametrize("name", ["", "   ", "two\nlines", "x" * 201])
def test_bad_names_are_refused(tmp_path, name):
    with pytest.raises(ConfigError, match="context name"):
        init_context(tmp_path / ".context", name)


def test_default_name_of_the_home_context(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_context_name(tmp_path / ".context") == "default"
    assert default_context_name(tmp_path / "src/zelda/.context") == "zelda"


def test_metadata_problems_name_each_bad_field():
    assert metadata_problems([]) == ["must be a JSON object, not list"]
    problems = metadata_problems({"schema_version": 99, "name": "", "created": "yesterday"})
    assert "no 'updated' field" in problems
    assert any("newer than this afs" in p for p in problems)
    assert any("empty" in p for p in problems)
    assert any("created must be an ISO 8601 time" in p for p in problems)


def test_read_metadata_names_the_file_and_line(tmp_path):
    (tmp_path / METADATA_FILE).write_text('{\n  "name": \n}')
    with pytest.raises(DataError, match=r"metadata.json:3: not JSON"):
        read_metadata(tmp_path)
