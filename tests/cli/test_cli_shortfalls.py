"""No quiet failure: a curation command whose result is empty fails, and one whose result falls
short of what was asked says so on stderr, through the real console script: `warning: …` where
the user must act (a rehearsal_ratio the mix misses), `note: …` where the rules worked as set
(the group that sizes a strict mix, a buffer the threshold keeps under top_ratio)."""

from __future__ import annotations

from .clitools import assert_user_error, read_records, summary_line


def test_rebalance_that_would_write_nothing_fails_naming_the_emptied_groups(afs, write_samples,
                                                                            tmp_path):
    # the seed's workflow: memory/history exports carry no quality_score
    write_samples("oracle.jsonl", 100, prefix="oracle")
    write_samples("memory.jsonl", 20, prefix="memory", score=lambda i, n: None)
    write_samples("history.jsonl", 10, prefix="history", score=lambda i, n: None)
    result = afs("training", "rebalance", "--input", "oracle.jsonl", "--input", "memory.jsonl",
                 "--input", "history.jsonl", "--output", "balanced.jsonl",
                 "--weight", "oracle=0.4", "--weight", "memory=0.3", "--weight", "history=0.3",
                 "--min-quality-score", "0.5", "--scarce-below", "0")  # the strict mix

    assert_user_error(result, "rebalance keeps no sample",
                      "group 'history' (weight 0.3) has 0 of its 10 samples left "
                      "(10 without a quality_score; min_quality_score 0.5)",
                      "group 'memory' (weight 0.3) has 0 of its 20 samples left")
    assert not (tmp_path / "balanced.jsonl").exists()
    assert not (tmp_path / "balanced.rejects.jsonl").exists()


def test_rebalance_notes_the_group_that_caps_the_mix(afs, write_samples, tmp_path):
    write_samples("oracle.jsonl", 200, prefix="oracle", score=lambda i, n: 0.9)
    write_samples("memory.jsonl", 40, prefix="memory", score=lambda i, n: 0.1 if i < 30 else 0.9)
    result = afs("training", "rebalance", "--input", "oracle.jsonl", "--input", "memory.jsonl",
                 "--output", "balanced.jsonl", "--weight", "oracle=0.5", "--weight", "memory=0.5",
                 "--min-quality-score", "0.5", "--scarce-below", "0")  # the strict mix

    assert summary_line(result).startswith("rebalance: 2 inputs -> 20 samples -> balanced.jsonl")
    assert result.stderr.splitlines() == [
        "note: rebalance: group 'memory' (weight 0.5) caps the mix: it has 10 of its 40 "
        "samples left (30 below min_quality_score; min_quality_score 0.5), the fewest for its "
        "weight (its share of the 210 samples available is 105); so the mix holds 20 samples "
        "and 190 samples of the other groups are left out (rebalance_cap)"]
    assert len(read_records(tmp_path / "balanced.jsonl")) == 20


def test_rehearsal_mix_warns_when_the_buffer_is_too_small(afs, write_samples, tmp_path):
    write_samples("buffer.jsonl", 6, prefix="old")
    write_samples("new.jsonl", 200, prefix="new")
    result = afs("training", "rehearsal-mix", "--buffer", "buffer.jsonl", "--new-data",
                 "new.jsonl", "--rehearsal-ratio", "0.3", "--output", "mixed.jsonl")

    assert summary_line(result).startswith("rehearsal-mix: 200 new + 6 rehearsal = 206 samples")
    assert result.stderr.splitlines() == [
        "warning: rehearsal_ratio 0.3 unmet: it asks for 86 buffer samples beside 200 new ones, "
        "but the buffer gave 6 (it holds 6, 0 of them already in the new data); rehearsal is 6 "
        "of 206 samples (2.9%). Build a larger buffer (a higher top_ratio, a lower quality "
        "threshold, more earlier data) or lower rehearsal_ratio"]
    assert len(read_records(tmp_path / "mixed.jsonl")) == 206


def test_rehearsal_build_notes_when_the_threshold_leaves_less_than_the_top_ratio(afs,
                                                                                 write_samples):
    write_samples("v1.jsonl", 100, prefix="old")  # scores 0.005 … 0.995
    result = afs("training", "rehearsal-build", "--input", "v1.jsonl", "--output", "buffer.jsonl",
                 "--top-ratio", "0.5", "--min-score", "0.9")

    assert summary_line(result).startswith("rehearsal-build: 100 samples (v1) -> 10 kept")
    assert result.stderr.splitlines() == [
        "note: rehearsal buffer: top_ratio 0.5 asks for 50 of 100 samples, but only 10 pass "
        "the selection (below_quality_threshold x90); the buffer holds 10"]
