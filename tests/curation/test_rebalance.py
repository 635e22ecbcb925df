import logging
import re
import warnings
from contextlib import contextmanager

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


@contextmanager
def notes_only(caplog):
    """The rebalance's notes: INFO lines of afs.curation, never an AfsWarning (they say how
    the weights worked out; the user need not act). Yields the list the notes go to."""
    notes: list[str] = []
    caplog.clear()
    with warnings.catch_warnings(), caplog.at_level(logging.INFO, logger="afs.curation"):
        warnings.simplefilter("error", AfsWarning)
        yield notes
    notes.extend(record.getMessage() for record in caplog.records
                 if record.name == "afs.curation.rebalance" and record.levelno == logging.INFO)


def noted(notes: list[str], pattern: str) -> bool:
    return any(re.search(pattern, note) for note in notes)


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
    with pytest.raises(ConfigError, match=r"total 1200 is more than the 740 samples available "
                                          r"\(memory 240, oracle 500\); lower the total or pass "
                                          "allow_oversample"):
        rebalance_datasets(sources, weights, total=1200)
    result = rebalance_datasets(sources, weights, total=1200, allow_oversample=True)
    assert counts(result) == {"oracle": 600, "memory": 600}
    assert not result.frame["sample_id"].is_unique


def test_a_total_within_reach_takes_a_short_group_whole_and_the_rest_by_weight(sources, caplog):
    weights = {"oracle": 0.5, "memory": 0.5}
    with notes_only(caplog) as notes:  # history, without a weight, would be a warning
        result = rebalance_datasets(sources[:2], weights, total=700)
    assert noted(notes, r"group 'memory' \(weight 0.5\) has 240 of its 240 samples left, short of "
                        r"its share \(350\) of the total 700, so it is scarce: all 240 are taken")
    assert counts(result) == {"oracle": 460, "memory": 240}
    assert result.report.scarce == ("memory",)
    # the strict mix keeps the old rule: a group short of its share is an error
    with pytest.raises(ConfigError, match="total 700 needs 350 samples from group 'memory', "
                                          "which has 240"):
        rebalance_datasets(sources, weights, total=700, scarce_below=0)


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


def grouped_frame(sizes, seed):
    frames = []
    for index, size in enumerate(sizes):
        frame = make_frame(size, prefix=f"g{index}", seed=seed + index)
        frame["_group"] = f"g{index}"
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(0, 60), min_size=1, max_size=4),
       weights=st.lists(st.floats(0.05, 5), min_size=4, max_size=4),
       min_quality=st.none() | st.floats(0, 1), seed=st.integers(0, 1000))
def test_strict_mix_loses_nothing_and_holds_the_ratios_within_one_sample(sizes, weights,
                                                                         min_quality, seed):
    frame = grouped_frame(sizes, seed)
    groups = {f"g{i}": weights[i] for i, size in enumerate(sizes) if size}
    if not groups:
        return
    eligible = frame[frame["quality_score"] >= min_quality] if min_quality is not None else frame
    options = dict(min_quality_score=min_quality, seed=seed, scarce_below=0)
    if set(groups) - set(eligible["_group"]):  # a weighted group emptied: an error, not 0 rows
        with pytest.raises(EmptyRebalanceError, match="rebalance keeps no sample: group 'g"):
            rebalance_frame(frame, "_group", groups, **options)
        return
    kept, rejects, plan = rebalance_frame(frame, "_group", groups, **options)
    assert len(kept) and not plan.scarce
    assert sorted([*kept["sample_id"], *rejects["sample_id"]]) == sorted(frame["sample_id"])
    share = {g: w / sum(groups.values()) for g, w in groups.items()}
    got = kept["_group"].value_counts()
    rounded_up = set(plan.rounded_up)  # each got the one sample its share rounded away
    assert all(got[group] == 1 for group in rounded_up)
    for group, weight in share.items():
        if group not in rounded_up:
            assert abs(got.get(group, 0) - weight * (len(kept) - len(rounded_up))) <= 1


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(0, 80), min_size=1, max_size=4),
       weights=st.lists(st.floats(0.01, 5), min_size=4, max_size=4),
       min_quality=st.none() | st.floats(0, 1), seed=st.integers(0, 1000),
       scarce_below=st.floats(0.05, 1))
