"""``validate(text, backend="asar")``: assemble with a real asar binary and read its verdict.

The binary is ``asar_path``, else $AFS_ASAR, else `asar` on PATH. A text is assembled from a
scratch directory; a file given by ``path`` is assembled where it is, so its `incsrc`/`incbin`
resolve as asar resolves them. Either way asar patches a blank 512 KiB ROM in the scratch
directory, so nothing of the user's is touched.

asar 1.91 writes one line per message to stderr (its summary and the text's `print`s go to
stdout, which is not read), in one of these shapes::

    FILE:LINE: error: (Eid): message [statement]
    FILE:LINE (called from FILE:LINE): warning: (Wid): message [statement]
    FILE: warning: (Wid): message                 (no line: found while reading the file)
    FILE (called from FILE:LINE): warning: ...    (the same, after a macro call that failed)
    error: (Eid): message                         (no file: the command line, the ROM)

Each becomes a ValidationIssue with asar's id (without E/W) as its code, on the line of the
validated file it concerns, or with ``file`` naming the included file it is in (as asar names
it, i.e. as reached from the user's path; never the scratch directory). On a line of an
expanded macro asar names the line above the body line (1.91 counts from the `macro` line) and
the outermost call; the issue goes to the call, saying `in macro NAME (WHERE): ...` as the
built-in validator does. After a call that failed (macro not found, wrong arguments) asar
keeps printing that call on the lines that follow; a line outside every macro body is read as
such a stale note and the issue stays on its own line.

Names asar cannot find (labels, defines, macros; files too, for a text without a path) are
`unresolved` warnings, as with the built-in validator: they are defined in another file. A
file that the user's own file includes and that is not there is a `missing_file` error.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from afs.asm.diagnostics import (ASAR_FAILED, MISSING_FILE, UNRESOLVED, ValidationIssue,
                                 ValidationResult, line_count)
from afs.asm.source import strip_comment
from afs.errors import AfsError
from afs.processes import die_with_parent

_MESSAGE = re.compile(
    r"^(?:(?P<file>.+?)(?::(?P<line>\d+))?"
    r"(?: \(called from (?P<caller>.+?):(?P<caller_line>\d+)\))?: )?"
    r"(?P<kind>error|warning): \((?P<id>[EW]\w+)\): (?P<text>.*)$")
_NOT_FOUND = {"label_not_found", "define_not_found", "macro_not_found"}
FILE_NOT_FOUND = "file_not_found"
LIMIT_REACHED = "limit_reached"
# asar's own notices that say nothing about the text
_IGNORED = {"missing_org"}
# raised while a file is read or a macro defined, never on a line of an expansion, even when
# a stale call is printed with them
_NEVER_EXPANDED = {"mismatched_quotes", "invalid_macro_name", "macro_redefined",
                   "broken_macro_declaration", "invalid_macro_param_name",
                   "macro_param_redefined", "vararg_must_be_last", "nested_macro_definition",
                   "misplaced_endmacro", "unclosed_macro"}
# messages printed without the statement echoed after them
_NO_BLOCK = {"error_command", "warn_command"}
# asar stops after this many errors (default 20): high, so that every line is checked
ERROR_LIMIT = 100_000
# asar assembles onto a blank ROM of this size (zeros), as the recorded verdicts were made
BLANK_ROM_SIZE = 512 * 1024


class AsarNotFound(AfsError):
    """No asar binary to run."""


def find_asar(asar_path: str | None = None) -> str:
    """Path of the asar binary to use; AsarNotFound says how to provide one."""
    candidate = asar_path or os.environ.get("AFS_ASAR") or shutil.which("asar")
    if not candidate or not Path(candidate).exists():
        raise AsarNotFound("asar was not found: put it on PATH, set AFS_ASAR, or pass asar_path "
                           "(or use the built-in validator, backend='builtin')")
    return candidate


@dataclass(frozen=True)
class AsarMessage:
    """One message asar printed: where (as asar names files, ``line`` as printed, None when
    it gave none), the outermost macro call it names, its kind, id and text."""

    kind: str
    code: str
    text: str
    file: str | None = None
    line: int | None = None
    caller: str | None = None
    caller_line: int | None = None


def read_messages(output: str) -> list[AsarMessage]:
    """asar's messages in ``output`` (its stderr), in order; other lines are skipped."""
    messages = []
    for raw in output.split("\n"):  # asar's lines; a message may hold other breaks (\f)
        match = _MESSAGE.match(raw.rstrip("\r"))
        if match is None:
            continue
        code = match["id"][1:]
        messages.append(AsarMessage(
            match["kind"], code, _without_block(code, match["text"]), match["file"],
            int(match["line"]) if match["line"] else None, match["caller"],
            int(match["caller_line"]) if match["caller_line"] else None))
    return messages


