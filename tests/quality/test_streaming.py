"""score_jsonl / filter_jsonl round trip, reasons, streaming, errors."""

from __future__ import annotations

from dataclasses import replace

import orjson
import pytest

from afs.errors import DataError
from afs.samples import TrainingSample, load_jsonl
from afs.samples.jsonl import write_samples
from afs.training import filter_jsonl, score_jsonl
from afs.quality.scorer import QualityScorer, ScoringConfig

GOOD = "```asm\n  LDA $10\n  STA $7E0012\n  RTL\n```\n" + "It copies the game mode. " * 20
BAD = "```asm\n  LDA $10\n  BOGUS $12\n```"


class HalfDiscriminator:
    def score_texts(self, texts, batch_size=32):
        return [0.5] * len(texts)


def read(path):
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_score_then_filter_round_trip(tmp_path):
    raw = tmp_path / "raw.jsonl"
    samples = [TrainingSample("good", GOOD, _metadata={"keep": 1}),
               TrainingSample("bad", BAD), TrainingSample("short", "ok")]
    write_samples(samples, raw)
    scored, kept, rejected = (tmp_path / n for n in ("s.jsonl", "k.jsonl", "r.jsonl"))
    # a model a user trained into models/electra must not change this test
    config = replace(ScoringConfig.from_profile("asm"), electra_model=str(tmp_path / "none"))
    report = score_jsonl(raw, scored, config=config, chunk_rows=2)
    assert report.rows == 3 and "scored 3 samples" in report.summary()
    records = read(scored)
    assert [r["sample_id"] for r in records] == [s.sample_id for s in samples]
    assert records[0]["_metadata"]["keep"] == 1
    quality = records[0]["_metadata"]["quality"]
    assert set(quality["components"]) == {"asar", "entity", "length"}
    assert quality["skipped"]["electra"] and quality["electra_score"] is None
    assert records[0]["quality_score"] == quality["overall"]
    assert len(load_jsonl(scored)) == 3  # still valid samples
    report = filter_jsonl(scored, kept, rejected, min_score=0.6)
    assert [r["sample_id"] for r in read(kept)] == [samples[0].sample_id]
    reasons = {r["instruction"]: r["reject_reason"] for r in read(rejected)}
    assert reasons["bad"].startswith("asar_invalid:")
    assert reasons["short"].startswith("low_quality:") and reasons["short"].endswith("<0.6")
    assert report.accepted == 1 and report.rejected == 2


def test_score_with_a_discriminator_object(tmp_path):
    raw, out = tmp_path / "raw.jsonl", tmp_path / "out.jsonl"
    write_samples([TrainingSample("q", GOOD)], raw)
    scorer = QualityScorer(ScoringConfig.from_profile("asm"), discriminator=HalfDiscriminator())
    score_jsonl(raw, out, scorer=scorer)
    quality = read(out)[0]["_metadata"]["quality"]
    assert quality["components"]["electra"] == 0.5 and quality["electra_score"] == 0.5


SIZE_UNITS = {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}


def progress_counts(text: str, desc: str) -> list[tuple[float, float]]:
    """(done, total) in bytes (as rounded in the line) of each progress line
    ``desc: 12.5 kB of 784.9 kB, ...``."""
    def size(words: str) -> float:
        number, unit = words.split()
        return float(number) * SIZE_UNITS[unit]

    counts = []
    for line in text.splitlines():
        if line.startswith(f"{desc}: ") and " of " in line:
            done, total = line.split(": ", 1)[1].split(", ")[0].split(" of ")
            counts.append((size(done), size(total)))
    return counts


def test_the_progress_of_score_and_filter_never_passes_the_input_size(tmp_path):
    """Scoring counted the bytes it wrote (a record with its _metadata.quality is longer than
    its input line) against the input's size: the bar ran past 100 %."""
    import io

    from afs.progress import Reporter, amount

    raw, scored, kept = tmp_path / "raw.jsonl", tmp_path / "s.jsonl", tmp_path / "k.jsonl"
    write_samples([TrainingSample(f"q{i}", GOOD) for i in range(1200)], raw)
    scorer = QualityScorer(ScoringConfig.from_profile("asm"), discriminator=HalfDiscriminator())
    stream = io.StringIO()
    every_chunk = Reporter(stream=stream, every=0.0, quiet_for=0.0)
    score_jsonl(raw, scored, scorer=scorer, chunk_rows=200, progress=every_chunk)
    lines = stream.getvalue().splitlines()
    counts = progress_counts(stream.getvalue(), "scoring raw.jsonl")
    assert scored.stat().st_size > 1.4 * raw.stat().st_size  # what was counted before
    assert len(counts) == 6 and all(done <= total for done, total in counts)
    whole = amount(raw.stat().st_size, "B")
    assert lines[-2].startswith(f"scoring raw.jsonl: {whole} of {whole}, ")
    stream.truncate(0)
    stream.seek(0)
    filter_jsonl(scored, kept, min_score=0.0, chunk_rows=400, progress=every_chunk)
    counts = progress_counts(stream.getvalue(), "filtering s.jsonl")
    assert len(counts) == 3 and all(done <= total for done, total in counts)
    assert counts[-1][0] == counts[-1][1]