def test_a_scarce_group_gives_all_it_has_and_caps_no_other(sizes, weights, min_quality, seed,
                                                          scarce_below):
    frame = grouped_frame(sizes, seed)
    groups = {f"g{i}": weights[i] for i, size in enumerate(sizes) if size}
    eligible = frame[frame["quality_score"] >= min_quality] if min_quality is not None else frame
    have = eligible["_group"].value_counts()
    if not groups or not have.reindex(list(groups), fill_value=0).any():
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AfsWarning)
        kept, rejects, plan = rebalance_frame(frame, "_group", groups, min_quality_score=min_quality,
                                              seed=seed, scarce_below=scarce_below)
        strict = rebalance_frame(frame, "_group", groups, min_quality_score=min_quality,
                                 seed=seed, scarce_below=0) if have.reindex(
                                     list(groups), fill_value=0).all() else None
    assert kept["sample_id"].is_unique
    assert sorted([*kept["sample_id"], *rejects["sample_id"]]) == sorted(frame["sample_id"])
    got = kept["_group"].value_counts()
    available = sum(have.get(g, 0) for g in groups)
    for group in groups:  # every weighted group with samples gives at least one
        assert got.get(group, 0) == plan.taken[group] >= min(1, have.get(group, 0))
    whole = sum(groups.values())
    for group in plan.scarce:  # each scarce group is under its share and gives all it has
        assert have.get(group, 0) < scarce_below * groups[group] / whole * available
        assert got.get(group, 0) == have.get(group, 0)
    rest = {g: w for g, w in groups.items() if g not in plan.scarce}
    rest_total = sum(plan.taken[g] for g in rest)
    for group, weight in rest.items():  # the others follow the weights among themselves
        exact = weight / sum(rest.values()) * rest_total
        assert abs(plan.taken[group] - exact) <= 1 + len(groups) or plan.taken[group] == 1
    if strict is not None:  # never a smaller mix than the strict one
        assert len(kept) >= len(strict.kept)


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


def test_a_filter_that_empties_a_group_leaves_it_out_and_says_why(tmp_path):
    inputs = seed_workflow(tmp_path)
    weights = {"oracle": 0.4, "memory": 0.3, "history": 0.3}
    with pytest.warns(AfsWarning) as caught:
        result = rebalance_datasets(inputs, weights, min_quality_score=0.5)
    assert counts(result) == {"oracle": int((load_jsonl(inputs[0]).frame["quality_score"]
                                             >= 0.5).sum())}
    messages = [str(w.message) for w in caught]
    assert messages == [
        "rebalance: group 'history' (weight 0.3) has 0 of its 30 samples left (30 without a "
        "quality_score; min_quality_score 0.5): the mix has none of it, and the other groups "
        "are not capped by it",
        "rebalance: group 'memory' (weight 0.3) has 0 of its 40 samples left (40 without a "
        "quality_score; min_quality_score 0.5): the mix has none of it, and the other groups "
        "are not capped by it"]
    assert result.report.effective_weights() == {"history": 0.0, "memory": 0.0, "oracle": 1.0}


def test_a_filter_that_empties_every_group_or_any_in_the_strict_mix_is_an_error(tmp_path):
    inputs = seed_workflow(tmp_path)
    with pytest.raises(EmptyRebalanceError) as caught:
        rebalance_datasets(inputs, {"oracle": 0.4, "memory": 0.3, "history": 0.3},
                           min_quality_score=0.5, rejects_path=tmp_path / "rejects.jsonl",
                           scarce_below=0)
    message = str(caught.value)
    assert message.startswith(
        "rebalance keeps no sample: group 'history' (weight 0.3) has 0 of its 30 samples left "
        "(30 without a quality_score; min_quality_score 0.5); group 'memory' (weight 0.3) has 0 "
        "of its 40 samples left (40 without a quality_score; min_quality_score 0.5)")
    assert "oracle" not in message
    assert not (tmp_path / "rejects.jsonl").exists()  # no partial output
    with pytest.raises(EmptyRebalanceError, match="group 'memory' \\(weight 0.5\\) has 0 of its 40"):
        rebalance_datasets(inputs[1:], {"memory": 0.5, "history": 0.5}, min_quality_score=0.5)


def test_the_group_that_caps_the_mix_says_so_with_the_numbers(sources, caplog):
    with notes_only(caplog) as messages:
        result = rebalance_datasets(sources, {"oracle": 0.4, "memory": 0.3, "history": 0.3},
                                    min_quality_score=0.5)
    assert len(messages) == 1
    memory_left = int((result.frame["domain"] == "memory").sum())
    assert messages[0].startswith(
        f"rebalance: group 'memory' (weight 0.3) caps the mix: it has {memory_left} of its 240 "
        f"samples left ({240 - memory_left} below min_quality_score; min_quality_score 0.5), "
        "the fewest for its weight (its share of the")
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


# --- a scarce source must not cap the others (issue 17 §4) -----------------------------------
# The shipped data after quality scoring, by generation source, and the shipped weights.
SHIPPED = {"oracle": 575, "knowledge": 680, "memory": 13, "history": 11}
SHIPPED_WEIGHTS = {"oracle": 0.65, "knowledge": 0.3, "memory": 0.03, "history": 0.02}


def by_origin(sizes: dict[str, int]) -> pd.DataFrame:
    return pd.concat([stamped(n, origin, seed=i) for i, (origin, n) in enumerate(sizes.items())],
                     ignore_index=True).assign(_group=lambda f: sample_groups(f, ORIGIN_KEY))


