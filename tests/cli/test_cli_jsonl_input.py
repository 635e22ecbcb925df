"""Every `afs` command that reads JSONL follows the same input rules (afs.jsonl_input): a BOM is
fine; an empty or blank-only file, a folder, a record over max_record_bytes and invalid UTF-8
are each one `error: …` line naming the file (and line), exit code 1, and no output."""

from __future__ import annotations

import codecs
import time

import orjson
import pytest

from .clitools import assert_user_error

# valid for every reader: a sample, a chat, a retrieval query and an eval item at once
GOOD = orjson.dumps({
    "instruction": "What does LDA do?", "output": "```asm\n  LDA $10\n  STA $7E0012\n```",
    "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}],
    "query": "lda", "expected": "docs/lda.md", "prompt": "What does LDA do?",
}) + b"\n"
LIMIT = 1000
OVERSIZE = b'{"x": "' + b"a" * 2 * LIMIT + b'"}'
BAD_UTF8 = b'{"x": "\xff"}'
BAD_BYTE = len(GOOD) + BAD_UTF8.index(b"\xff")  # counted from the start of the file

# Each command reading IN (an input of its own, or the last of several) and writing out*.
IN = "in.jsonl"
COMMANDS = {
    "training rehearsal-build": ["--input", IN, "--output", "out.jsonl"],
    "training rehearsal-mix --buffer": ["--buffer", IN, "--new-data", "good.jsonl",
                                        "--output", "out.jsonl"],
    "training rehearsal-mix --new-data": ["--buffer", "good.jsonl", "--new-data", IN,
                                          "--output", "out.jsonl"],
    "training rebalance": ["--input", "good.jsonl", "--input", IN, "--output", "out.jsonl",
                           "--weight", "good=1", "--weight", "in=1"],
    "training dedup": ["--input", "good.jsonl", "--input", IN, "--output", "out.jsonl"],
    "training prepare": ["--input", IN, "--output", "out"],
    "training convert": ["--input", IN, "--output", "out.jsonl", "--format", "alpaca"],
    "discriminator score": ["--input", IN, "--output", "out.jsonl", "--device", "cpu"],
    "discriminator filter": ["--input", IN, "--output", "out.jsonl", "--rejected",
                             "out.rejected.jsonl"],
    "discriminator train": ["--input", IN, "--output", "out", "--epochs", "1", "--device", "cpu",
                            "--no-mlflow"],
    "embeddings eval": ["--project", "p", "--query-file", IN],
    "evaluate": ["--models", "m=http://127.0.0.1:9", "--suite", IN, "--output", "out",
                 "--no-mlflow"],
}
# commands that finish quickly on GOOD (the others need a model, an index or a server; their
# readers accept a BOM in tests/infra/test_jsonl_readers.py)
RUNS_ON_GOOD = [name for name in COMMANDS if name.startswith("training")] + [
    "discriminator score", "discriminator filter"]

CASES = {
    "empty": (b"", f"{IN}: empty input (no records)"),
    "blank-only": (b"\n  \n\t\r\n", f"{IN}: empty input (no records)"),
    "folder": (None, f"{IN}: is a folder, not a file"),
    "oversize": (GOOD + OVERSIZE + b"\n" + GOOD,
                 f"{IN}:2: record is {len(OVERSIZE)} bytes, over the limit of {LIMIT} "
                 "(max_record_bytes)"),
    "invalid UTF-8": (GOOD + BAD_UTF8 + b"\n" + GOOD,
                      f"{IN}:2: invalid UTF-8 at byte {BAD_BYTE}"),
}


def run(afs, name: str, **env: str):
    return afs(*name.split()[:2], *COMMANDS[name], **env)


def outputs(tmp_path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("out"))


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("name", list(COMMANDS))
def test_bad_input_is_one_line_naming_the_file_and_no_output(afs, tmp_path, name, case):
    data, message = CASES[case]
    (tmp_path / "good.jsonl").write_bytes(GOOD)
    if data is None:
        (tmp_path / IN).mkdir()
    else:
        (tmp_path / IN).write_bytes(data)
    result = run(afs, name, AFS_GENERAL_MAX_RECORD_BYTES=str(LIMIT))
    assert assert_user_error(result) == f"error: {message}"
    assert outputs(tmp_path) == []


@pytest.mark.parametrize("name", RUNS_ON_GOOD)
def test_a_utf8_bom_is_accepted(afs, tmp_path, name):
    (tmp_path / "good.jsonl").write_bytes(GOOD)
    (tmp_path / IN).write_bytes(codecs.BOM_UTF8 + GOOD)
    result = run(afs, name)
    assert result.returncode == 0, result.stderr
    assert outputs(tmp_path)


@pytest.mark.parametrize("name", ["training prepare", "training convert", "training dedup",
                                  "discriminator score", "discriminator filter"])
def test_allow_empty_accepts_a_blank_input(afs, tmp_path, name):
    for path in (tmp_path / IN, tmp_path / "good.jsonl"):
        path.write_bytes(b"\n \n")
    result = afs(*name.split(), *COMMANDS[name], "--allow-empty")
    assert result.returncode == 0, result.stderr
    assert "nan" not in result.stdout and " 0 " in result.stdout
    assert outputs(tmp_path)


@pytest.mark.parametrize("args", [["knowledge", "query", "x", "--db", "in.sym"],
                                  ["asm", "validate", "in.sym"]])
def test_other_input_files_that_are_folders_say_so(afs, tmp_path, args):
    (tmp_path / "in.sym").mkdir()
    assert assert_user_error(afs(*args)) == "error: in.sym: is a folder, not a file"


def test_a_50_mb_line_fails_fast_with_the_default_limit(afs, tmp_path):
    """The default limit (16 MiB) stops a 50 MB line at once (it used to take 7 GB and more
    than 300 s in `afs training dedup`)."""
    line = b'{"instruction": "' + b"x" * (50 << 20) + b'", "output": "o"}'
    (tmp_path / IN).write_bytes(GOOD + line + b"\n")
    (tmp_path / "good.jsonl").write_bytes(GOOD)
    started = time.monotonic()
    result = run(afs, "training dedup")
    elapsed = time.monotonic() - started
    assert assert_user_error(result) == (
        f"error: {IN}:2: record is {len(line)} bytes, over the limit of {16 << 20} "
        "(max_record_bytes)")
    assert elapsed < 60, elapsed
    assert outputs(tmp_path) == []
