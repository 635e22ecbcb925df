import json
import logging
import re
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afs.errors import AfsWarning, ConfigError
from afs.samples.frame import samples_to_frame
from afs.samples.model import TrainingSample
from afs.training import RehearsalBuffer, RehearsalBufferConfig, load_jsonl, save_jsonl
from afs.curation.rehearsal import mix_rehearsal, select_rehearsal

from tests.samples.helpers import make_frame, make_samples


@pytest.fixture
def v1_file(tmp_path):
    path = tmp_path / "v1_training.jsonl"
    save_jsonl(make_samples(1000, domains=("asm", "docs", "oracle"), seed=1), path)
    return path


def test_spec_workflow_mixes_exact_rehearsal_share(v1_file, tmp_path):
    buffer = RehearsalBuffer(config=RehearsalBufferConfig(quality_threshold=0.0, top_ratio=0.3))
    assert buffer.load_from_jsonl(v1_file, version="v1") == 1000
    assert len(buffer.select_top_samples(ratio=0.3)) == 300
    new = make_samples(700, prefix="new", seed=2)
    mixed = buffer.merge_with_new_data(new, rehearsal_ratio=0.3, shuffle=True, seed=42)
    assert len(mixed) == 1000
    from_buffer = [s for s in mixed if "provenance" in s._metadata]
    assert len(from_buffer) == 300
    assert {s.sample_id for s in mixed} >= {s.sample_id for s in new}


def test_rehearsal_count_is_capped_by_the_buffer_and_says_so(v1_file):
    buffer = RehearsalBuffer(RehearsalBufferConfig(top_ratio=0.05))
    buffer.load_from_jsonl(v1_file, version="v1")
    with pytest.warns(AfsWarning, match=r"^rehearsal_ratio 0.3 unmet: it asks for 300 buffer "
                                        r"samples beside 700 new ones, but the buffer gave 50 "
                                        r"\(it holds 50, 0 of them already in the new data\); "
                                        r"rehearsal is 50 of 750 samples \(6.7%\)"):
        mixed = buffer.merge_with_new_data(make_samples(700, prefix="new"), rehearsal_ratio=0.3)
    assert len(mixed) == 750


def test_a_met_ratio_warns_nothing(v1_file):
    buffer = RehearsalBuffer(RehearsalBufferConfig(top_ratio=0.3))
    buffer.load_from_jsonl(v1_file, version="v1")
    with warnings.catch_warnings():
        warnings.simplefilter("error", AfsWarning)
        assert len(buffer.merge_with_new_data(make_samples(700, prefix="new"), 0.3)) == 1000


def test_top_ratio_unmet_by_the_threshold_says_why_as_information(v1_file, caplog):
    """The selection rules at work (the threshold kept fewer than top_ratio asks): an INFO line,
    not a warning; a rehearsal_ratio the mix then misses is the warning."""
    buffer = RehearsalBuffer(RehearsalBufferConfig(quality_threshold=0.95, top_ratio=0.3))
    buffer.load_from_jsonl(v1_file, version="v1")
    with warnings.catch_warnings(), caplog.at_level(logging.INFO, logger="afs.curation"):
        warnings.simplefilter("error", AfsWarning)
        selected = buffer.select_top_samples()
    [note] = [r for r in caplog.records if r.name == "afs.curation.rehearsal"]
    assert note.levelno == logging.INFO
    assert re.match(r"rehearsal buffer: top_ratio 0.3 asks for 300 of 1000 samples, but only \d+ "
                    r"pass the selection \(below_quality_threshold x\d+", note.getMessage())
    assert 0 < len(selected) < 100


def test_mixing_into_empty_new_data_is_an_error(v1_file):
    buffer = RehearsalBuffer()
    buffer.load_from_jsonl(v1_file, version="v1")
    with pytest.raises(ConfigError, match="the new data is empty"):
        buffer.merge_with_new_data([], rehearsal_ratio=0.3)


@pytest.mark.parametrize("ratio", [-0.1, 1.0, 1.5])
def test_rehearsal_ratio_outside_unit_interval_is_an_error(v1_file, ratio):
    buffer = RehearsalBuffer()
    buffer.load_from_jsonl(v1_file, version="v1")
    with pytest.raises(ConfigError, match=r"rehearsal_ratio must be in \[0, 1\)"):
        buffer.merge_with_new_data(make_samples(10, prefix="n"), rehearsal_ratio=ratio)


def test_threshold_and_top_ratio(v1_file):
    buffer = RehearsalBuffer(RehearsalBufferConfig(quality_threshold=0.9, top_ratio=0.3))
    buffer.load_from_jsonl(v1_file, version="v1")
    selected = buffer.select_top_samples()
    assert 0 < len(selected) < 300
    assert min(s.quality_score for s in selected) >= 0.9
    assert buffer.stats()["rejected_by_reason"]["below_quality_threshold"] > 600


def test_diversity_spreads_across_domains_instead_of_one_top_domain():
    # every "asm" sample outscores every "docs" and "memory" sample
    samples = [TrainingSample(instruction=f"{d} task {i}", output=f"LDA #${i:02X}", domain=d,
                              source="s", quality_score=(0.9 if d == "asm" else 0.5) + i / 1e4)
               for d in ("asm", "docs", "memory") for i in range(100)]
    pool = samples_to_frame(samples)
    diverse, _ = select_rehearsal(pool, RehearsalBufferConfig(top_ratio=0.3))
    plain, _ = select_rehearsal(pool, RehearsalBufferConfig(top_ratio=0.3, enable_diversity=False))
    assert set(plain["domain"]) == {"asm"}
    assert diverse["domain"].value_counts().to_dict() == {"asm": 30, "docs": 30, "memory": 30}
    # within each domain the best samples are the ones kept
    assert diverse[diverse.domain == "docs"]["quality_score"].min() == pytest.approx(0.5 + 70 / 1e4)


