import warnings

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afs.errors import AfsWarning, ConfigError
from afs.samples import load_jsonl
from afs.samples.frame import metadata_values, with_metadata
from afs.samples.jsonl import write_jsonl_frame
from afs.samples.model import ORIGIN_KEY
from afs.training import rebalance_datasets, save_jsonl
from afs.curation.rebalance import (
    UNKNOWN_GROUP, EmptyRebalanceError, rebalance_frame, sample_groups,
)

from tests.samples.helpers import make_frame, make_samples


@pytest.fixture
def sources(tmp_path):
    sizes = {"oracle": 500, "memory": 240, "history": 300}
    paths = []
    for seed, (name, size) in enumerate(sizes.items()):
        path = tmp_path / f"{name}.jsonl"
        save_jsonl(make_samples(size, domains=(name,), sources=(name,), prefix=name, seed=seed), path)
        paths.append(path)
    return paths


def counts(samples):
    return samples.frame["domain"].value_counts().to_dict()


def test_weights_keyed_by_file_stem_default_total_without_oversampling(sources, tmp_path):
    result = rebalance_datasets(inputs=sources, weights={"oracle": 0.4, "memory": 0.3, "history": 0.3},
                                shuffle=True, seed=42, rejects_path=tmp_path / "rejects.jsonl")
    # memory (240 samples at weight 0.3) limits the mix to 800
    assert counts(result) == {"oracle": 320, "memory": 240, "history": 240}
    assert result.frame["sample_id"].is_unique
    rejects = load_jsonl(tmp_path / "rejects.jsonl")
    assert len(rejects) == 1040 - 800
    assert {r._metadata["reject_reason"] for r in rejects} == {"rebalance_cap:oracle", "rebalance_cap:history"}


def test_min_quality_score_drops_with_reason(sources):
    result = rebalance_datasets(sources, {"oracle": 1, "memory": 1, "history": 1}, min_quality_score=0.5)
    assert all(s.quality_score >= 0.5 for s in result)
    assert "low_quality" in set(result.rejects["reject_reason"])


def test_weight_naming_nothing_is_an_error(sources):
    with pytest.raises(ConfigError, match="weight 'docs' names no group in the input; groups are: history, memory, oracle"):
        rebalance_datasets(sources, {"oracle": 0.5, "docs": 0.5})


def test_group_without_weight_is_dropped_with_reason(sources):
    result = rebalance_datasets(sources, {"oracle": 0.5, "memory": 0.5})
    assert set(counts(result)) == {"oracle", "memory"}
    assert (result.rejects["reject_reason"] == "no_weight:history").sum() == 300


def test_group_by_domain(tmp_path):
    path = tmp_path / "all.jsonl"
    save_jsonl(make_samples(300, domains=("asm", "asm", "docs")), path)
    result = rebalance_datasets([path], {"asm": 0.5, "docs": 0.5}, group_by="domain")
    assert counts(result) == {"asm": 100, "docs": 100}


def test_total_beyond_reach_needs_allow_oversample(sources):
    weights = {"oracle": 0.5, "memory": 0.5}
    with pytest.raises(ConfigError, match="needs 600 samples from group 'memory', which has 240"):
        rebalance_datasets(sources, weights, total=1200)
    result = rebalance_datasets(sources, weights, total=1200, allow_oversample=True)
    assert counts(result) == {"oracle": 600, "memory": 600}
    assert not result.frame["sample_id"].is_unique


def test_same_stem_twice_is_an_error(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        save_jsonl(make_samples(3), tmp_path / folder / "oracle.jsonl")
    with pytest.raises(ConfigError, match="two inputs share the name 'oracle'"):
        rebalance_datasets([tmp_path / "a/oracle.jsonl", tmp_path / "b/oracle.jsonl"], {"oracle": 1})


def test_deterministic_for_a_seed(sources):
    weights = {"oracle": 0.4, "memory": 0.3, "history": 0.3}
    first = rebalance_datasets(sources, weights, seed=7).frame["sample_id"].tolist()
    assert rebalance_datasets(sources, weights, seed=7).frame["sample_id"].tolist() == first
    assert rebalance_datasets(sources, weights, seed=8).frame["sample_id"].tolist() != first


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(0, 60), min_size=1, max_size=4),
       weights=st.lists(st.floats(0.05, 5), min_size=4, max_size=4),
       min_quality=st.none() | st.floats(0, 1), seed=st.integers(0, 1000))
def test_no_loss_and_ratios_within_one_sample(sizes, weights, min_quality, seed):
    frames = []
    for index, size in enumerate(sizes):
        frame = make_frame(size, prefix=f"g{index}", seed=seed + index)
        frame["_group"] = f"g{index}"
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    groups = {f"g{i}": weights[i] for i, size in enumerate(sizes) if size}
    if not groups:
        return
    eligible = frame[frame["quality_score"] >= min_quality] if min_quality is not None else frame
    if set(groups) - set(eligible["_group"]):  # a weighted group emptied: an error, not 0 rows
        with pytest.raises(EmptyRebalanceError, match="rebalance keeps no sample: group 'g"):
            rebalance_frame(frame, "_group", groups, min_quality_score=min_quality, seed=seed)
        return
    kept, rejects = rebalance_frame(frame, "_group", groups, min_quality_score=min_quality, seed=seed)
    assert len(kept)
    assert sorted([*kept["sample_id"], *rejects["sample_id"]]) == sorted(frame["sample_id"])
    total = len(kept)
    share = {g: w / sum(groups.values()) for g, w in groups.items()}
    got = kept["_group"].value_counts()
    for group, weight in share.items():
        assert abs(got.get(group, 0) - weight * total) <= 1


