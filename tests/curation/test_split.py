import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afs.errors import ConfigError
from afs.samples.frame import samples_to_frame
from afs.samples.model import TrainingSample
from afs.training import save_jsonl, split_dataset
from afs.curation.split import split_frame, write_splits

from tests.samples.helpers import make_frame, make_samples


def test_spec_call_from_path_and_sizes(tmp_path):
    path = tmp_path / "balanced.jsonl"
    save_jsonl(make_samples(1000, domains=("asm", "docs", "memory", "history")), path)
    splits = split_dataset(input_path=path, train_ratio=0.8, val_ratio=0.1, test_ratio=0.1,
                           stratify_by="domain", seed=42)
    assert {k: len(v) for k, v in splits.items()} == {"train": 800, "val": 100, "test": 100}
    for name, samples in splits.items():
        assert samples.frame["domain"].value_counts().to_dict() == \
            {"asm": len(samples) // 4, "docs": len(samples) // 4, "memory": len(samples) // 4,
             "history": len(samples) // 4}
    paths = write_splits(splits, tmp_path / "splits")
    assert sorted(p.name for p in paths.values()) == ["test.jsonl", "train.jsonl", "val.jsonl"]


def test_small_strata_are_not_dumped_into_test():
    # ten domains of three samples: floor-based allocation would put every remainder in test
    frame = make_frame(30, domains=tuple(f"d{i}" for i in range(10)))
    splits = split_frame(frame, 0.8, 0.1, 0.1, stratify_by="domain", seed=1)
    assert [len(splits[n]) for n in ("train", "val", "test")] == [24, 3, 3]
    for domain, rows in pd.concat(splits.values()).groupby("domain"):
        assert (splits["train"]["domain"] == domain).sum() >= 2


def test_single_sample_stratum_goes_to_train():
    frame = make_frame(101, domains=("big",) * 100 + ("rare",))
    splits = split_frame(frame, 0.8, 0.1, 0.1, seed=3)
    assert "rare" in set(splits["train"]["domain"])


def test_same_normalized_content_never_crosses_splits():
    base = make_samples(200, domains=("asm", "docs"))
    twins = [TrainingSample(instruction=s.instruction.upper() + "  ", output=" " + s.output,
                            domain=s.domain) for s in base[:60]]
    frame = samples_to_frame(base + twins)
    splits = split_frame(frame, 0.5, 0.25, 0.25, seed=9)
    location = {}
    for name, part in splits.items():
        for key in (part["instruction"].str.lower().str.strip() + "|" + part["output"].str.strip()):
            assert location.setdefault(key, name) == name


def test_ratio_errors():
    frame = make_frame(10)
    with pytest.raises(ConfigError, match="ratios must sum to 1"):
        split_frame(frame, 0.8, 0.3, 0.1)
    with pytest.raises(ConfigError, match=r"train_ratio must be in \[0, 1\]"):
        split_frame(frame, 1.2, 0.0, 0.0)
    with pytest.raises(ConfigError, match="stratify_by='flavour'"):
        split_frame(frame, stratify_by="flavour")


def test_test_ratio_defaults_to_remainder_and_no_stratify():
    splits = split_dataset(make_samples(100), train_ratio=0.7, val_ratio=0.2, stratify_by=None)
    assert [len(splits[n]) for n in ("train", "val", "test")] == [70, 20, 10]


def test_independent_of_input_order():
    frame = make_frame(300, domains=("a", "b", "c"))
    first = split_frame(frame, seed=5)
    second = split_frame(frame.sample(frac=1, random_state=3).reset_index(drop=True), seed=5)
    for name in first:
        assert sorted(first[name]["sample_id"]) == sorted(second[name]["sample_id"])
    other_seed = split_frame(frame, seed=6)
    assert sorted(other_seed["test"]["sample_id"]) != sorted(first["test"]["sample_id"])


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 150), n_domains=st.integers(1, 6), duplicates=st.integers(0, 30),
       ratios=st.sampled_from([(0.8, 0.1, 0.1), (0.7, 0.2, 0.1), (0.5, 0.5, 0.0), (1.0, 0.0, 0.0),
                               (0.34, 0.33, 0.33)]),
       seed=st.integers(0, 10_000))
def test_partition_no_leak_and_ratios(n, n_domains, duplicates, ratios, seed):
    samples = make_samples(n, domains=tuple(f"d{i}" for i in range(n_domains)), seed=seed)
    samples += samples[: min(duplicates, n)]  # exact twins must share a split
    frame = samples_to_frame(samples)
    splits = split_frame(frame, *ratios, stratify_by="domain", seed=seed)
    all_ids = [i for part in splits.values() for i in part["sample_id"]]
    assert sorted(all_ids) == sorted(frame["sample_id"])
    homes = {}
    for name, part in splits.items():
        for sample_id in part["sample_id"]:
            assert homes.setdefault(sample_id, name) == name
    if duplicates == 0:
        for ratio, name in zip(ratios, ("train", "val", "test")):
            assert abs(len(splits[name]) - ratio * len(frame)) <= 1


def test_group_column_joins_groups_with_the_text_keys():
    # clusters of three different texts; one twin per cluster shares a text with a member but
    # carries no cluster: it must follow its twin (transitively, the whole cluster)
    base = make_samples(300, domains=("asm",))
    frame = samples_to_frame(base)
    frame["_cluster"] = [f"c{i // 3}" if i < 90 else None for i in range(len(frame))]
    twins = samples_to_frame([TrainingSample(instruction=s.instruction, output=s.output,
                                             domain=s.domain) for s in base[:90:3]])
    twins["_cluster"] = None
    frame = pd.concat([frame, twins], ignore_index=True)
    splits = split_frame(frame, 0.5, 0.25, 0.25, seed=3, group_column="_cluster")
    side = {row_id: name for name, part in splits.items() for row_id in part["sample_id"]}
    for cluster, members in frame.groupby(frame["_cluster"].fillna("")):
        if cluster:
            assert len({side[m] for m in members["sample_id"]}) == 1, cluster
    assert sum(len(part) for part in splits.values()) == len(frame)
    with pytest.raises(ConfigError, match="group_column"):
        split_frame(frame, group_column="nope")
