"""`afs training …` through the real console script: outputs, counts and summaries."""

from __future__ import annotations

from collections import Counter

import orjson
import pytest

from .clitools import read_records, summary_line


def test_rehearsal_build_keeps_the_top_ratio_above_min_score(afs, write_samples, tmp_path):
    write_samples("v1_training.jsonl", 100, prefix="old")  # scores 0.005 … 0.995
    result = afs("training", "rehearsal-build", "--input", "v1_training.jsonl", "--version", "v1",
                 "--output", "buffer/v1.jsonl", "--top-ratio", "0.3", "--min-score", "0.5")

    line = summary_line(result)
    kept = read_records(tmp_path / "buffer/v1.jsonl")
    rejects = read_records(tmp_path / "buffer/v1.rejects.jsonl")
    assert len(kept) == 30 and len(rejects) == 70
    assert all(r["quality_score"] >= 0.5 for r in kept)
    assert all(r["_metadata"]["provenance"]["version"] == "v1" for r in kept)
    assert {r["reject_reason"] for r in rejects} == {"below_quality_threshold", "below_top_ratio"}
    assert line.startswith("rehearsal-build: 100 samples (v1) -> 30 kept -> buffer/v1.jsonl")
    assert "70 rejected" in line and "buffer/v1.rejects.jsonl" in line


@pytest.mark.parametrize("shuffle", ["--shuffle", "--no-shuffle"])
def test_rehearsal_mix_adds_the_rehearsal_share(afs, write_samples, tmp_path, shuffle):
    write_samples("buffer.jsonl", 400, prefix="old")
    write_samples("v2_new.jsonl", 700, prefix="new")
    result = afs("training", "rehearsal-mix", "--buffer", "buffer.jsonl", "--new-data",
                 "v2_new.jsonl", "--rehearsal-ratio", "0.3", "--output", "v2_training.jsonl",
                 shuffle, "--seed", "42")

    line = summary_line(result)
    mixed = read_records(tmp_path / "v2_training.jsonl")
    sources = [r["source"] for r in mixed]
    assert len(mixed) == 1000 and sources.count("old") == 300
    assert (sources[:700] == ["new"] * 700) == (shuffle == "--no-shuffle")
    assert len(read_records(tmp_path / "v2_training.rejects.jsonl")) == 100  # buffer surplus
    assert line.startswith("rehearsal-mix: 700 new + 300 rehearsal = 1000 samples -> "
                           "v2_training.jsonl (100 rejected: rehearsal_surplus x100")


def test_rebalance_follows_weights_and_quality_floor(afs, write_samples, tmp_path):
    write_samples("oracle.jsonl", 200, prefix="oracle", score=lambda i, n: 0.9)
    write_samples("memory.jsonl", 300, prefix="memory",
                  score=lambda i, n: 0.1 if i < 20 else 0.9)
    result = afs("training", "rebalance", "--input", "oracle.jsonl", "--input", "memory.jsonl",
                 "--output", "balanced.jsonl", "--weight", "oracle=0.5", "--weight", "memory=0.5",
                 "--min-quality-score", "0.5")

    line = summary_line(result)
    balanced = read_records(tmp_path / "balanced.jsonl")
    rejects = read_records(tmp_path / "balanced.rejects.jsonl")
    assert [r["source"] for r in balanced].count("oracle") == 200
    assert [r["source"] for r in balanced].count("memory") == 200
    assert all(r["quality_score"] >= 0.5 for r in balanced)
    assert len(rejects) == 100
    assert line.startswith("rebalance: 2 inputs -> 400 samples -> balanced.jsonl (100 rejected")


def test_rebalance_takes_a_scarce_group_whole_without_capping_the_others(afs, write_samples,
                                                                         tmp_path):
    """Issue 17 §4: 10 memory samples at weight 0.5 used to cap the mix at 20 (190 samples of
    oracle left out); now memory gives its 10, oracle its 200, and the summary says so."""
    write_samples("oracle.jsonl", 200, prefix="oracle", score=lambda i, n: 0.9)
    write_samples("memory.jsonl", 40, prefix="memory", score=lambda i, n: 0.1 if i < 30 else 0.9)
    result = afs("training", "rebalance", "--input", "oracle.jsonl", "--input", "memory.jsonl",
                 "--output", "balanced.jsonl", "--weight", "oracle=0.5", "--weight", "memory=0.5",
                 "--min-quality-score", "0.5")

    assert summary_line(result) == (
        "rebalance: 2 inputs -> 210 samples -> balanced.jsonl (30 rejected: low_quality x30 -> "
        "balanced.rejects.jsonl); weights asked -> got: memory 0.5 -> 0.0476 (scarce: all 10), "
        "oracle 0.5 -> 0.952")
    assert result.stderr.splitlines() == [  # a note, not a warning: nothing to act on
        "note: rebalance: group 'memory' (weight 0.5) has 10 of its 40 samples left (30 below "
        "min_quality_score; min_quality_score 0.5), under 0.5 of its share (105) of the 210 "
        "samples available, so it is scarce: all 10 are taken (0.0476 of the mix) and the other "
        "groups are not capped by it (allow_oversample repeats it up to its share; scarce_below "
        "0 lets it size the mix)"]
    sources = Counter(r["source"] for r in read_records(tmp_path / "balanced.jsonl"))
    assert sources == {"oracle": 200, "memory": 10}

    repeated = afs("training", "rebalance", "--input", "oracle.jsonl", "--input", "memory.jsonl",
                   "--output", "oversampled.jsonl", "--weight", "oracle=0.5", "--weight",
                   "memory=0.5", "--min-quality-score", "0.5", "--allow-oversample")
    assert summary_line(repeated).endswith(
        "weights asked -> got: memory 0.5 -> 0.5 (scarce: 200 from 10), oracle 0.5 -> 0.5")
    oversampled = read_records(tmp_path / "oversampled.jsonl")
    assert Counter(r["source"] for r in oversampled) == {"oracle": 200, "memory": 200}


