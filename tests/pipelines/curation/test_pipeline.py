"""The curation pipeline under SequentialRunner, on the project's own catalog and parameters
pointed at small synthetic data in tmp_path (v1_training, and a filtered_samples file as
quality_scoring writes it: each sample stamped with its generation source, deduplicated, the
kept member of each duplicate cluster tagged): nothing is lost, nothing leaks, ratios hold."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import orjson
import pandas as pd
import pytest
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog
from kedro.runner import SequentialRunner

from afs.generators.synthetic import DOMAINS, synthetic_samples
from afs.pipelines.curation import create_pipeline
from afs.samples.frame import add_sample_ids, concat_frames, metadata_values, with_metadata
from afs.samples.jsonl import write_jsonl_frame
from afs.samples.model import ORIGIN_KEY
from afs.dedup.config import CLUSTER_KEY, DedupConfig
from afs.dedup.clusters import deduplicate

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SPLITS = ("train", "val", "test")
FORMATS = ("alpaca", "sharegpt", "openai")
# generation source (the data_generation source names) -> (samples, their domains)
NEW_SOURCES = {"oracle": (240, ("asm", "docs")), "knowledge": (200, ("asm", "oracle")),
               "memory": (60, ("memory",)), "history": (40, ("history", "docs"))}
WITHOUT_ORIGIN = 15  # samples from before sources were stamped: rebalanced as "unknown"
DUPLICATE_EVERY = 10  # every 10th new sample gets a copy, so dedup leaves a tagged cluster


def write_input_data(root: Path) -> None:
    """v1 training data, and filtered_samples: each source's samples stamped with
    ``_metadata.origin`` (domains shared between sources, so only the origin tells them
    apart), plus a few without an origin; all sample ids disjoint. As quality scoring hands
    them over, they are deduplicated: some had an exact copy (another sample id, the same
    text up to whitespace), and each cluster's kept member carries ``_metadata.dup_cluster``."""
    data = root / "data"
    write_jsonl_frame(synthetic_samples(400, seed=11, domains=DOMAINS),
                      data / "01_raw" / "v1_training.jsonl")
    frames = []
    for index, (origin, (rows, domains)) in enumerate(NEW_SOURCES.items(), start=1):
        frame = synthetic_samples(rows, seed=11 + index, domains=domains, start=index * 10_000)
        frames.append(with_metadata(frame, ORIGIN_KEY, origin))
    frames.append(synthetic_samples(WITHOUT_ORIGIN, seed=3, start=90_000))
    new = concat_frames(frames)
    copies = new.iloc[::DUPLICATE_EVERY].copy()
    copies["output"] = copies["output"] + "\n"
    deduplicated = deduplicate(concat_frames([new, add_sample_ids(copies)]),
                               DedupConfig(near=False)).kept
    write_jsonl_frame(deduplicated, data / "04_feature" / "filtered.jsonl")


def load_project_config(root: Path) -> tuple[dict, dict]:
    """(catalog config, parameters) from a copy of conf/base whose data root is ``root/data``,
    with an empty conf/local."""
    shutil.copytree(PROJECT_ROOT / "conf" / "base", root / "conf" / "base")
    (root / "conf" / "base" / "globals.yml").write_text(f"data_root: {root / 'data'}\n")
    (root / "conf" / "local").mkdir()
    loader = OmegaConfigLoader(str(root / "conf"), base_env="base", default_run_env="local")
    return loader["catalog"], loader["parameters"]


def param_value(parameters: dict, dotted: str):
    value = parameters
    for key in dotted.split("."):
        value = value[key]
    return value


def build_catalog(catalog_config: dict, parameters: dict, pipeline) -> DataCatalog:
    """The project catalog, metrics kept in memory (no MLflow run here), plus parameters."""
    catalog_config = {**catalog_config, "curation_metrics": {"type": "MemoryDataset"}}
    catalog = DataCatalog.from_config(catalog_config)
    for name in pipeline.inputs():
        if name.startswith("params:"):
            catalog[name] = param_value(parameters, name.removeprefix("params:"))
    return catalog


