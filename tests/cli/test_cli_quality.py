"""`afs discriminator score` / `filter` through the real `afs` entry point."""

from __future__ import annotations

from afs.samples import TrainingSample
from afs.samples.jsonl import write_samples

from tests.cli.clitools import assert_user_error, read_records, summary_line

GOOD = "```asm\n  LDA $10\n  STA $7E0012\n  RTL\n```\n" + "It copies the game mode. " * 20
BAD = "```asm\n  LDA $10\n  BOGUS $12\n```"


def test_score_then_filter(afs, tmp_path):
    raw = tmp_path / "raw.jsonl"
    write_samples([TrainingSample("good", GOOD), TrainingSample("bad", BAD),
                   TrainingSample("short", "ok")], raw)
    line = summary_line(afs("discriminator", "score", "--input", raw, "--output", "scored.jsonl",
                            "--batch-size", "8", "--device", "cpu", "--profile", "asm"))
    assert "scored 3 samples, mean quality" in line and "asar 2, entity 2, length 3" in line
    scored = read_records(tmp_path / "scored.jsonl")
    assert all("quality" in r["_metadata"] for r in scored)
    line = summary_line(afs("discriminator", "filter", "--input", "scored.jsonl", "--output",
                            "kept.jsonl", "--rejected", "rej.jsonl", "--min-score", "0.6"))
    assert "kept 1 of 3 samples, rejected 2" in line
    reasons = sorted(r["reject_reason"].split(":")[0] for r in read_records(tmp_path / "rej.jsonl"))
    assert reasons == ["asar_invalid", "low_quality"]


def test_errors_are_one_line(afs, tmp_path):
    assert_user_error(afs("discriminator", "score", "--input", "missing.jsonl", "--output",
                          "o.jsonl"), "missing.jsonl", "no such file")
    (tmp_path / "raw.jsonl").write_text('{"instruction": "a"}\n')
    assert_user_error(afs("discriminator", "score", "--input", "raw.jsonl", "--output", "o.jsonl",
                          "--model", "nomodel"), "nomodel")
    assert_user_error(afs("discriminator", "filter", "--input", "raw.jsonl", "--output", "k.jsonl",
                          "--rejected", "r.jsonl", "--min-score", "2"), "min_score")