def _without_block(code: str, text: str) -> str:
    """``text`` without the statement asar echoes after it in brackets."""
    if code in _NO_BLOCK or not text.endswith("]"):
        return text
    if code == "assertion_failed":  # the user's own message comes first and may hold " ["
        cut = text.lower().rfind(" [assert")
    else:
        cut = text.find(" [")
    return text[:cut] if cut >= 0 else text


@dataclass
class AsarSource:
    """What asar assembled, to read the paths it prints as the user's names.

    ``main``: the file as asar was given it; ``text``: its text; ``cwd``: asar's working
    directory; ``shown_dirs``: include directories asar was given as absolute paths, mapped to
    the names the user gave them; ``hidden``: the scratch directory, never to be named;
    ``in_place``: the user's own file was assembled (a missing include is then an error, not
    a name defined elsewhere)."""

    main: str = "patch.asm"
    text: str = ""
    cwd: Path = field(default_factory=Path.cwd)
    shown_dirs: dict[str, str] = field(default_factory=dict)
    hidden: str | None = None
    in_place: bool = False
    _read: dict[str, list[str] | None] = field(default_factory=dict, repr=False,
                                               compare=False)

    def absolute(self, printed: str) -> str:
        return os.path.normpath(os.path.join(self.cwd, printed))

    def name(self, printed: str) -> str:
        """The user's name for a file asar printed; "" for the validated file itself."""
        absolute = self.absolute(printed)
        if absolute == self.absolute(self.main):
            return ""
        for directory, shown in self.shown_dirs.items():
            if absolute.startswith(directory + os.sep):
                return os.path.normpath(os.path.join(shown, absolute[len(directory) + 1:]))
        if self.hidden and absolute.startswith(self.hidden + os.sep):
            return absolute[len(self.hidden) + 1:]
        return os.path.normpath(printed)

    def lines(self, printed: str) -> list[str] | None:
        """The lines of a file asar printed; None when it cannot be read."""
        absolute = self.absolute(printed)
        if absolute not in self._read:
            self._read[absolute] = self.text.split("\n") \
                if absolute == self.absolute(self.main) else _read_lines(absolute)
        return self._read[absolute]

    def scrub(self, text: str) -> str:
        """``text`` without the scratch directory in it."""
        return text.replace(self.hidden + os.sep, "").replace(self.hidden, "") \
            if self.hidden else text


def _read_lines(path: str) -> list[str] | None:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace").split("\n")
    except OSError:
        return None


def macro_around(lines: list[str], line: int) -> str | None:
    """The name of the macro whose body holds 1-based ``line``, or None when no macro does.
    asar's rule: a definition starts at a line beginning `macro ` and ends at a line that is
    `endmacro`, comments and spaces aside."""
    name = None
    for number, raw in enumerate(lines[:line], 1):
        statement = strip_comment(raw).replace("\t", " ").strip()
        if statement.lower().startswith("macro ") and number < line:
            name = statement[6:].split("(", 1)[0].strip()
        elif statement.lower() == "endmacro":
            name = None
    return name


def _place(name: str, line: int) -> str:
    """A line as a message names it: `line 12` in the validated file, else `macros.asm:12`."""
    return f"{name}:{line}" if name else f"line {line}"


def _in_expansion(message: AsarMessage, source: AsarSource) -> str | None:
    """When ``message`` is on a line of an expanded macro, the prefix saying which macro and
    which line of it; else None."""
    if message.file is None or message.caller is None or message.line is None or \
            message.code in _NEVER_EXPANDED:
        return None
    if (source.absolute(message.file), message.line) == \
            (source.absolute(message.caller), message.caller_line):
        return None  # the call itself failed
    body_line = message.line + 1  # asar 1.91 names the line above the body line
    place = _place(source.name(message.file), body_line)
    lines = source.lines(message.file)
    if lines is None:  # the macro's file cannot be read: take asar's word
        return f"in a macro ({place}): "
    name = macro_around(lines, body_line)
    # outside every macro body: the note of a call that failed earlier, still printed
    return None if name is None else f"in macro {name} ({place}): "


def _issue(message: AsarMessage, source: AsarSource) -> ValidationIssue:
    """The issue for one message, on the line of the user's file it concerns."""
    text = source.scrub(message.text)
    if message.file is None:
        return ValidationIssue(1, 1, message.code, text)
    prefix = _in_expansion(message, source)
    printed, line = (message.file, message.line) if prefix is None else \
        (message.caller, message.caller_line)
    if line is None:
        line, text = 1, f"{text} (asar names no line)"
    lines = source.lines(printed)
    last = None if lines is None else max(1, len(lines) - (lines[-1] == ""))
    if last is not None and line > last:  # a block left open: asar names a line past the end
        line, text = last, f"{text} (at the end of the file)"
    return ValidationIssue(line, 1, message.code, (prefix or "") + text, source.name(printed))