def run_curation(root: Path, **overrides) -> dict:
    """Run the pipeline on data under ``root``; ``overrides`` maps "mix.rehearsal_ratio" -> value."""
    write_input_data(root)
    catalog_config, parameters = load_project_config(root)
    parameters = copy.deepcopy(parameters)
    for dotted, value in overrides.items():
        *path, last = dotted.split(".")
        param_value(parameters["curation"], ".".join(path))[last] = value
    pipeline = create_pipeline()
    catalog = build_catalog(catalog_config, parameters, pipeline)
    outputs = SequentialRunner().run(pipeline, catalog)
    return {"catalog": catalog, "outputs": outputs, "parameters": parameters["curation"],
            "data": root / "data"}


def load_inputs(catalog: DataCatalog) -> pd.DataFrame:
    return pd.concat([catalog.load("v1_training"), catalog.load("filtered_samples")],
                     ignore_index=True)


def load_step_rejects(catalog: DataCatalog) -> pd.DataFrame:
    names = ("rehearsal_rejects", "rebalance_rejects", "mix_rejects")
    return pd.concat([catalog.load(name) for name in names], ignore_index=True)


CASES = {
    "shipped_parameters": {},
    "high_ratio_capped_domains": {"mix.rehearsal_ratio": 0.5, "rehearsal.max_per_domain": 12,
                                  "rebalance.min_quality_score": None},
    "small_buffer": {"rehearsal.top_ratio": 0.05, "split.stratify_by": "source"},
    # memory (60 samples at 0.3 of 540) is scarce and "wiki" made no sample: neither caps the mix
    "scarce_sources": {"rebalance.weights": {"oracle": 0.4, "knowledge": 0.2, "memory": 0.3,
                                             "history": 0.1, "wiki": 0.05}},
}


@pytest.fixture(scope="module", params=list(CASES), ids=list(CASES))
def curation_run(request, tmp_path_factory):
    """One pipeline run per parameter case, shared by the tests (they only read)."""
    return run_curation(tmp_path_factory.mktemp(request.param), **CASES[request.param])


def test_every_input_row_is_in_a_split_or_rejected_with_a_reason(curation_run):
    catalog = curation_run["catalog"]
    inputs = load_inputs(catalog)
    assert inputs["sample_id"].is_unique
    split_ids = pd.concat([catalog.load(f"{s}_split")["sample_id"] for s in SPLITS])
    rejects = load_step_rejects(catalog)
    assert rejects["reject_reason"].str.len().gt(0).all()
    assert set(rejects["reject_step"]) <= {"rehearsal_select", "rebalance", "rehearsal_mix"}
    assert len(split_ids) + len(rejects) == len(inputs)
    assert set(split_ids) | set(rejects["sample_id"]) == set(inputs["sample_id"])
    assert not set(split_ids) & set(rejects["sample_id"])


def test_rejects_file_has_every_reject_with_step_and_reason(curation_run):
    catalog = curation_run["catalog"]
    lines = (curation_run["data"] / "08_reporting/curation_rejects.jsonl").read_bytes().splitlines()
    records = [orjson.loads(line) for line in lines]
    assert len(records) == len(load_step_rejects(catalog))
    assert all(record["reject_step"] and record["reject_reason"] for record in records)


def test_splits_are_disjoint_and_follow_the_ratios(curation_run):
    catalog, parameters = curation_run["catalog"], curation_run["parameters"]["split"]
    splits = {name: catalog.load(f"{name}_split") for name in SPLITS}
    ids = [set(frame["sample_id"]) for frame in splits.values()]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    total = sum(len(frame) for frame in splits.values())
    for name, frame in splits.items():
        assert abs(len(frame) - parameters[f"{name}_ratio"] * total) <= 1 + 0.01 * total


def test_no_duplicate_cluster_spans_two_splits(curation_run):
    catalog = curation_run["catalog"]
    splits_of: dict[str, set[str]] = {}
    for split in SPLITS:
        for cluster in metadata_values(catalog.load(f"{split}_split"), CLUSTER_KEY).dropna():
            splits_of.setdefault(cluster, set()).add(split)
    assert all(len(splits) == 1 for splits in splits_of.values()), splits_of
    if len(catalog.load("rebalanced_new_data")):  # tagged samples did reach the splits
        assert splits_of