def taken(kept: pd.DataFrame) -> dict[str, int]:
    return kept["_group"].value_counts().to_dict()


def test_a_scarce_source_gives_what_it_has_and_does_not_cap_the_others(caplog):
    # on the shipped data this is the weights at work, not a problem: information, no warning
    with notes_only(caplog) as messages:
        kept, rejects, plan = rebalance_frame(by_origin(SHIPPED), "_group", SHIPPED_WEIGHTS)
    # 13 memory samples at 0.03 used to cap the mix at 433; now they are all taken, and the
    # others follow their weights (oracle, the fewest for its weight, sets their size)
    assert taken(kept) == {"oracle": 575, "knowledge": 265, "memory": 13, "history": 11}
    assert plan.scarce == ("history", "memory")
    assert plan.effective_weights() == {"history": 0.0127, "knowledge": 0.3067,
                                        "memory": 0.015, "oracle": 0.6655}
    assert rejects["reject_reason"].value_counts().to_dict() == {"rebalance_cap:knowledge": 415}
    assert list(plan.notes) == messages and plan.warnings == ()
    assert messages[1] == (
        "rebalance: group 'memory' (weight 0.03) has 13 of its 13 samples left, under 0.5 of "
        "its share (38) of the 1279 samples available, so it is scarce: all 13 are taken (0.015 "
        "of the mix) and the other groups are not capped by it (allow_oversample repeats it up "
        "to its share; scarce_below 0 lets it size the mix)")
    assert messages[2].startswith("rebalance: group 'oracle' (weight 0.65) caps the mix")


def test_the_strict_mix_is_kept_under_scarce_below_0(caplog):
    with notes_only(caplog) as notes:
        kept, _, plan = rebalance_frame(by_origin(SHIPPED), "_group", SHIPPED_WEIGHTS,
                                        scarce_below=0)
    assert noted(notes, r"group 'memory' \(weight 0.03\) caps the mix")
    assert taken(kept) == {"oracle": 281, "knowledge": 130, "memory": 13, "history": 9}


def test_allow_oversample_repeats_a_scarce_source_up_to_its_share(caplog):
    with notes_only(caplog) as notes:
        kept, _, plan = rebalance_frame(by_origin(SHIPPED), "_group", SHIPPED_WEIGHTS,
                                        allow_oversample=True)
    assert noted(notes, r"its 13 samples are repeated to 26 \(allow_oversample\)")
    assert taken(kept) == {"oracle": 575, "knowledge": 265, "memory": 26, "history": 18}
    assert kept.loc[kept["_group"] == "memory", "sample_id"].nunique() == 13
    assert plan.describe_weights() == (
        "history 0.02 -> 0.0204 (scarce: 18 from 11), knowledge 0.3 -> 0.3, memory 0.03 -> "
        "0.0294 (scarce: 26 from 13), oracle 0.65 -> 0.65")


def test_a_source_with_no_samples_is_left_out_not_an_error():
    frame = by_origin({"oracle": 50, "knowledge": 30})
    with pytest.warns(AfsWarning, match=r"group 'memory' \(weight 0.03\) has no sample in the "
                                        r"input \(groups are: knowledge, oracle\): the mix has "
                                        "none of it"):
        kept, _, plan = rebalance_frame(frame, "_group", SHIPPED_WEIGHTS)
    assert taken(kept) == {"oracle": 50, "knowledge": 23}
    assert plan.taken["memory"] == plan.taken["history"] == 0
    with pytest.raises(ConfigError, match="weight 'history', 'memory' names no group in the input"):
        rebalance_frame(frame, "_group", SHIPPED_WEIGHTS, scarce_below=0)


def test_rounding_never_drops_a_whole_source(caplog):
    frame = by_origin({"big": 100, "small": 5})
    weights = {"big": 0.999, "small": 0.001}
    with notes_only(caplog) as notes:
        kept, _, plan = rebalance_frame(frame, "_group", weights)  # its share: 0.1 of a sample
    assert noted(notes, "group 'small' has 5 samples but its share of a mix of 101 rounds to "
                        "none; it gets one")
    assert taken(kept) == {"big": 100, "small": 1}
    assert plan.rounded_up == ("small",)
    kept, _, _ = rebalance_frame(frame, "_group", weights, total=10)
    assert taken(kept) == {"big": 9, "small": 1}
    with pytest.raises(ConfigError, match="total 1 is smaller than the 2 groups with a weight"):
        rebalance_frame(frame, "_group", weights, total=1)


def test_the_same_seed_gives_the_same_mix_with_scarce_sources():
    first = rebalance_frame(by_origin(SHIPPED), "_group", SHIPPED_WEIGHTS, seed=3)[0]
    again = rebalance_frame(by_origin(SHIPPED), "_group", SHIPPED_WEIGHTS, seed=3)[0]
    assert first["sample_id"].tolist() == again["sample_id"].tolist()