def test_rebalance_by_generation_source(afs, tmp_path):
    """--group-by origin: weights keyed by the source data_generation stamped in _metadata."""
    origins = ["oracle"] * 300 + ["memory"] * 100 + [None] * 5
    records = [{"instruction": f"q{i}", "output": f"  LDA ${i:04X}", "domain": "asm",
                **({"_metadata": {"origin": origin}} if origin else {})}
               for i, origin in enumerate(origins)]
    (tmp_path / "raw.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    result = afs("training", "rebalance", "--input", "raw.jsonl", "--output", "balanced.jsonl",
                 "--group-by", "origin", "--weight", "oracle=0.5", "--weight", "memory=0.5")

    summary_line(result)
    balanced = read_records(tmp_path / "balanced.jsonl")
    assert Counter(r["_metadata"]["origin"] for r in balanced) == {"oracle": 100, "memory": 100}
    reasons = Counter(r["reject_reason"] for r in read_records(tmp_path / "balanced.rejects.jsonl"))
    assert reasons == {"rebalance_cap:oracle": 200, "no_weight:unknown": 5}


def test_prepare_writes_three_disjoint_splits(afs, write_samples, tmp_path):
    source = write_samples("balanced.jsonl", 100)
    result = afs("training", "prepare", "--input", "balanced.jsonl", "--output", "splits",
                 "--train-ratio", "0.8", "--val-ratio", "0.1", "--test-ratio", "0.1",
                 "--stratify-by", "domain", "--seed", "42")

    line = summary_line(result)
    splits = {name: read_records(tmp_path / "splits" / f"{name}.jsonl")
              for name in ("train", "val", "test")}
    assert {name: len(rows) for name, rows in splits.items()} == {"train": 80, "val": 10, "test": 10}
    ids = [r["sample_id"] for rows in splits.values() for r in rows]
    assert sorted(ids) == sorted(r["sample_id"] for r in read_records(source))
    assert line == ("prepare: 100 samples -> train 80, val 10, test 10 -> splits/ "
                    "(stratified by domain)")


RECORD_KEYS = {
    "alpaca": {"instruction", "input", "output"},
    "sharegpt": {"conversations"},
    "openai": {"messages"},
    "chatml": {"text"},
}


@pytest.mark.parametrize("fmt", sorted(RECORD_KEYS))
def test_convert_writes_every_sample_in_the_format(afs, write_samples, tmp_path, fmt):
    write_samples("train.jsonl", 12)
    result = afs("training", "convert", "--input", "train.jsonl", "--output", f"train_{fmt}.jsonl",
                 "--format", fmt)

    records = read_records(tmp_path / f"train_{fmt}.jsonl")
    assert len(records) == 12
    assert all(set(r) == RECORD_KEYS[fmt] for r in records)
    assert summary_line(result) == f"convert: 12 samples -> train_{fmt}.jsonl as {fmt}"


def test_convert_thinking_field_and_system_prompt(afs, write_samples, tmp_path):
    write_samples("train.jsonl", 3)  # sample 0 has thinking
    result = afs("training", "convert", "--input", "train.jsonl", "--output", "chat.jsonl",
                 "--format", "openai", "--thinking", "field", "--system-prompt", "You know 65816.")

    assert result.returncode == 0, result.stderr
    first = read_records(tmp_path / "chat.jsonl")[0]["messages"]
    assert first[0] == {"role": "system", "content": "You know 65816."}
    assert first[-1]["reasoning_content"] == "It copies a byte."
    assert "<think>" not in first[-1]["content"]


def test_convert_skip_reports_and_keeps_bad_lines(afs, write_samples, tmp_path):
    path = write_samples("train.jsonl", 5)
    path.write_text(path.read_text() + '{"instruction": oops}\n')
    result = afs("training", "convert", "--input", "~/train.jsonl", "--output", "out.jsonl",
                 "--format", "alpaca", "--on-error", "skip")

    line = summary_line(result)
    assert len(read_records(tmp_path / "out.jsonl")) == 5
    [bad] = read_records(tmp_path / "out.rejects.jsonl")
    assert bad["line"] == 6 and "malformed JSON" in bad["error"]
    assert "1 bad lines skipped" in line and "out.rejects.jsonl" in line


def test_summaries_count_one_input_in_the_singular(afs, write_samples):
    write_samples("one.jsonl", 20)
    result = afs("training", "dedup", "--exact-only", "--input", "one.jsonl",
                 "--output", "deduped.jsonl")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("dedup: 1 input, 20 samples -> "), result.stdout
