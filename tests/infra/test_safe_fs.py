"""ContextFS never reads or writes outside the context root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afs.safe_fs import ContextEscapeError, ContextFS
from afs.errors import ConfigError


@pytest.fixture
def context(tmp_path):
    root = tmp_path / "proj/.context"
    (root / "memory/notes").mkdir(parents=True)
    (root / "memory/notes/dma.md").write_text("# DMA\n")
    (tmp_path / "secret.txt").write_text("hunter2")
    return root


def test_reads_inside_the_root(context):
    fs = ContextFS(context)
    assert fs.read_text("memory/notes/dma.md") == "# DMA\n"
    assert fs.read_bytes(Path("memory") / "notes/dma.md") == b"# DMA\n"
    assert fs.resolve("memory/./notes") == Path(os.path.realpath(context / "memory/notes"))


@pytest.mark.parametrize("relative", ["../../secret.txt", "memory/../../../secret.txt", "..",
                                      "memory/notes/../../.."])
def test_dot_dot_traversal_is_refused(context, relative):
    with pytest.raises(ContextEscapeError, match="'..' is refused"):
        ContextFS(context).read_text(relative)


def test_absolute_paths_are_refused_even_inside_the_root(context):
    fs = ContextFS(context)
    for path in (context.parent.parent / "secret.txt", context / "memory/notes/dma.md"):
        with pytest.raises(ContextEscapeError, match="absolute paths are refused"):
            fs.read_text(path)


def test_a_symlink_to_outside_is_refused(context):
    (context / "memory/leak").symlink_to(context.parent.parent / "secret.txt")
    (context / "knowledge").symlink_to(context.parent.parent, target_is_directory=True)
    fs = ContextFS(context)
    with pytest.raises(ContextEscapeError, match="symlink leads outside"):
        fs.read_text("memory/leak")
    with pytest.raises(ContextEscapeError, match="symlink leads outside"):
        fs.read_text("knowledge/secret.txt")
    with pytest.raises(ContextEscapeError):
        fs.write_text("knowledge/new.txt", "x")
    assert not (context.parent.parent / "new.txt").exists()


def test_escape_errors_are_config_and_permission_errors(context):
    with pytest.raises(ContextEscapeError) as caught:
        ContextFS(context).read_text("../x")
    assert isinstance(caught.value, ConfigError) and isinstance(caught.value, PermissionError)


def test_a_symlink_inside_the_root_is_followed(context):
    (context / "memory/latest.md").symlink_to("notes/dma.md")
    (context / "knowledge").symlink_to("memory", target_is_directory=True)
    fs = ContextFS(context)
    assert fs.read_text("memory/latest.md") == "# DMA\n"
    assert fs.read_text("knowledge/notes/dma.md") == "# DMA\n"


def test_a_context_reached_through_a_symlink_works(context, tmp_path):
    link = tmp_path / "linked"
    link.symlink_to(context, target_is_directory=True)
    assert ContextFS(link).read_text("memory/notes/dma.md") == "# DMA\n"


def test_write_text_is_atomic_and_creates_folders(context):
    fs = ContextFS(context)
    path = fs.write_text("scratchpad/today/plan.md", "step 1\n")
    assert path.read_text() == "step 1\n"
    assert [p.name for p in path.parent.iterdir()] == ["plan.md"]
    with pytest.raises(ContextEscapeError, match="context root itself"):
        fs.write_text(".", "x")


def test_iter_files_lists_safe_files_only(context, tmp_path):
    memory = context / "memory"
    (memory / "a.jsonl").write_text("{}\n")
    (memory / "inside").symlink_to("a.jsonl")
    (memory / "outside").symlink_to(tmp_path / "secret.txt")
    (memory / "broken").symlink_to("nowhere")
    (memory / "loop").symlink_to(memory, target_is_directory=True)

    files = list(ContextFS(context).iter_files("memory"))

    assert files == [Path("memory/a.jsonl"), Path("memory/inside"), Path("memory/notes/dma.md")]


def test_a_missing_root_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not a folder"):
        ContextFS(tmp_path / "nope")


_PART = st.sampled_from(["..", ".", "memory", "notes", "dma.md", "out", "in", "", "~", "a b"])


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(_PART, min_size=1, max_size=6), absolute=st.booleans())
def test_resolved_paths_never_leave_the_root(context, parts, absolute):
    """Whatever the relative path, resolve() returns a path under the real root or refuses."""
    if not (context / "memory/out").exists():
        (context / "memory/out").symlink_to(context.parent, target_is_directory=True)
        (context / "memory/in").symlink_to("notes", target_is_directory=True)
    fs = ContextFS(context)
    relative = ("/" if absolute else "") + "/".join(parts)
    try:
        resolved = fs.resolve(relative)
    except ContextEscapeError:
        return
    real_root = Path(os.path.realpath(context))
    assert resolved == real_root or real_root in resolved.parents


def test_walk_reports_each_refused_path_with_its_reason(context, tmp_path):
    memory = context / "memory"
    (memory / "a.md").write_text("## Q\nq\n## A\na\n")
    (memory / "file_out.md").symlink_to(tmp_path / "secret.txt")
    (memory / "dir_out").symlink_to(tmp_path, target_is_directory=True)
    (memory / "dotdot.md").symlink_to("../../../secret.txt")
    (memory / "loop").symlink_to("..", target_is_directory=True)  # the context: outside memory/
    (memory / "notes/back").symlink_to("..", target_is_directory=True)  # memory/: a loop
    (memory / "a").symlink_to("b")
    (memory / "b").symlink_to("a")
    (memory / "gone.md").symlink_to("missing.md")
    (memory / "alias").symlink_to("notes", target_is_directory=True)  # read once, as notes/
    (memory / "latest.md").symlink_to("notes/dma.md")  # a file link inside: read
    (memory / "other.txt").symlink_to(tmp_path / "secret.txt")  # not wanted: not reported
    skipped = []

    files = list(ContextFS(context).walk("memory", [".md"], skipped))

    assert [path.relative_to(context).as_posix() for path in files] == [
        "memory/a.md", "memory/latest.md", "memory/notes/dma.md"]
    kinds = {item.path: item.kind for item in skipped}
    assert kinds == {"memory/a": "broken_symlink", "memory/b": "broken_symlink",
                     "memory/dir_out": "escaping_symlink", "memory/dotdot.md": "escaping_symlink",
                     "memory/file_out.md": "escaping_symlink", "memory/gone.md": "broken_symlink",
                     "memory/loop": "escaping_symlink", "memory/notes/back": "symlink_loop"}
    reasons = {item.path: item.reason for item in skipped}
    assert reasons["memory/notes/back"] == "symlink loop (leads back to the root)"
    assert reasons["memory/a"] == "symlink loop (the link never resolves: b)"
    assert reasons["memory/gone.md"] == "broken symlink"
    assert reasons["memory/file_out.md"] == (f"symlink leads outside the root (to "
                                             f"{os.path.realpath(tmp_path / 'secret.txt')})")
    assert str(skipped[0]).startswith("memory/a: symlink loop")


def test_walk_refuses_a_folder_that_is_itself_a_link_out(context, tmp_path):
    (context / "knowledge").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(ContextEscapeError, match="symlink leads outside"):
        list(ContextFS(context).walk("knowledge"))


_TARGETS = st.sampled_from(["..", ".", "../..", "notes", "notes/dma.md", "../../../secret.txt",
                            "missing", "l0", "l1", "l2", "notes/l0", "/"])


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(links=st.lists(st.tuples(st.sampled_from(["l0", "l1", "l2", "notes/l0", "notes/l3.md"]),
                                _TARGETS), min_size=1, max_size=5, unique_by=lambda t: t[0]))
def test_a_walk_never_yields_a_file_outside_its_root_and_always_ends(context, links):
    """Whatever symlinks a memory folder holds, the walk ends, every file it yields really
    lies inside the folder, and what it refuses is refused for a reason of the rule."""
    memory = context / "memory"
    for name, _ in links:
        if os.path.lexists(memory / name):
            (memory / name).unlink()
    for name, target in links:
        (memory / name).symlink_to(target)
    real_root = Path(os.path.realpath(memory))
    skipped = []
    files = list(ContextFS(memory).walk(skipped=skipped))
    for path in files:
        real = Path(os.path.realpath(path))
        assert real.is_file() and (real_root in real.parents)
    assert {item.kind for item in skipped} <= {"escaping_symlink", "broken_symlink",
                                               "symlink_loop"}