def test_bad_line_names_file_and_line_and_writes_nothing(tmp_path):
    raw, out = tmp_path / "raw.jsonl", tmp_path / "out.jsonl"
    raw.write_text('{"instruction": "a", "output": "b"}\n{"instruction": 1}\n')
    with pytest.raises(DataError, match=r"raw.jsonl:2"):
        score_jsonl(raw, out)
    assert not out.exists()


def test_score_with_a_tiny_real_electra_model(tmp_path):
    pytest.importorskip("torch")
    from afs.discriminator import ElectraDiscriminator, score_jsonl as reexported

    assert reexported is score_jsonl
    model_dir = ElectraDiscriminator.create(layers=1, hidden=64, max_length=64, device="cpu",
                                            seed=1).save(tmp_path / "electra")
    raw, out = tmp_path / "raw.jsonl", tmp_path / "out.jsonl"
    write_samples([TrainingSample("q", GOOD), TrainingSample("r", "prose")], raw)
    score_jsonl(raw, out, model_path=model_dir, device="cpu", batch_size=2)
    first, again = read(out), (score_jsonl(raw, tmp_path / "again.jsonl", model_path=model_dir,
                                           device="cpu"), read(tmp_path / "again.jsonl"))[1]
    code, prose = (record["_metadata"]["quality"] for record in first)
    assert 0.0 <= code["components"]["electra"] <= 1.0
    assert "electra" not in prose["components"] and prose["electra_score"] is None
    assert prose["skipped"]["electra"] == "no code in the output"  # the model reads code only
    assert first == again


def test_unfenced_bad_code_is_rejected_whatever_the_threshold(tmp_path):
    """Issue 17: this output (3 of 4 lines code, 2 asar errors) was 'no code', asar_valid and
    kept at 0.42 with min_score 0.3; fenced, the same text was rejected."""
    raw, scored = tmp_path / "raw.jsonl", tmp_path / "scored.jsonl"
    zero_health = "ZeroHealth:\n  STA #$00\n  LDB $7EF36D\n  RTL"
    fenced = f"```asm\n{zero_health}\n```"
    write_samples([TrainingSample("q", zero_health), TrainingSample("q", fenced)], raw)
    config = replace(ScoringConfig.from_profile("asm"), electra_model=str(tmp_path / "none"))
    score_jsonl(raw, scored, config=config)
    plain, fenced = (r["_metadata"]["quality"] for r in read(scored))
    assert plain["asar_valid"] is False and plain["asar_errors"][0].startswith("2:")
    assert [e.split(":")[2] for e in plain["asar_errors"]] == \
        [e.split(":")[2] for e in fenced["asar_errors"]]
    report = filter_jsonl(scored, tmp_path / "k.jsonl", tmp_path / "r.jsonl", min_score=0.3)
    assert report.accepted == 0 and report.reasons == {"asar_invalid": 2}


def test_filter_holds_each_record_to_its_profiles_min_score(tmp_path):
    """Without min_score, filter_jsonl uses the min_score of the profile that scored each
    record (the pipeline's rule); a record scored without a profile name, its domain's."""
    from afs.quality.config import ProfileChoice

    choice = ProfileChoice()
    dialogue = choice.config("dialogue").min_score
    asm = choice.config("asm").min_score
    assert dialogue < asm
    between = (dialogue + asm) / 2
    records = [{"instruction": "a", "output": "x", "domain": "asm", "quality_score": between,
                "_metadata": {"quality": {"profile": "dialogue", "asar_valid": True}}},
               {"instruction": "b", "output": "x", "domain": "history",
                "quality_score": between, "_metadata": {"quality": {"asar_valid": True}}},
               {"instruction": "c", "output": "x", "domain": "history",
                "quality_score": between,
                "_metadata": {"quality": {"profile": "asm", "asar_valid": True}}}]
    scored = tmp_path / "scored.jsonl"
    scored.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    report = filter_jsonl(scored, tmp_path / "k.jsonl", tmp_path / "r.jsonl")
    assert [r["instruction"] for r in read(tmp_path / "k.jsonl")] == ["a", "b"]
    assert read(tmp_path / "r.jsonl")[0]["reject_reason"].endswith(f"<{asm:g}")
    assert report.accepted == 2
    records[0]["_metadata"]["quality"]["profile"] = "mine"
    scored.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    with pytest.raises(DataError, match=r"scored.jsonl:1: scored with profile 'mine'"):
        filter_jsonl(scored, tmp_path / "k.jsonl", tmp_path / "r.jsonl")
