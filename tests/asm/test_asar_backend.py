"""The asar backend reads what asar 1.91 prints (tests/asm/data/asar_messages, see its README)
into the validator's issues, on the lines of the user's files and never naming the scratch
directory; its own failures are verdicts on the text, never a crash of the caller.

The parser tests read recorded output and need no asar. A stand-in binary that replays a
recorded output checks the run around it (where asar runs, what it is given). With a real
asar on PATH (or $AFS_ASAR) the cases are run again through it."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from afs.asm.asar_backend import (ERROR_LIMIT, AsarMessage, AsarSource, macro_around,
                                  parse_asar_output, read_messages, validate_with_asar)
from afs.asm.diagnostics import ValidationIssue

CASES = Path(__file__).parent / "data" / "asar_messages"
CASE_NAMES = sorted(p.name for p in CASES.iterdir() if p.is_dir())
ASAR = os.environ.get("AFS_ASAR") or shutil.which("asar")
needs_asar = pytest.mark.skipif(not ASAR, reason="no asar binary (PATH or AFS_ASAR)")


def _case(name: str) -> dict:
    return json.loads((CASES / name / "case.json").read_text(encoding="utf-8"))


def _main(name: str) -> str:
    return next(arg for arg in _case(name)["args"] if arg.endswith(".asm"))


def _source(name: str, folder: Path | None = None) -> AsarSource:
    folder = folder or CASES / name
    main = folder / _main(name)
    text = main.read_text(encoding="utf-8") if main.exists() else ""
    return AsarSource(_main(name), text, folder.resolve(), in_place=_case(name)["in_place"])


def _expected(name: str) -> tuple[list[ValidationIssue], list[ValidationIssue]]:
    errors, warnings = [], []
    for row in (CASES / name / "expected.tsv").read_text(encoding="utf-8").splitlines():
        if row.startswith("#"):
            continue
        severity, file, line, column, code, message = row.split("\t")
        issue = ValidationIssue(int(line), int(column), code, message, file)
        (errors if severity == "error" else warnings).append(issue)
    return errors, warnings


def _parsed(name: str) -> tuple[list[ValidationIssue], list[ValidationIssue]]:
    stderr = (CASES / name / "asar.stderr").read_text(encoding="utf-8")
    return parse_asar_output(stderr, _source(name))


def _issues(issues: list[ValidationIssue]) -> list[tuple]:
    return [(i.file, i.line, i.code, i.message) for i in issues]


# -- every recorded case -------------------------------------------------------------------

@pytest.mark.parametrize("name", CASE_NAMES)
def test_recorded_output_gives_the_expected_issues(name):
    assert _parsed(name) == _expected(name)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_every_diagnostic_line_asar_printed_is_read(name):
    stderr = (CASES / name / "asar.stderr").read_text(encoding="utf-8")
    assert len(read_messages(stderr)) == len(stderr.splitlines())


# -- one test per message shape ------------------------------------------------------------

def test_a_plain_message_is_at_its_line_without_the_echoed_statement():
    errors, warnings = _parsed("plain")
    assert ("", 5, "unknown_command", "Unknown command.") in _issues(errors)
    assert _issues(warnings) == [("", 4, "65816_yy_x_does_not_exist",
                                  "($yy),x does not exist, assuming $yy,x.")]


def test_asar_s_missing_org_notice_is_not_an_issue():
    assert "missing_org" in (CASES / "plain" / "asar.stderr").read_text()
    assert all(i.code != "missing_org" for i in sum(_parsed("plain"), []))


def test_a_block_left_open_is_put_on_the_last_line_not_past_the_end():
    errors, _ = _parsed("plain")  # asar names line 9 of a 7-line file
    assert ("", 7, "unclosed_if", "Unclosed if statement. (at the end of the file)") in \
        _issues(errors)


def test_user_messages_keep_their_own_brackets():
    errors, warnings = _parsed("commands")
    assert _issues(errors) == [
        ("", 4, "error_command", "error command: stop [here]"),
        ("", 5, "assertion_failed", "Assertion failed: one [1] is not two"),
        ("", 6, "assertion_failed", "Assertion failed.")]
    assert _issues(warnings) == [("", 3, "warn_command", "warn command: check [this] later")]


def test_a_line_of_an_expanded_macro_is_reported_at_the_call_naming_macro_and_line():
    errors, warnings = _parsed("macros")
    # asar: `main.asm:8 (called from main.asm:13)`; FROB is line 9, in Twice
    assert ("", 13, "unknown_command", "in macro Twice (line 9): Unknown command.") in \
        _issues(errors)
    assert ("", 12, "unresolved", "in macro Store (line 5): Label 'Nowhere' wasn't found.") \
        in _issues(warnings)


def test_a_nested_expansion_names_the_inner_macro_at_the_outermost_call():
    _, warnings = _parsed("macros")  # line 13 calls Twice, which calls Store
    assert ("", 13, "unresolved", "in macro Store (line 5): Label 'Nowhere' wasn't found.") \
        in _issues(warnings)


def test_a_call_that_fails_itself_is_at_the_call():
    errors, warnings = _parsed("macros")
    assert ("", 14, "unresolved", "Macro 'Missing' wasn't found.") in _issues(warnings)
    assert ("", 16, "macro_wrong_num_params", "Wrong number of parameters to macro.") in \
        _issues(errors)


def test_the_call_asar_keeps_printing_after_a_failed_call_is_not_read_as_an_expansion():
    errors, warnings = _parsed("macros")
    # asar: `main.asm:15 (called from main.asm:14)`: line 15 is in no macro
    assert ("", 15, "unresolved", "Label 'Later1' wasn't found.") in _issues(warnings)
    assert ("", 17, "unresolved", "Label 'Later2' wasn't found.") in _issues(warnings)
    # a definition error printed with a stale call stays on the `macro` line
    assert ("", 18, "macro_param_redefined", "Macro parameter 'a' redefined") in _issues(errors)
    _, warnings = _parsed("macro_end")  # after an if left open at the end of an expansion
    assert ("", 8, "unresolved", "Label 'Absent' wasn't found.") in _issues(warnings)


def test_an_if_left_open_in_a_macro_is_at_the_call():
    errors, _ = _parsed("macro_end")
    assert _issues(errors) == [("", 7, "unclosed_if",
                                "in macro Open (line 5): Unclosed if statement.")]


def test_an_error_found_while_reading_a_file_is_never_an_expansion():
    errors, _ = _parsed("quotes")  # `late.asm:2 (called from main.asm:3)`, inside a macro body
    assert _issues(errors) == [("late.asm", 2, "mismatched_quotes", "Mismatched quotes.")]


def test_issues_in_included_files_name_their_file_as_reached_from_the_main_file():
    errors, warnings = _parsed("includes")
    assert _issues(errors) == [
        ("lib/shared.asm", 3, "unknown_command", "Unknown command."),   # found through -Ilib
        ("routines.asm", 3, "unknown_command", "Unknown command."),
        ("", 5, "missing_file", "File 'missing.asm' wasn't found.")]     # the user's incsrc
    assert _issues(warnings) == [
        ("inner/table.asm", 3, "unresolved", "Label 'Missing' wasn't found."),
        ("", 8, "unresolved",
         "in macro Clear (defs/macros.asm:4): Label 'Unknown' wasn't found.")]


def test_a_text_given_alone_has_missing_files_as_unresolved_names():
    errors, warnings = _parsed("text")
    assert errors == []
    assert _issues(warnings) == [("", 3, "unresolved", "File 'somewhere.asm' wasn't found."),
                                 ("", 4, "unresolved", "File 'data.bin' wasn't found.")]


def test_a_message_without_a_line_is_on_line_1_and_says_so():
    _, warnings = _parsed("noline")  # `main.asm: warning: ...` and `part.asm (called from ...)`
    no_line = [i for i in warnings if i.code == "feature_deprecated"]
    assert [(i.file, i.line) for i in no_line] == [("", 1), ("part.asm", 1)]
    assert all(i.message.endswith("(asar names no line)") for i in no_line)


def test_a_message_without_a_file_is_on_line_1():
    assert _parsed("norom") == ([ValidationIssue(1, 1, "create_rom_failed",
                                                 "Couldn't create ROM.")], [])
    assert _parsed("nomain")[0] == [ValidationIssue(1, 1, "missing_file",
                                                    "File 'nothere.asm' wasn't found.")]


def test_the_error_limit_message_says_what_was_not_checked():
    errors, _ = _parsed("limit")
    assert ("", 5, "limit_reached", "Over 2 errors detected: asar stopped here, the lines "
            "after it were not checked") in _issues(errors)


def test_read_messages_reads_every_shape_and_skips_other_lines():
    output = "\n".join([
        "a.asm:3: error: (Eunknown_command): Unknown command. [FOO]",
        "dir/b c.asm:12 (called from a.asm:4): warning: (Wfeature_deprecated): old. [x [y]]",
        "a.asm: warning: (Wfeature_deprecated): read.",
        "b.asm (called from a.asm:9): warning: (Wfeature_deprecated): read.",
        "error: (Ecreate_rom_failed): Couldn't create ROM.\r",
        "Errors were detected while assembling the patch. Assembling aborted.",
        "print output: error: not a message"])
    assert read_messages(output) == [
        AsarMessage("error", "unknown_command", "Unknown command.", "a.asm", 3),
        AsarMessage("warning", "feature_deprecated", "old.", "dir/b c.asm", 12, "a.asm", 4),
        AsarMessage("warning", "feature_deprecated", "read.", "a.asm"),
        AsarMessage("warning", "feature_deprecated", "read.", "b.asm", None, "a.asm", 9),
        AsarMessage("error", "create_rom_failed", "Couldn't create ROM.")]


def test_a_macro_in_a_file_that_cannot_be_read_is_taken_on_asar_s_word(tmp_path):
    source = AsarSource("main.asm", "%M()\n", tmp_path, in_place=True)
    errors, _ = parse_asar_output(
        "gone.asm:4 (called from main.asm:1): error: (Eunknown_command): Unknown command. [X]",
        source)
    assert errors == [ValidationIssue(1, 1, "unknown_command",
                                      "in a macro (gone.asm:5): Unknown command.")]


def test_the_scratch_directory_never_shows(tmp_path):
    scratch = str(tmp_path / "afs-asar-x")
    source = AsarSource("patch.asm", "incbin x\n", Path(scratch), hidden=scratch)
    errors, _ = parse_asar_output(
        f"patch.asm:1: error: (Efailed_to_open_file): Failed to open file '{scratch}/x'. "
        f"[incbin x]\n{scratch}/y.asm:2: error: (Eunknown_command): Unknown command. [Y]", source)
    assert _issues(errors) == [("", 1, "failed_to_open_file", "Failed to open file 'x'."),
                               ("y.asm", 2, "unknown_command", "Unknown command.")]
    assert not any(scratch in str(issue) for issue in errors)


def test_macro_around_follows_asar_s_definition_rule():
    lines = ["macro A(x)", "  NOP ; macro B()", "endmacro", "NOP", "\tMACRO C()", "  RTS",
             "ENDMACRO ; done", "RTL"]
    assert [macro_around(lines, n) for n in range(1, 9)] == \
        [None, "A", None, None, None, "C", None, None]


# -- the run around asar, with a stand-in that replays a recorded output --------------------

def _replaying(tmp_path: Path, name: str) -> str:
    """A stand-in asar that records its arguments and working directory and prints what the
    real one printed for case ``name``."""
    case, stand_in = CASES / name, tmp_path / "asar"
    stand_in.write_text(
        "#!/bin/sh\n"
        f"printf '%s\\n' \"$PWD\" \"$@\" > '{tmp_path}/call'\n"
        f"cat '{case / 'asar.stdout'}'\n"
        f"cat '{case / 'asar.stderr'}' >&2\n"
        f"exit {_case(name)['rc']}\n")
    stand_in.chmod(stand_in.stat().st_mode | stat.S_IEXEC)
    return str(stand_in)


def _copy(name: str, tmp_path: Path) -> Path:
    folder = tmp_path / name
    shutil.copytree(CASES / name, folder)
    return folder


def test_a_file_is_assembled_in_place_from_the_current_directory(tmp_path, monkeypatch):
    folder = _copy("includes", tmp_path)
    monkeypatch.chdir(folder)
    stand_in = _replaying(tmp_path, "includes")
    result = validate_with_asar((folder / "main.asm").read_text(), stand_in,
                                include_dirs=["lib"], path="main.asm")
    cwd, *args = (tmp_path / "call").read_text().splitlines()
    assert cwd == str(folder)
    assert args[:3] == ["--no-title-check", f"--error-limit={ERROR_LIMIT}", "-Ilib"]
    assert args[3] == "main.asm"
    assert Path(args[4]).name == "out.sfc" and Path(args[4]).parent != folder  # the scratch ROM
    assert (result.errors, result.warnings) == _expected("includes")
    assert not result.valid and result.lines == 9


def test_a_text_is_assembled_in_scratch_with_include_dirs_named_back(tmp_path, monkeypatch):
    folder = _copy("includes", tmp_path)
    monkeypatch.chdir(folder)
    stand_in = _replaying(tmp_path, "text")
    result = validate_with_asar((folder / "main.asm").read_text(), stand_in,
                                include_dirs=["lib"])
    cwd, *args = (tmp_path / "call").read_text().splitlines()
    assert cwd != str(folder) and Path(cwd).name.startswith("afs-asar-")
    assert args[2] == f"-I{folder / 'lib'}" and args[3] == "patch.asm"
    assert result.valid and result.warnings == _expected("text")[1]


def test_asar_failing_without_a_message_gives_a_short_clean_error(tmp_path):
    result = validate_with_asar("print \"a\"+\"b\"\n", _replaying(tmp_path, "silent"))
    assert not result.valid
    assert result.errors == [ValidationIssue(
        1, 1, "asar_failed", "asar exited with status 1 without a message about the text")]


def test_only_unresolved_names_keep_a_failed_run_valid(tmp_path):
    result = validate_with_asar("", _replaying(tmp_path, "text"))  # asar exits 1
    assert result.valid and [w.code for w in result.warnings] == ["unresolved", "unresolved"]


def test_asar_killed_by_a_signal_is_asar_failed(tmp_path):
    stand_in = tmp_path / "asar"
    stand_in.write_text("#!/bin/sh\nkill -9 $$\n")
    stand_in.chmod(stand_in.stat().st_mode | stat.S_IEXEC)
    result = validate_with_asar("NOP\n", str(stand_in))
    assert [(e.code, e.message) for e in result.errors] == [
        ("asar_failed", "asar was stopped by signal 9 before it said anything about the text")]


def test_a_path_that_is_not_a_file_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.asm: no such file"):
        validate_with_asar("", _replaying(tmp_path, "plain"), path=tmp_path / "nothere.asm")


def test_an_asar_that_does_not_finish_in_time_gives_an_error_not_a_traceback(tmp_path):
    hanging = tmp_path / "asar"  # stands in for an asar stuck on the patch
    hanging.write_text("#!/bin/sh\nsleep 30\n")
    hanging.chmod(hanging.stat().st_mode | stat.S_IEXEC)

    result = validate_with_asar("LDA #$00\nRTS\n", asar_path=str(hanging), timeout=0.5)

    assert not result.valid
    assert [(e.line, e.column, e.code) for e in result.errors] == [(1, 1, "asar_failed")]
    assert "did not finish within 0.5 s" in result.errors[0].message
    assert result.lines == 2


# -- the real asar -------------------------------------------------------------------------

@needs_asar
@pytest.mark.parametrize("name", CASE_NAMES)
def test_asar_still_prints_what_is_recorded(name, tmp_path):
    import subprocess

    folder = _copy(name, tmp_path)
    run = subprocess.run([ASAR, *_case(name)["args"]], cwd=folder, capture_output=True,
                         text=True)
    assert (run.returncode, run.stderr, run.stdout) == (
        _case(name)["rc"], (CASES / name / "asar.stderr").read_text(),
        (CASES / name / "asar.stdout").read_text())


@needs_asar
@pytest.mark.parametrize("name", [  # run as validate_with_asar runs asar; silent: see below
    n for n in CASE_NAMES if _case(n)["args"][1:2] == [f"--error-limit={ERROR_LIMIT}"]
    and _case(n)["in_place"] and n != "silent"])
def test_a_real_file_validates_to_the_expected_issues(name, tmp_path, monkeypatch):
    folder = _copy(name, tmp_path)
    monkeypatch.chdir(folder)
    before = sorted(p.name for p in folder.rglob("*"))
    result = validate_with_asar((folder / _main(name)).read_text(), ASAR,
                                include_dirs=_case(name).get("include_dirs"), path=_main(name))
    expected_errors, expected_warnings = _expected(name)
    assert (result.errors, result.warnings) == (expected_errors, expected_warnings)
    assert result.valid == (not expected_errors)
    assert sorted(p.name for p in folder.rglob("*")) == before  # no ROM written beside it


@needs_asar
def test_a_real_text_validates_to_the_expected_issues():
    result = validate_with_asar((CASES / "text" / "patch.asm").read_text(), ASAR)
    assert (result.errors, result.warnings) == _expected("text")


@needs_asar
def test_a_real_text_with_include_dirs_names_the_included_files(monkeypatch):
    monkeypatch.chdir(CASES / "includes")
    result = validate_with_asar((CASES / "includes" / "main.asm").read_text(), ASAR,
                                include_dirs=[".", "lib"])
    errors, warnings = _expected("includes")  # a text has no place: its missing incsrc is a name
    missing = errors.pop()
    assert result.errors == errors
    assert result.warnings == sorted([missing._replace(code="unresolved"), *warnings])


@needs_asar
def test_a_print_that_looks_like_an_error_is_not_read_and_silence_is_asar_failed():
    result = validate_with_asar((CASES / "silent" / "main.asm").read_text(), ASAR)
    assert [(e.code, e.message) for e in result.errors] == [
        ("asar_failed", "asar exited with status 1 without a message about the text")]


@needs_asar
def test_the_shipped_dma_file_gives_asar_s_issues_at_their_lines():
    """The issue's own example: one asar_failed at 1:1 before; now asar's messages, the
    macros it cannot find at 34, 35 and a define used in a stale call's wake at 38."""
    path = Path(__file__).parents[2] / "data" / "01_raw" / "asm" / "Core" / "dma.asm"
    result = validate_with_asar(path.read_text(), ASAR, path=path)
    warnings = {(w.line, w.message) for w in result.warnings}
    assert {(34, "Macro 'SetA8' wasn't found."), (35, "Macro 'SetXY16' wasn't found."),
            (38, "Define 'DMAP_TwoRegs' wasn't found.")} <= warnings
    assert all(i.code != "asar_failed" and "/tmp" not in i.message and "patch.asm" not in
               i.message for i in result.errors + result.warnings)
