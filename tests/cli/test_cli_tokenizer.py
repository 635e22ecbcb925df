"""`afs tokenizer …` through the real console script."""

from __future__ import annotations

import json
import subprocess

import pytest

from afs.cli import tokenizer as cli_tokenizer
from afs.tokenizer import ASMTokenizer, training
from tests.tokenizer.conftest import (ROUTINE, SMALL_VOCAB,  # noqa: F401  (and fixtures)
                                     shipped, small_corpus, trained)

from .clitools import afs_env, afs_executable, assert_user_error, summary_line
from .test_cli_root import HEAVY_MODULES, imported_modules


@pytest.fixture
def afs(tmp_path):
    def run(*args, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([str(afs_executable()), "tokenizer", *map(str, args)],
                              cwd=tmp_path, env=afs_env(tmp_path), input=stdin,
                              capture_output=True, text=True, timeout=120)

    return run


@pytest.fixture(scope="module")
def trained_dir(trained, tmp_path_factory):
    return trained.save_pretrained(tmp_path_factory.mktemp("cli_tokenizer"))


def test_train_writes_a_tokenizer_folder(afs, small_corpus, tmp_path, trained, trained_dir):
    result = afs("train", *small_corpus, "--output", "tok", "--vocab-size", SMALL_VOCAB)
    assert summary_line(result) == f"train: 2 files -> {len(trained)} tokens -> tok"
    for name in ("tokenizer.json", "tokenizer_config.json"):
        assert (tmp_path / "tok" / name).read_bytes() == (trained_dir / name).read_bytes()


def test_encode_text_file_and_stdin(afs, tmp_path, shipped):
    code = "LDA #$00 ; Load zero"
    expected = " ".join(map(str, shipped.encode(code)))
    assert afs("encode", code).stdout == expected + "\n"
    (tmp_path / "line.asm").write_text(code)
    assert afs("encode", "line.asm").stdout == expected + "\n"
    assert afs("encode", "-", stdin=code).stdout == expected + "\n"
    assert json.loads(afs("encode", "--tokens", code).stdout) == shipped.tokenize(code)


def test_decode_gives_the_text_back_exactly(afs, trained_dir, trained):
    ids = [str(i) for i in trained.encode(ROUTINE)]
    result = afs("decode", "--tokenizer", trained_dir, *ids)
    assert result.returncode == 0 and result.stdout == ROUTINE
    assert afs("decode", "--tokenizer", trained_dir, "-", stdin=",".join(ids)).stdout == ROUTINE


def test_encode_with_a_trained_tokenizer(afs, trained_dir, trained):
    result = afs("encode", "--tokenizer", trained_dir, ROUTINE)
    assert result.stdout.split() == [str(i) for i in trained.encode(ROUTINE)]


@pytest.mark.parametrize("args, fragments", [
    (["decode", "12", "x"], ["'x' is not a token id"]),
    (["decode", "999999"], ["token id 999999 is not in the vocabulary"]),
    (["encode", "--tokenizer", "missing", "LDA"], ["missing: no such folder"]),
    (["train", "missing.asm", "--output", "tok"], ["missing.asm"]),
    (["train", ".", "--output", "tok", "--vocab-size", "10"], ["vocab size 10 is too small"]),
])
def test_errors_are_one_line(afs, small_corpus, args, fragments):
    if args[0] == "train" and args[1] == ".":
        args = ["train", small_corpus[0], *args[2:]]
    assert_user_error(afs(*args), *fragments)


def test_help_explains_and_defaults_agree_with_the_library(afs):
    result = afs("train", "--help")
    assert result.returncode == 0 and "--vocab-size" in result.stdout
    assert "--tokens" in afs("encode", "--help").stdout
    assert cli_tokenizer.DEFAULT_VOCAB_SIZE == training.DEFAULT_VOCAB_SIZE
    assert cli_tokenizer.DEFAULT_MIN_FREQUENCY == training.DEFAULT_MIN_FREQUENCY


@pytest.mark.parametrize("command", ["train", "encode", "decode"])
def test_help_imports_no_heavy_library(command):
    heavy = (HEAVY_MODULES | {"tokenizers"}) & imported_modules("tokenizer", command, "--help")
    assert not heavy, f"afs tokenizer {command} --help imports {sorted(heavy)}"
