"""Every command the README shows works as written (issue 18), so the README cannot drift.

The README's ```bash blocks are read command by command (`\\` continuations joined, `&&` chains
split, comments dropped) and run in the README's order in one fresh copy of the project (the
repository's files, `.venv` linked to the environment the tests run in, activated as the README
says). A command that runs for minutes or serves until stopped is listed in BOUNDED with the
reason and checked in a bounded way that still fails on an unknown option or a missing script.
Every path the README names exists in the repository or is an output the project's
configuration declares, every link and anchor resolves, and `.ci/run` runs the README's test
command.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
README = PROJECT_ROOT / "README.md"
ENV_BIN = Path(sys.executable).parent  # the environment scripts/setup.sh made: .venv/bin
COMMAND_TIMEOUT_S = 180  # a guard against a hang; each takes seconds
SHELL_SYNTAX = {"|", "||", ";", "&", ">", ">>", "<", "2>", "&>"}  # one command per line only
# a light test file for pytest's collection check (conftest and options still load)
COLLECT_TARGET = "tests/layout/test_readme.py::test_the_readme_has_no_missing_paths"


@dataclass(frozen=True)
class Command:
    line: int  # where it starts in its file
    words: tuple[str, ...]

    def __str__(self) -> str:
        return shlex.join(self.words)


@dataclass(frozen=True)
class Bounded:
    """How a command too long for a test is checked instead: ``help`` (the command with
    ``--help``: the program, its subcommands and every option must exist), ``kedro_run``
    (``help``, and each ``--pipeline(s)=`` name must be one of the project's pipelines),
    ``collect`` (pytest's collection of one small test with the command's options),
    ``script`` (the script exists, parses, and gets no arguments: it reads none)."""

    prefix: tuple[str, ...]  # the program's file name, then the words after it
    check: str
    reason: str


BOUNDED = (
    Bounded(("bash", "scripts/setup.sh"), "script",
            "creates .venv and builds llama-cpp-python (minutes); .ci/run runs it every time"),
    Bounded(("python", "-m", "pytest"), "collect",
            "the whole suite (about 16 minutes), this test among it; .ci/run runs it"),
    Bounded(("kedro", "run"), "kedro_run",
            "runs stages (81 s for all five); tests/pipelines/ run each stage and the project"),
    Bounded(("kedro", "mlflow", "ui"), "help",
            "serves until stopped; tests/pipelines/test_kedro_project_first_commands.py "
            "starts it and reads a page"),
    Bounded(("kedro", "viz"), "help",
            "serves until stopped; tests/pipelines/test_kedro_project.py builds its page"),
    Bounded(("kedro", "jupyter"), "help",
            "serves until stopped; tests/pipelines/test_kedro_project.py runs the notebook"),
    Bounded(("afs", "deploy", "serve"), "help",
            "serves until stopped; tests/cli/test_cli_deploy.py serves and chats"),
    Bounded(("afs", "deploy", "chat"), "help",
            "needs the server above; tests/cli/test_cli_deploy.py serves and chats"),
)


# ------------------------------------------------------------------ reading the README


def fenced_lines(text: str) -> list[tuple[int, str | None, str]]:
    """Each line with its number and the language of the fence it is in (None: prose)."""
    out, fence = [], None
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fence = None if fence is not None else (line.strip()[3:].strip() or "text")
            continue
        out.append((number, fence, line))
    return out


def bash_commands(text: str) -> list[Command]:
    """The commands of the ```bash blocks, in order."""
    commands, pending, start = [], "", 0
    for number, fence, line in fenced_lines(text):
        if fence != "bash":
            continue
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        words, pending = shlex.split(pending + line, comments=True), ""
        odd = SHELL_SYNTAX.intersection(words) or {w for w in words if w.endswith(";")}
        assert not odd, f"README.md:{start}: {sorted(odd)}: write one plain command a line"
        part: list[str] = []
        for word in [*words, "&&"]:
            if word == "&&":
                if part:
                    commands.append(Command(start, tuple(part)))
                part = []
            else:
                part.append(word)
    return commands


def bounded_for(command: Command) -> Bounded | None:
    words = (Path(command.words[0]).name, *command.words[1:])
    return next((b for b in BOUNDED if words[:len(b.prefix)] == b.prefix), None)


def headings(path: Path) -> set[str]:
    """GitHub's anchors for the headings of a Markdown file (outside code blocks)."""
    return {github_anchor(line.lstrip("#")) for _, fence, line in
            fenced_lines(path.read_text(encoding="utf-8"))
            if fence is None and re.match(r"#{1,6} ", line)}


def github_anchor(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def expand_braces(word: str) -> list[str]:
    """``a/{b,c}.json`` -> ``a/b.json``, ``a/c.json`` (as bash expands it)."""
    found = re.search(r"\{([^{}]*,[^{}]*)\}", word)
    if not found:
        return [word]
    return [expanded for choice in found.group(1).split(",")
            for expanded in expand_braces(word[:found.start()] + choice + word[found.end():])]


# a relative path (`data/01_raw/asm/`), or one on the reader's machine (`~/.context/memory`,
# `/srv/x`), which no fresh clone has
PATH_WORD = re.compile(r"^(?:~?/)?\.?[\w-]+(?:\.[\w-]+)*/[\w.{},*/-]*$")


def named_paths(text: str) -> list[tuple[int, str]]:
    """The relative paths the README names, with their lines: words in its bash blocks
    (comments and ``--option=`` values included) and in its `code` spans."""
    found = []
    for number, fence, line in fenced_lines(text):
        if fence == "bash":
            words = line.replace("=", " ").split()
        elif fence is None:
            words = [w for span in re.findall(r"`([^`]+)`", line) for w in span.split()]
        else:
            continue
        for word in words:
            word = word.strip("\"'(),;")
            if PATH_WORD.match(word) and "://" not in word:
                found += [(number, path) for path in expand_braces(word)]
    return found


def declared_outputs() -> list[str]:
    """Paths the project's configuration writes (catalog datasets, the log file), as glob
    patterns: a dataset factory's ``{split}`` is ``*``."""
    catalog = (PROJECT_ROOT / "conf" / "base" / "catalog.yml").read_text(encoding="utf-8")
    root = re.search(r"^data_root:\s*(\S+)", (PROJECT_ROOT / "conf" / "base" / "globals.yml")
                     .read_text(encoding="utf-8"), re.MULTILINE).group(1)
    paths = [path.replace("${globals:data_root}", root) for path in
             re.findall(r"^\s*(?:file)?path:\s*(\S+)", catalog, re.MULTILINE)]
    logging_conf = (PROJECT_ROOT / "conf" / "logging.yml").read_text(encoding="utf-8")
    paths += re.findall(r"^\s*filename:\s*(\S+)", logging_conf, re.MULTILINE)
    return [re.sub(r"\{\w+\}", "*", path) for path in paths]


def is_declared_output(path: str, patterns: list[str]) -> bool:
    """``path`` is an output, or a folder outputs go to."""
    path = path.rstrip("/")
    for pattern in patterns:
        parts = pattern.split("/")
        if any(fnmatch.fnmatchcase(path, "/".join(parts[:n])) for n in range(1, len(parts) + 1)):
            return True
    return False


# ------------------------------------------------------------------ running commands


@pytest.fixture(scope="module")
def fresh_copy(tmp_path_factory) -> Path:
    """The project's files (tracked, and new ones git does not ignore) in a new folder, as a
    clone has them, with ``.venv`` linked to the environment the tests run in."""
    root = tmp_path_factory.mktemp("readme") / "project"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=PROJECT_ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = PROJECT_ROOT / name
        if source.is_file():  # a file deleted in the work tree is still listed
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    (root / ".venv").symlink_to(ENV_BIN.parent, target_is_directory=True)
    (root / "home").mkdir()
    return root


def activated_env(project: Path) -> dict[str, str]:
    """A shell after ``source .venv/bin/activate``, with a home of its own (no user config)."""
    env = {**os.environ, "VIRTUAL_ENV": str(project / ".venv"), "HOME": str(project / "home"),
           "PATH": f"{project / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
           "KEDRO_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1"}
    for name in ("KEDRO_ENV", "MLFLOW_TRACKING_URI", "MLFLOW_RUN_ID", "PYTHONPATH"):
        env.pop(name, None)  # the project's own configuration decides
    return env


def run(words: list[str] | tuple[str, ...], project: Path) -> subprocess.CompletedProcess:
    """``words`` as a shell runs them (``source`` included), in ``project``."""
    return subprocess.run(["bash", "-c", shlex.join(words)], cwd=project,
                          env=activated_env(project), capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT_S)


def project_pipelines(project: Path) -> set[str]:
    listed = run(["kedro", "registry", "list"], project)
    assert listed.returncode == 0, listed.stderr[-2000:]
    return set(re.findall(r"^- (\S+)$", listed.stdout, re.MULTILINE))


def split_pipelines(words: list[str]) -> tuple[list[str], set[str]]:
    """``kedro run``'s words without its ``--pipeline(s)=a,b`` / ``--pipeline(s) a,b``
    options, and the pipeline names those asked for."""
    rest: list[str] = []
    names: set[str] = set()
    value_next = False
    for word in words:
        option, equals, value = word.partition("=")
        if value_next:
            names.update(filter(None, word.split(",")))
            value_next = False
        elif option in ("--pipeline", "--pipelines"):
            names.update(filter(None, value.split(",")))
            value_next = not equals
        else:
            rest.append(word)
    return rest, names


def problem(command: Command, project: Path, pipelines: set[str] | None = None,
            checked: dict[tuple[str, ...], str | None] | None = None) -> str | None:
    """What is wrong with ``command`` run (or checked, if bounded) in ``project``; None if
    nothing. ``pipelines`` (the project's, for ``kedro run``) is looked up when not given;
    ``checked`` keeps the outcome of each bounded check, which several commands share (every
    stage's ``kedro run --pipelines=…`` is one ``kedro run --help``)."""
    bounded = bounded_for(command)
    words = list(command.words)
    if bounded is not None and bounded.check == "kedro_run":
        words, asked = split_pipelines(words)
        known = pipelines if pipelines is not None else project_pipelines(project)
        if asked - known:
            return f"no such pipeline: {', '.join(sorted(asked - known))}"
    if bounded is None:
        checks = [words]
    elif bounded.check == "script":
        script = project / bounded.prefix[-1]
        if len(words) > len(bounded.prefix):
            return f"{script.name} reads no arguments, given {words[len(bounded.prefix):]}"
        checks = [["test", "-f", str(script)], ["bash", "-n", str(script)]]
    elif bounded.check == "collect":
        checks = [[*words, "--collect-only", COLLECT_TARGET]]
    else:
        checks = [[*words, "--help"]]
    checked = {} if checked is None else checked
    for check in checks:
        if bounded is None:  # a real run: never taken from an earlier one
            outcome = outcome_of(check, project)
        elif tuple(check) in checked:
            outcome = checked[tuple(check)]
        else:
            outcome = checked[tuple(check)] = outcome_of(check, project)
        if outcome:
            return outcome
    return None


def outcome_of(check: list[str], project: Path) -> str | None:
    """None when ``check`` exits 0 in ``project``, else what it printed."""
    result = run(check, project)
    if result.returncode == 0:
        return None
    return f"`{shlex.join(check)}` exited {result.returncode}:\n" \
           f"{(result.stdout + result.stderr)[-1500:]}"


# ------------------------------------------------------------------ the tests


def test_every_readme_command_works_in_a_fresh_copy(fresh_copy):
    commands = bash_commands(README.read_text(encoding="utf-8"))
    assert len(commands) >= 10, [str(c) for c in commands]  # the parser found the blocks
    pipelines, checked = project_pipelines(fresh_copy), {}
    failures = [f"README.md:{command.line}: {command}\n{found}" for command in commands
                if (found := problem(command, fresh_copy, pipelines, checked)) is not None]
    assert not failures, "\n\n".join(failures)


def test_the_check_fails_on_a_missing_file_an_unknown_option_or_pipeline(fresh_copy):
    broken = {  # a README command gone wrong -> what the check must say
        ("afs", "asm", "validate", "data/01_raw/asm/Core/no_such_file.asm"):
            "no_such_file.asm: No such file",
        ("afs", "asm", "validate", "--no-such-option", "data/01_raw/asm/Core/dma.asm"):
            "No such option '--no-such-option'",
        ("afs", "deploy", "serve", "data/06_models/model.gguf", "--no-such-option"):
            "No such option '--no-such-option'",
        (".venv/bin/kedro", "run", "--no-such-option"): "No such option '--no-such-option'",
        ("kedro", "run", "--pipelines=no_such_stage"): "no such pipeline: no_such_stage",
        (".venv/bin/python", "-m", "pytest", "-q", "--no-such-option"):
            "unrecognized arguments: --no-such-option",
        ("bash", "scripts/setup.sh", "--no-such-option"): "setup.sh reads no arguments",
        ("bash", "scripts/no_such_script.sh"): "No such file or directory",
    }
    said = {words: problem(Command(0, words), fresh_copy, {"curation"}) for words in broken}
    assert {words: expected in (said[words] or "") for words, expected in broken.items()} == \
        dict.fromkeys(broken, True), said


def test_every_long_command_is_bounded_for_a_reason():
    bounded = {bounded_for(c) for c in bash_commands(README.read_text(encoding="utf-8"))}
    for entry in bounded - {None}:
        assert entry.reason and entry.check in {"help", "kedro_run", "collect", "script"}
    # the README's first commands are the long ones, so the table must know them
    assert {b.prefix[:2] for b in bounded - {None}} >= {("bash", "scripts/setup.sh"),
                                                      ("kedro", "run")}


def test_the_readme_has_no_missing_paths():
    outputs = declared_outputs()
    missing = []
    for number, path in named_paths(README.read_text(encoding="utf-8")):
        if path.startswith(".venv/"):  # what set-up makes: the environment the tests run in
            exists = (ENV_BIN.parent / path.removeprefix(".venv/")).exists()
        else:
            exists = (PROJECT_ROOT / path).exists() or is_declared_output(path, outputs)
        if not exists:
            missing.append(f"README.md:{number}: {path}")
    assert not missing, "\n".join(missing)


def test_the_readme_links_and_anchors_resolve():
    text = README.read_text(encoding="utf-8")
    broken = []
    for number, fence, line in fenced_lines(text):
        for target in re.findall(r"\]\(([^)\s]+)\)", line) if fence is None else []:
            if re.match(r"^[a-z]+://", target):
                continue
            file_part, _, anchor = target.partition("#")
            path = (README.parent / file_part) if file_part else README
            if not path.exists():
                broken.append(f"README.md:{number}: {target}: no such file")
            elif anchor and path.suffix == ".md" and anchor not in headings(path):
                broken.append(f"README.md:{number}: {target}: no such heading")
    assert not broken, "\n".join(broken)


def test_ci_runs_the_readme_test_command():
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    [ci_command] = [line for line in ci.splitlines()
                    if "pytest" in line and not line.lstrip().startswith("#")]
    readme = [str(Command(0, tuple(shlex.split(line, comments=True)))) for _, fence, line in
              fenced_lines(README.read_text(encoding="utf-8")) if fence == "bash"]
    assert shlex.join(shlex.split(ci_command)) in readme


def test_the_readme_parser_reads_continuations_chains_and_comments():
    text = ("```bash\n# a comment\nbash scripts/setup.sh && .venv/bin/kedro run  # note\n"
            "afs training prepare --input a.jsonl \\\n    --output splits\n```\n"
            "```text\nnot a command\n```\n")
    assert [(c.line, c.words) for c in bash_commands(text)] == [
        (3, ("bash", "scripts/setup.sh")), (3, (".venv/bin/kedro", "run")),
        (4, ("afs", "training", "prepare", "--input", "a.jsonl", "--output", "splits"))]
    with pytest.raises(AssertionError, match="one plain command a line"):
        bash_commands("```bash\nafs config show | head\n```\n")
    assert expand_braces("d/{a,b}/{x,y}.jsonl") == ["d/a/x.jsonl", "d/a/y.jsonl",
                                                     "d/b/x.jsonl", "d/b/y.jsonl"]
    assert named_paths("Try `~/.context/memory` or `afs --help`.\n```bash\n"
                       "afs x --param root=models/v1.jsonl  # see data/08_reporting/\n```\n") == [
        (1, "~/.context/memory"), (3, "models/v1.jsonl"), (3, "data/08_reporting/")]
    assert github_anchor("The 65816 / asar toolkit") == "the-65816--asar-toolkit"
    assert github_anchor("Deployment: GGUF, serving, evaluation") == (
        "deployment-gguf-serving-evaluation")