def test_diversity_drops_near_identical_instructions():
    samples = [TrainingSample(instruction="What does Sprite_Move do?", output="a", quality_score=0.5),
               TrainingSample(instruction="what does  sprite_move do", output="b", quality_score=0.9),
               TrainingSample(instruction="What does Sprite_Draw do?", output="c", quality_score=0.7)]
    selected, rejects = select_rehearsal(samples_to_frame(samples), RehearsalBufferConfig(top_ratio=1.0))
    assert sorted(selected["output"]) == ["b", "c"]
    assert rejects["reject_reason"].tolist() == [f"near_duplicate_of:{samples[1].sample_id}"]


def test_max_per_domain_caps_each_domain(v1_file):
    buffer = RehearsalBuffer(RehearsalBufferConfig(top_ratio=0.5, max_per_domain=50))
    buffer.load_from_jsonl(v1_file, version="v1")
    counts = buffer.stats()["selected_by_domain"]
    assert counts == {"asm": 50, "docs": 50, "oracle": 50}
    assert buffer.stats()["rejected_by_reason"]["domain_cap"] > 0


def test_provenance_records_version_and_file_for_each_version(tmp_path):
    save_jsonl(make_samples(20, prefix="a", seed=1), tmp_path / "v1.jsonl")
    save_jsonl(make_samples(20, prefix="b", seed=2), tmp_path / "v2.jsonl")
    buffer = RehearsalBuffer(RehearsalBufferConfig(top_ratio=1.0))
    buffer.load_from_jsonl(tmp_path / "v1.jsonl", version="v1")
    buffer.load_from_jsonl(tmp_path / "v2.jsonl", version="v2")
    provenance = {(s._metadata["provenance"]["version"], s._metadata["provenance"]["file"])
                  for s in buffer.samples}
    assert provenance == {("v1", str(tmp_path / "v1.jsonl")), ("v2", str(tmp_path / "v2.jsonl"))}
    assert buffer.stats()["loaded_by_version"] == {"v1": 20, "v2": 20}
    # other metadata survives next to the provenance
    assert any(s._metadata.get("index") for s in buffer.samples)


def test_no_provenance_when_not_tracked(v1_file):
    buffer = RehearsalBuffer(RehearsalBufferConfig(track_provenance=False, top_ratio=1.0))
    buffer.load_from_jsonl(v1_file, version="v1")
    assert not any("provenance" in s._metadata for s in buffer.samples)


def test_save_expands_home_and_writes_the_buffer(v1_file, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    buffer = RehearsalBuffer()
    buffer.load_from_jsonl(v1_file, version="v1")
    path = buffer.save("~/.context/training/rehearsal/v1.jsonl")
    assert path == tmp_path / ".context/training/rehearsal/v1.jsonl"
    assert len(load_jsonl(path)) == 300
    first = json.loads(path.read_text().splitlines()[0])
    assert first["_metadata"]["provenance"]["version"] == "v1"


def test_buffer_samples_already_in_new_data_are_not_doubled():
    shared = make_samples(50, seed=5)
    buffer, _ = select_rehearsal(samples_to_frame(shared), RehearsalBufferConfig(top_ratio=1.0))
    new = samples_to_frame(shared[:40] + make_samples(30, prefix="n"))
    mixed, rejects = mix_rehearsal(buffer, new, rehearsal_ratio=0.5)
    assert mixed["sample_id"].is_unique and len(mixed) == 70 + 10
    assert (rejects["reject_reason"].str.startswith("duplicate_of:")).sum() == 40


@settings(max_examples=25, deadline=None)
@given(pool_size=st.integers(0, 120), new_size=st.integers(1, 120), top=st.floats(0, 1),
       ratio=st.floats(0, 0.95), threshold=st.floats(0, 1), cap=st.none() | st.integers(0, 40),
       diversity=st.booleans(), seed=st.integers(0, 2**16))
def test_no_sample_lost_or_doubled_and_ratio_honoured(pool_size, new_size, top, ratio, threshold,
                                                      cap, diversity, seed):
    config = RehearsalBufferConfig(quality_threshold=threshold, top_ratio=top,
                                   enable_diversity=diversity, max_per_domain=cap, seed=seed)
    pool = make_frame(pool_size, domains=("a", "b", "c"), sources=("x", "y"), seed=seed)
    selected, rejects = select_rehearsal(pool, config)
    assert sorted([*selected["sample_id"], *rejects["sample_id"]]) == sorted(pool["sample_id"])
    assert rejects["reject_reason"].notna().all()
    assert len(selected) <= round(top * pool_size)
    new = make_frame(new_size, prefix="new", seed=seed + 1)
    mixed, mix_rejects = mix_rehearsal(selected, new, ratio, seed=seed)
    assert mixed["sample_id"].is_unique
    rehearsed = len(mixed) - new_size
    assert rehearsed == min(len(selected), round(ratio * new_size / (1 - ratio)))
    assert rehearsed + len(mix_rejects) == len(selected)
    again, _ = mix_rehearsal(selected, new, ratio, seed=seed)
    assert again["sample_id"].tolist() == mixed["sample_id"].tolist()


def test_same_instruction_over_different_input_is_not_a_duplicate():
    samples = [TrainingSample(instruction="Explain this routine.", input=f"LDA #${i:02X}\nRTS",
                              output=f"Loads {i}.", quality_score=0.5 + i / 100) for i in range(5)]
    selected, rejects = select_rehearsal(samples_to_frame(samples), RehearsalBufferConfig(top_ratio=1.0))
    assert len(selected) == 5 and not len(rejects)
