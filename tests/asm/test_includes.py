"""A program in several files: validate(text, path=…) follows `incsrc`/`incbin` as asar does
(tests/asm/data/project, which the real asar assembles with no error: see
test_asar_verdicts.py), names the file of each issue, and reads a file alone as a part of a
program whose other files it cannot see."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from afs.asm import validate
from afs.asm.diagnostics import line_count

PROJECT = Path(__file__).parent / "data" / "project"
MAIN = PROJECT / "main.asm"
LIB = PROJECT / "lib"


def check(path: Path, **options):
    return validate(path.read_text(encoding="utf-8"), path=path, **options)


@pytest.fixture
def project(tmp_path):
    """A copy of the project to change (the validator reads it, so the copy is on disk)."""
    copy = tmp_path / "project"
    shutil.copytree(PROJECT, copy)
    return copy


def test_a_program_in_several_files_is_checked_as_one():
    result = check(MAIN, include_dirs=[LIB])
    assert result.valid, result.errors
    # names defined in one file and used in another all resolve; asar warns about `db #$0B` too
    assert [(w.file, w.line, w.code) for w in result.warnings] == [("", 28, "asar_warning")]
    files = [p for p in PROJECT.rglob("*.asm")]
    assert len(files) == 8
    assert result.lines == sum(line_count(p.read_text()) for p in files)


def test_without_its_include_directory_a_file_is_missing_at_the_line_naming_it():
    result = check(MAIN)
    assert [(e.file, e.line, e.code) for e in result.errors] == [("", 23, "missing_file")]
    assert "tables.asm" in result.errors[0].message


def test_an_issue_in_an_included_file_names_that_file_and_its_line(project):
    helpers = project / "engine" / "helpers.asm"
    helpers.write_text(helpers.read_text().replace("STZ $00", "STZ #$00"))
    main = project / "main.asm"
    result = validate(main.read_text(), path=main, include_dirs=[project / "lib"])
    (issue,) = result.errors
    assert (issue.file, issue.line, issue.column, issue.code) == (
        str(project / "engine" / "helpers.asm"), 3, 5, "immediate_on_store")
    assert str(issue).startswith(f"{project / 'engine' / 'helpers.asm'}:3:5: ")


def test_names_are_shown_as_reached_from_the_path_given(project, monkeypatch):
    monkeypatch.chdir(project.parent)
    (project / "engine" / "helpers.asm").write_text("Engine_Clear:\n    FOO\n")
    result = validate((project / "main.asm").read_text(), path="project/main.asm",
                      include_dirs=["project/lib"])
    assert [(e.file, e.line) for e in result.errors] == [("project/engine/helpers.asm", 2)]


def test_an_incbin_moves_the_pc_by_the_size_of_its_file(project):
    init = project / "engine" / "init.asm"
    init.write_text(init.read_text().replace("== 32", "== 33"))
    result = check(project / "main.asm", include_dirs=[project / "lib"])
    assert [(Path(e.file).name, e.code) for e in result.errors] == [("init.asm",
                                                                      "error_command")]


def test_an_error_in_a_macro_of_another_file_names_the_macro_and_its_file(project):
    macros = project / "macros.asm"
    macros.write_text(macros.read_text().replace("REP #$20", "REP $20,Z"))
    result = check(project / "main.asm", include_dirs=[project / "lib"])
    assert [(e.file, e.line) for e in result.errors] == [("", 10)]  # the call
    assert result.errors[0].message.startswith(f"in macro SetA16 ({project / 'macros.asm'}:3)")


def test_a_file_is_looked_for_next_to_its_includer_then_in_include_dirs_then_here(
        tmp_path, monkeypatch):
    for folder in ("src/sub", "inc", "cwd"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "src/main.asm").write_text("org $008000\nincsrc sub/a.asm\n")
    (tmp_path / "src/sub/a.asm").write_text("incsrc b.asm\n")
    (tmp_path / "src/sub/b.asm").write_text("NOP\n")     # next to a.asm: wins
    (tmp_path / "inc/b.asm").write_text("FOO\n")
    (tmp_path / "cwd/b.asm").write_text("FOO\n")
    monkeypatch.chdir(tmp_path / "cwd")
    main = tmp_path / "src/main.asm"
    assert check(main, include_dirs=[tmp_path / "inc"]).valid
    (tmp_path / "src/sub/b.asm").unlink()
    assert [Path(e.file).parent.name for e in check(main, include_dirs=[tmp_path / "inc"])
            .errors] == ["inc"]
    assert [e.file for e in check(main).errors] == ["b.asm"]  # the working directory's


def test_missing_files_and_include_cycles_are_errors_at_their_line(tmp_path):
    (tmp_path / "main.asm").write_text("org $008000\nincsrc a.asm\nincbin nothere.bin\n")
    (tmp_path / "a.asm").write_text("NOP\nincsrc b.asm\n")
    (tmp_path / "b.asm").write_text("incsrc a.asm\nincsrc nothere.asm\n")
    result = check(tmp_path / "main.asm")
    found = [(Path(e.file).name if e.file else "main.asm", e.line, e.code) for e in result.errors]
    assert found == [("main.asm", 3, "missing_file"), ("b.asm", 1, "include_cycle"),
                     ("b.asm", 2, "missing_file")]
    cycle = result.errors[1].message
    assert "a.asm -> " in cycle and cycle.endswith("a.asm)")


def test_includeonce_reads_a_file_once(tmp_path):
    (tmp_path / "main.asm").write_text("org $008000\nincsrc lib.asm\nincsrc lib.asm\n")
    (tmp_path / "lib.asm").write_text("includeonce\nHelper:\nRTS\n")
    assert check(tmp_path / "main.asm").valid
    (tmp_path / "lib.asm").write_text("Helper:\nRTS\n")
    assert [e.code for e in check(tmp_path / "main.asm").errors] == ["bad_label"]


def test_a_file_alone_leaves_what_pairs_with_its_includer_as_warnings():
    for name, kind in (("hooks/vectors.asm", "unbalanced_block"),
                       ("hooks/loop_tail.asm", "bad_label")):
        alone = check(PROJECT / name)
        assert alone.valid, alone.errors
        assert "outside_context" in [w.code for w in alone.warnings]
        # a text given without its file is read as asar reads a patch: a whole program
        text = validate((PROJECT / name).read_text())
        assert [e.code for e in text.errors] == [kind]


def test_a_file_that_includes_others_is_a_whole_program(tmp_path):
    (tmp_path / "part.asm").write_text("NOP\n")
    (tmp_path / "main.asm").write_text("org $008000\nincsrc part.asm\npullpc\n.orphan\n")
    result = check(tmp_path / "main.asm")
    assert [(e.line, e.code) for e in result.errors] == [(3, "unbalanced_block"),
                                                         (4, "bad_label")]


def test_a_file_read_from_its_path_starts_where_its_includer_left_the_pc(tmp_path):
    # no org of its own: it may be included anywhere, so 40 KB of data cross no bank here
    data = tmp_path / "data.asm"
    data.write_text("Data:\n" + "dd $00000000\n" * 10240)
    assert check(data).valid
    assert [e.code for e in validate(data.read_text()).errors][:1] == ["bad_address"]