def parse_asar_output(output: str, source: AsarSource | None = None
                      ) -> tuple[list[ValidationIssue], list[ValidationIssue]]:
    """ValidationIssues (errors, warnings) from asar's stderr. ``source`` says what asar
    assembled (by default a text written to `patch.asm` in the working directory)."""
    errors, warnings, _explained = _sorted_issues(read_messages(output), source or AsarSource())
    return errors, warnings


def _sorted_issues(messages: list[AsarMessage], source: AsarSource
                   ) -> tuple[list[ValidationIssue], list[ValidationIssue], bool]:
    """(errors, warnings, whether any asar error is among them, downgraded or not)."""
    errors, warnings, explained = [], [], False
    for message in messages:
        if message.code in _IGNORED:
            continue
        issue = _issue(message, source)
        if message.kind == "warning":
            warnings.append(issue)
            continue
        explained = True
        if message.code in _NOT_FOUND or (message.code == FILE_NOT_FOUND and not source.in_place):
            warnings.append(issue._replace(code=UNRESOLVED))
        elif message.code == FILE_NOT_FOUND:
            errors.append(issue._replace(code=MISSING_FILE))
        elif message.code == LIMIT_REACHED:
            stopped = issue.message.removesuffix(" Aborting.").rstrip(".")
            errors.append(issue._replace(message=f"{stopped}: asar stopped here, the lines "
                                                 "after it were not checked"))
        else:
            errors.append(issue)
    return sorted(set(errors)), sorted(set(warnings)), explained


def validate_with_asar(text: str, asar_path: str | None = None,
                       include_dirs: list[str] | None = None,
                       timeout: float = 60.0, *, path: str | os.PathLike | None = None
                       ) -> ValidationResult:
    """asar's verdict on ``text``. Given ``path`` (the file ``text`` was read from), asar
    assembles that file where it is, from the current directory, as a user would run it;
    ``include_dirs`` are asar's `-I` directories."""
    binary = find_asar(asar_path)
    if path is not None and not Path(path).is_file():
        raise FileNotFoundError(f"{os.fspath(path)}: no such file to assemble")
    with tempfile.TemporaryDirectory(prefix="afs-asar-") as scratch:
        source, directories = _source(text, path, include_dirs or [], scratch)
        rom = Path(scratch) / "out.sfc"
        with rom.open("wb") as blank:  # what the patch reads (read1() and the like) is there
            blank.truncate(BLANK_ROM_SIZE)
        command = [binary, "--no-title-check", f"--error-limit={ERROR_LIMIT}",
                   *[f"-I{d}" for d in directories], source.main, str(rom)]
        try:
            completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                       cwd=source.cwd, errors="replace",
                                       preexec_fn=die_with_parent())
        except subprocess.TimeoutExpired:  # a verdict for this text, not a crash of the run
            return ValidationResult(False, [ValidationIssue(
                1, 1, ASAR_FAILED, f"asar did not finish within {timeout:g} s (a loop that "
                "never ends, or a patch too large for the timeout)")], [], line_count(text))
        errors, warnings, explained = _sorted_issues(read_messages(completed.stderr), source)
    if completed.returncode != 0 and not explained:
        errors = [ValidationIssue(1, 1, ASAR_FAILED, _failure(completed.returncode))]
    return ValidationResult(not errors, errors, warnings, line_count(text))


def _source(text: str, path: str | os.PathLike | None, include_dirs: list[str],
            scratch: str) -> tuple[AsarSource, list[str]]:
    """What asar is to assemble, and its include directories: the user's file in place, from
    the current directory; or ``text`` written to the scratch directory and assembled from
    there (the include directories then given as absolute paths, and named back)."""
    if path is not None:
        return AsarSource(os.fspath(path), text, Path.cwd(), hidden=scratch, in_place=True), \
            [os.fspath(d) for d in include_dirs]
    (Path(scratch) / "patch.asm").write_text(text, encoding="utf-8")
    shown = {os.path.abspath(d): os.fspath(d) for d in include_dirs}
    return AsarSource("patch.asm", text, Path(scratch), shown, hidden=scratch), list(shown)


def _failure(returncode: int) -> str:
    if returncode < 0:
        return f"asar was stopped by signal {-returncode} before it said anything about the text"
    return f"asar exited with status {returncode} without a message about the text"