def test_rehearsal_share_of_the_mix(curation_run):
    catalog, ratio = curation_run["catalog"], curation_run["parameters"]["mix"]["rehearsal_ratio"]
    buffer, mixed = catalog.load("rehearsal_buffer"), catalog.load("mixed_samples")
    from_buffer = int(mixed["sample_id"].isin(buffer["sample_id"]).sum())
    new_rows = len(mixed) - from_buffer
    assert new_rows == len(catalog.load("rebalanced_new_data"))
    wanted = round(ratio * new_rows / (1 - ratio))
    if not len(mixed):  # no new data: nothing to rehearse against
        assert wanted == 0
    elif len(buffer) >= wanted:
        assert abs(from_buffer / len(mixed) - ratio) <= 1 / len(mixed)
    else:  # a small buffer is used whole, and nothing of it is surplus
        assert from_buffer == len(buffer)
        assert catalog.load("mix_rejects").empty


def test_rebalanced_new_data_follows_the_source_weights(curation_run):
    """Each source gets its weight's share, but a scarce one (too few samples for its weight)
    gives all it has and the others follow the weights among themselves."""
    catalog, weights = curation_run["catalog"], curation_run["parameters"]["rebalance"]["weights"]
    assert set(NEW_SOURCES) <= set(weights)  # the weights name every generation source
    rebalanced = catalog.load("rebalanced_new_data")
    counts = metadata_values(rebalanced, ORIGIN_KEY).value_counts()
    plan = catalog.load("curation_report")["rebalance"]
    scarce = set(plan["scarce"])
    for origin in scarce:
        assert counts.get(origin, 0) == plan["available"][origin] == plan["taken"][origin]
    rest = {origin: weight for origin, weight in weights.items() if origin not in scarce}
    rest_rows = sum(counts.get(origin, 0) for origin in rest)
    for origin, weight in rest.items():
        assert abs(counts.get(origin, 0) - weight / sum(rest.values()) * rest_rows) <= 1
    assert set(counts.index) <= set(NEW_SOURCES)


def test_report_holds_the_weights_asked_and_effective(curation_run):
    catalog, outputs = curation_run["catalog"], curation_run["outputs"]
    report, weights = catalog.load("curation_report"), curation_run["parameters"]["rebalance"]["weights"]
    plan = report["rebalance"]
    counts = metadata_values(catalog.load("rebalanced_new_data"), ORIGIN_KEY).value_counts()
    assert plan["group_by"] == "origin"
    assert plan["taken"] == {origin: int(counts.get(origin, 0)) for origin in weights}
    assert plan["effective_weights"] == {
        origin: round(n / report["steps"]["rebalanced"], 4) for origin, n in plan["taken"].items()}
    assert plan["weights"] == {o: round(w / sum(weights.values()), 4) for o, w in weights.items()}
    metrics = outputs["curation_metrics"].load()
    for origin, share in plan["effective_weights"].items():
        assert metrics[f"rebalance.effective_weights.{origin}"]["value"] == share
    # the weights at work are notes (INFO); a weighted group without samples is a warning
    rebalance_warnings = [w for w in report["warnings"] if w.startswith("rebalance: ")]
    notes = plan["notes"]
    empty = [group for group in plan["scarce"] if plan["available"][group] == 0]
    assert len(rebalance_warnings) == len(empty)
    assert len(notes) == len(plan["scarce"]) - len(empty) + len(plan["rounded_up"]) + any(
        "caps the mix" in note for note in notes)
    if plan["scarce"]:  # the scarce_sources case
        assert plan["scarce"] == ["memory", "wiki"]
        assert plan["taken"]["memory"] == plan["available"]["memory"] > 0
        assert plan["taken"]["wiki"] == 0
        # memory capping the mix would have held it to its samples over its share
        strict = plan["available"]["memory"] / plan["weights"]["memory"]
        assert report["steps"]["rebalanced"] > 1.5 * strict
        assert rebalance_warnings[0].startswith(
            "rebalance: group 'wiki' (weight 0.05) has no sample in the input (groups are: "
            "history, knowledge, memory, oracle, unknown): the mix has none of it")


def test_samples_without_an_origin_are_rejected_as_the_unknown_group(curation_run):
    rejects = curation_run["catalog"].load("rebalance_rejects")
    unknown = rejects[rejects["reject_reason"] == "no_weight:unknown"]
    assert len(unknown) == WITHOUT_ORIGIN
    assert metadata_values(unknown, ORIGIN_KEY).isna().all()