def stamped(n: int, origin: str | None, **kwargs):
    """``n`` samples, each with ``_metadata.origin = origin`` (none when origin is None)."""
    frame = make_frame(n, prefix=origin or "old", **kwargs)
    return frame if origin is None else with_metadata(frame, ORIGIN_KEY, origin)


def test_sample_groups_by_origin_with_unknown_for_rows_without_one():
    frame = pd.concat([stamped(3, "oracle"), stamped(2, None), stamped(1, "memory")],
                      ignore_index=True)
    assert sample_groups(frame, "origin").tolist() == [
        "oracle", "oracle", "oracle", UNKNOWN_GROUP, UNKNOWN_GROUP, "memory"]
    assert sample_groups(frame, "domain").tolist() == frame["domain"].tolist()


def test_sample_groups_names_the_choices_for_a_table():
    with pytest.raises(ConfigError, match=r"group_by must be one of \('origin', 'domain', "
                                          r"'source'\) for a table of samples, got 'file'"):
        sample_groups(make_frame(2), "file")


def test_group_by_origin_follows_the_generation_sources(tmp_path):
    path = tmp_path / "filtered.jsonl"
    write_jsonl_frame(pd.concat([stamped(200, "oracle", domains=("asm", "docs")),
                                 stamped(60, "memory", domains=("asm", "memory")),
                                 stamped(10, None)], ignore_index=True), path)
    result = rebalance_datasets([path], {"oracle": 0.75, "memory": 0.25}, group_by="origin")
    origins = metadata_values(result.frame, ORIGIN_KEY).value_counts().to_dict()
    assert origins == {"oracle": 180, "memory": 60}  # memory (60 at 0.25) limits the mix
    reasons = result.rejects["reject_reason"].value_counts().to_dict()
    assert reasons == {"rebalance_cap:oracle": 20, "no_weight:unknown": 10}


def seed_workflow(tmp_path):
    """The seed's inputs: scored oracle samples, memory/history exports without a score."""
    paths = []
    for seed, (name, size) in enumerate({"oracle": 300, "memory": 40, "history": 30}.items()):
        samples = make_samples(size, domains=(name,), prefix=name, seed=seed,
                               scores=name == "oracle")
        paths.append(save_jsonl(samples, tmp_path / f"{name}.jsonl"))
    return paths


def test_a_filter_that_empties_a_group_is_an_error_naming_it_and_why(tmp_path):
    inputs = seed_workflow(tmp_path)
    with pytest.raises(EmptyRebalanceError) as caught:
        rebalance_datasets(inputs, {"oracle": 0.4, "memory": 0.3, "history": 0.3},
                           min_quality_score=0.5, rejects_path=tmp_path / "rejects.jsonl")
    message = str(caught.value)
    assert message.startswith(
        "rebalance keeps no sample: group 'history' (weight 0.3) has 0 of its 30 samples left "
        "(30 without a quality_score; min_quality_score 0.5); group 'memory' (weight 0.3) has 0 "
        "of its 40 samples left (40 without a quality_score; min_quality_score 0.5)")
    assert "oracle" not in message
    assert not (tmp_path / "rejects.jsonl").exists()  # no partial output


def test_a_group_below_its_weight_says_so_with_the_numbers(sources):
    with pytest.warns(AfsWarning) as caught:
        result = rebalance_datasets(sources, {"oracle": 0.4, "memory": 0.3, "history": 0.3},
                                    min_quality_score=0.5)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1
    memory_left = int((result.frame["domain"] == "memory").sum())
    assert messages[0].startswith(
        f"rebalance: group 'memory' falls below its weight 0.3: it has {memory_left} of its 240 "
        f"samples left ({240 - memory_left} below min_quality_score; min_quality_score 0.5)")
    assert f"so the mix holds {len(result)} samples" in messages[0]
    capped = int(result.rejects["reject_reason"].str.startswith("rebalance_cap:").sum())
    assert messages[0].endswith(f"{capped} samples of the other groups are left out "
                                "(rebalance_cap)")


def test_proportional_groups_and_unweighted_groups(sources):
    with warnings.catch_warnings():
        warnings.simplefilter("error", AfsWarning)
        rebalance_datasets(sources[:1], {"oracle": 1})  # one group: nothing is short
    with pytest.warns(AfsWarning, match=r"no weight for group\(s\) history; their 300 samples "
                                        r"are dropped \(no_weight\)"):
        rebalance_datasets(sources, {"oracle": 0.5, "memory": 0.5})
