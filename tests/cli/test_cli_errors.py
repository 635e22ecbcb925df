"""Bad input: exit code 1, one `error: …` line naming the problem, no traceback, no output."""

from __future__ import annotations

import pytest

from .clitools import assert_user_error

GOOD_LINE = '{"instruction": "What does LDA do?", "output": "Loads A."}\n'
BAD_LINE = '{"instruction": "What does STA do?", "output": oops}\n'

# Each command, reading "in.jsonl" (the only or the last input) and writing "out…".
READING_COMMANDS = {
    "rehearsal-build": ["--input", "in.jsonl", "--output", "out.jsonl"],
    "rehearsal-mix": ["--buffer", "good.jsonl", "--new-data", "in.jsonl", "--output", "out.jsonl"],
    "rebalance": ["--input", "good.jsonl", "--input", "in.jsonl", "--output", "out.jsonl",
                  "--weight", "good=1", "--weight", "in=1"],
    "prepare": ["--input", "in.jsonl", "--output", "out"],
    "convert": ["--input", "in.jsonl", "--output", "out.jsonl", "--format", "alpaca"],
}


@pytest.mark.parametrize("command", sorted(READING_COMMANDS))
def test_malformed_line_names_file_and_line(afs, tmp_path, command):
    (tmp_path / "good.jsonl").write_text(GOOD_LINE)
    (tmp_path / "in.jsonl").write_text(GOOD_LINE + BAD_LINE)
    result = afs("training", command, *READING_COMMANDS[command])

    assert_user_error(result, "in.jsonl:2:", "malformed JSON")
    assert not (tmp_path / "out.jsonl").exists() and not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["rehearsal-mix", "prepare"])
def test_missing_file(afs, tmp_path, command):
    (tmp_path / "good.jsonl").write_text(GOOD_LINE)
    assert_user_error(afs("training", command, *READING_COMMANDS[command]),
                      "in.jsonl", "no such file")


@pytest.mark.parametrize("weight", ["oracle", "oracle=lots", "=0.5"])
def test_bad_weight_syntax(afs, weight):
    result = afs("training", "rebalance", "--input", "oracle.jsonl", "--output", "out.jsonl",
                 "--weight", weight)
    assert_user_error(result, "--weight", "NAME=WEIGHT")


def test_unknown_weight_name(afs, write_samples):
    write_samples("oracle.jsonl", 5)
    result = afs("training", "rebalance", "--input", "oracle.jsonl", "--output", "out.jsonl",
                 "--weight", "oracle=0.5", "--weight", "memroy=0.5")
    assert_user_error(result, "'memroy'", "oracle")


@pytest.mark.parametrize("args, fragment", [
    (["rehearsal-build", "--input", "in.jsonl", "--output", "out.jsonl", "--top-ratio", "1.5"],
     "top_ratio"),
    (["rehearsal-mix", "--buffer", "in.jsonl", "--new-data", "in.jsonl", "--output", "out.jsonl",
      "--rehearsal-ratio", "1"], "rehearsal_ratio"),
    (["prepare", "--input", "in.jsonl", "--output", "out", "--train-ratio", "0.9",
      "--val-ratio", "0.2"], "sum to 1"),
])
def test_ratio_out_of_range(afs, write_samples, tmp_path, args, fragment):
    write_samples("in.jsonl", 10)
    assert_user_error(afs("training", *args), fragment)
    assert not (tmp_path / "out.jsonl").exists() and not (tmp_path / "out").exists()


def test_unknown_format_is_a_usage_error(afs):
    result = afs("training", "convert", "--input", "in.jsonl", "--output", "o.jsonl",
                 "--format", "yaml")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "'yaml'" in result.stderr


def test_output_path_problem_is_one_line(afs, write_samples, tmp_path):
    """An OS error on a user path (here: --output names a file, not a folder)."""
    write_samples("in.jsonl", 10)
    (tmp_path / "splits").write_text("not a folder")
    assert_user_error(afs("training", "prepare", "--input", "in.jsonl", "--output", "splits"),
                      "splits")
    assert (tmp_path / "splits").read_text() == "not a folder"  # the user's file is kept


def test_afs_debug_shows_the_traceback(afs):
    result = afs("training", "prepare", "--input", "in.jsonl", "--output", "out", AFS_DEBUG="1")
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "no such file" in result.stderr