def _first_user_text(record: dict, fmt: str) -> str:
    if fmt == "alpaca":
        return record["instruction"]
    turns = record["conversations"] if fmt == "sharegpt" else record["messages"]
    key = "value" if fmt == "sharegpt" else "content"
    return turns[0][key]


def _turn_roles(record: dict, fmt: str) -> list[str]:
    if fmt == "sharegpt":
        return [turn["from"] for turn in record["conversations"]]
    return [turn["role"] for turn in record["messages"]]


@pytest.mark.parametrize("fmt", FORMATS)
def test_exports_have_one_record_per_sample_in_the_trainer_shape(curation_run, fmt):
    catalog = curation_run["catalog"]
    for split in SPLITS:
        samples = catalog.load(f"{split}_split")
        records = catalog.load(f"{fmt}_{split}_export")
        assert len(records) == len(samples)
        assert (curation_run["data"] / f"05_model_input/{fmt}/{split}.jsonl").is_file()
        for record, instruction in zip(records, samples["instruction"], strict=True):
            assert _first_user_text(record, fmt).startswith(instruction)
            if fmt == "alpaca":
                assert {"instruction", "input", "output"} <= set(record)
            else:
                assert _turn_roles(record, fmt) == ["user", "assistant"]


def test_report_and_metrics_count_the_same_rows(curation_run):
    catalog, outputs = curation_run["catalog"], curation_run["outputs"]
    report = catalog.load("curation_report")
    assert report["all_rows_accounted_for"] is True
    metrics = outputs["curation_metrics"].load()
    for split in SPLITS:
        rows = len(catalog.load(f"{split}_split"))
        assert report["split"][split] == rows
        assert metrics[f"split.{split}"]["value"] == rows
    assert metrics["rehearsal_selected"]["value"] == len(catalog.load("rehearsal_buffer"))
    train_domains = catalog.load("train_split")["domain"].value_counts()
    for domain, rows in train_domains.items():
        assert metrics[f"domain.train.{domain}"]["value"] == rows
    png = (curation_run["data"] / "08_reporting/domain_mix.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_warns_when_the_rehearsal_ratio_is_unmet(curation_run):
    report = curation_run["catalog"].load("curation_report")
    asked = curation_run["parameters"]["mix"]["rehearsal_ratio"]
    assert report["rehearsal_ratio_asked"] == asked
    in_mix, mixed = report["steps"]["rehearsal_in_mix"], report["steps"]["mixed"]
    new = report["steps"]["rebalanced"]
    wanted = round(asked * new / (1 - asked))
    if curation_run["parameters"]["rehearsal"]["top_ratio"] == 0.05:
        assert in_mix < wanted  # 20 of the 400 v1 samples cannot make 30 % of the mix
    rehearsal_warnings = [w for w in report["warnings"] if not w.startswith("rebalance: ")]
    if in_mix >= wanted:
        assert rehearsal_warnings == []
    else:
        assert rehearsal_warnings == [
            f"rehearsal_ratio {asked:g} unmet: it asks for {wanted} buffer samples beside {new} "
            f"new ones, but the buffer gave {in_mix}; rehearsal is {in_mix} of {mixed} samples "
            f"({in_mix / mixed:.1%}). Build a larger buffer (a higher top_ratio, a lower quality "
            "threshold, more earlier data) or lower rehearsal_ratio"]


def test_a_rebalance_that_keeps_nothing_fails_the_run(tmp_path):
    from afs.curation.rebalance import EmptyRebalanceError

    with pytest.raises(EmptyRebalanceError, match=r"rebalance keeps no sample: group 'history' "
                                                  r"\(weight 0.02\) has 0 of its \d+ samples "
                                                  r"left \(\d+ below min_quality_score; "
                                                  r"min_quality_score 2\)"):
        run_curation(tmp_path, **{"rebalance.min_quality_score": 2.0})
    assert not (tmp_path / "data" / "04_feature" / "rebalanced_new_data.parquet").exists()
    assert not (tmp_path / "data" / "05_model_input" / "samples" / "train.jsonl").exists()
