"""The quality_scoring pipeline under SequentialRunner with the project's catalog and
parameters: every raw sample is kept or rejected with a reason, duplicates, samples the last
model saw and samples overlapping the shipped eval suite are dropped, and the rest filtered
by the score of the profile each sample's domain maps to."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import orjson
import pandas as pd
import pytest
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog, DatasetError
from kedro.runner import SequentialRunner

from afs.errors import ConfigError
from afs.generators.synthetic import synthetic_samples
from afs.pipelines.quality_scoring import create_pipeline, nodes
from afs.samples.frame import metadata_values, samples_to_frame
from afs.samples.jsonl import read_jsonl_frame, write_jsonl_frame
from afs.samples.model import TrainingSample
from afs.quality.config import ScoringConfig

PROJECT_ROOT = Path(__file__).resolve().parents[3]
EVAL_SUITE = PROJECT_ROOT / "data" / "01_raw" / "eval" / "eval_suite.jsonl"
OVERLAPPING_EVAL_ITEM = "alttp-health"  # its answer quotes the RAM table's description


def eval_item(eval_id: str) -> pd.Series:
    suite, _ = read_jsonl_frame(EVAL_SUITE)
    return suite[metadata_values(suite, "eval_id") == eval_id].iloc[0]


def special_samples() -> pd.DataFrame:
    """A knowledge sample that copies an eval item's answer; two short factual answers of
    the same length, one in a domain the parameters map to the reference profile and one in
    a domain left on the default (asm) profile."""
    item = eval_item(OVERLAPPING_EVAL_ITEM)
    return samples_to_frame([
        TrainingSample(instruction="What does $7EF36D hold in A Link to the Past?",
                       output=item["output"], domain="knowledge", source="test"),
        TrainingSample(instruction="What is at $2137 on the SNES?",
                       output="$2137 is `SLHV`, the software latch for the H/V counters; 1 byte.",
                       domain="knowledge", source="test"),
        TrainingSample(instruction="Say what the sentry alert byte means.",
                       output="SentryAlert stays nonzero while a sentry statue has spotted Link.",
                       domain="asm.write", source="test")])


def run_pipeline(root: Path, raw: pd.DataFrame, seen: pd.DataFrame, eval_suite: Path | None,
                 **overrides) -> DataCatalog:
    """The pipeline on the project's conf under ``root`` (data root ``root/data``), with
    ``overrides`` of the quality_scoring parameters."""
    shutil.copytree(PROJECT_ROOT / "conf" / "base", root / "conf" / "base")
    (root / "conf" / "base" / "globals.yml").write_text(f"data_root: {root / 'data'}\n")
    (root / "conf" / "local").mkdir()
    data = root / "data"
    write_jsonl_frame(raw, data / "03_primary" / "raw_samples.jsonl")
    write_jsonl_frame(seen, data / "01_raw" / "v1_training.jsonl")
    symbols = data / "01_raw" / "asm" / "Core" / "ram.asm"  # the parameters' address_files
    symbols.parent.mkdir(parents=True)
    shutil.copy2(PROJECT_ROOT / "data" / "01_raw" / "asm" / "Core" / "ram.asm", symbols)
    if eval_suite is not None:
        (data / "01_raw" / "eval").mkdir(parents=True)
        shutil.copy2(eval_suite, data / "01_raw" / "eval" / "eval_suite.jsonl")
    loader = OmegaConfigLoader(str(root / "conf"), base_env="base", default_run_env="local")
    catalog = DataCatalog.from_config({  # no MLflow run here: plain datasets for the MLflow ones
        **loader["catalog"], "quality_metrics": {"type": "MemoryDataset"},
        "quality_report_html": {"type": "text.TextDataset",
                                "filepath": str(data / "08_reporting" / "quality_report.html")}})
    catalog["params:quality_scoring"] = {**loader["parameters"]["quality_scoring"], **overrides}
    SequentialRunner().run(create_pipeline(), catalog)
    return catalog


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> dict:
    """One run with the shipped parameters and eval suite: 300 synthetic samples (20 of them
    already in v1_training, two repeated exactly) and the special samples."""
    root = tmp_path_factory.mktemp("quality")
    raw = synthetic_samples(300, seed=5)
    seen = raw.iloc[:20]                                   # the last model already had these
    raw = pd.concat([raw, raw.iloc[[30, 31]], special_samples()], ignore_index=True)
    catalog = run_pipeline(root, raw, seen, EVAL_SUITE)
    return {"catalog": catalog, "data": root / "data", "raw": raw}


def rejected_records(data: Path) -> list[dict]:
    return [orjson.loads(line) for line in
            (data / "04_feature" / "rejected.jsonl").read_bytes().splitlines()]


def test_every_sample_is_kept_or_rejected_with_a_reason(shipped):
    catalog, data = shipped["catalog"], shipped["data"]
    report = catalog.load("quality_report")
    assert report["input"] == 305 and report["all_rows_accounted_for"] is True
    assert list(report["rejects"]["step"])[:4] == ["dedup", "reference_dedup",
                                                   "decontamination", "quality_filter"]
    assert report["rejects"]["step"]["dedup"] >= 2
    assert report["rejects"]["reason"]["seen_in_reference"] == 20
    rejected = rejected_records(data)
    assert len(rejected) == report["rejected"]
    assert all(r["reject_step"] and r["reject_reason"] for r in rejected)
    kept = catalog.load("filtered_samples")
    assert len(kept) == report["kept"] > 0
    parameters = catalog.load("params:quality_scoring")
    profiles = metadata_values(kept, "quality").map(lambda quality: quality["profile"])
    for profile, group in kept.groupby(profiles):
        threshold = ScoringConfig.from_profile(profile, parameters.get("profiles")).min_score
        assert (group["quality_score"] >= threshold).all()
    scored = catalog.load("scored_samples")
    assert len(scored) == 305 and scored["quality_score"].notna().all()
    metrics = catalog.load("quality_metrics")
    assert metrics["input"] == {"value": 305.0, "step": 0}
    page = (data / "08_reporting" / "quality_report.html").read_text()
    assert page.count('src="data:image/png;base64,') == 5
    assert ">305<" in page and f">{report['kept']}<" in page and f">{report['rejected']}<" in page


def test_a_sample_overlapping_an_eval_item_is_dropped_naming_the_item(shipped):
    catalog, data = shipped["catalog"], shipped["data"]
    contaminated = special_samples().iloc[0]
    item = eval_item(OVERLAPPING_EVAL_ITEM)
    rejects = catalog.load("decontamination_rejects")
    assert rejects["sample_id"].tolist() == [contaminated["sample_id"]]
    assert rejects["reject_step"].tolist() == ["decontamination"]
    assert rejects["reject_reason"].tolist() == [f"contaminated:{item['sample_id']}"]
    assert contaminated["sample_id"] not in set(catalog.load("filtered_samples")["sample_id"])
    in_file = [r for r in rejected_records(data) if r["sample_id"] == contaminated["sample_id"]]
    assert [r["reject_reason"] for r in in_file] == [f"contaminated:{item['sample_id']}"]
    report = catalog.load("quality_report")
    assert report["rejects"]["step"]["decontamination"] == 1
    assert report["rejects"]["reason"]["contaminated"] == 1
    metrics = catalog.load("quality_metrics")
    assert metrics["rejects.step.decontamination"]["value"] == 1.0
    assert metrics["rejects.reason.contaminated"]["value"] == 1.0
    page = (data / "08_reporting" / "quality_report.html").read_text()
    assert ">decontamination<" in page and ">contaminated<" in page


def test_decontamination_switched_off_keeps_the_overlapping_sample(tmp_path):
    raw = pd.concat([synthetic_samples(30, seed=8), special_samples()], ignore_index=True)
    seen = synthetic_samples(1, seed=99)  # the last model's data: one unrelated sample
    catalog = run_pipeline(tmp_path, raw, seen, EVAL_SUITE, decontaminate=False)
    contaminated = special_samples().iloc[0]
    assert catalog.load("decontamination_rejects").empty
    assert contaminated["sample_id"] in set(catalog.load("filtered_samples")["sample_id"])
    report = catalog.load("quality_report")
    assert report["rejects"]["step"]["decontamination"] == 0
    assert report["all_rows_accounted_for"] is True


def test_a_missing_eval_suite_fails_naming_the_file(tmp_path):
    with pytest.raises(DatasetError, match=r"eval_suite.*eval_suite\.jsonl: no such file"):
        run_pipeline(tmp_path, synthetic_samples(10, seed=2), synthetic_samples(1, seed=99), None)


def test_an_empty_eval_suite_is_an_error_unless_decontamination_is_off():
    samples = synthetic_samples(5, seed=1)
    with pytest.raises(ConfigError, match="eval suite .* holds no items"):
        nodes.decontaminate_samples(samples, samples.iloc[:0], {})
    kept, rejects = nodes.decontaminate_samples(samples, samples.iloc[:0],
                                                {"decontaminate": False})
    assert len(kept) == 5 and rejects.empty and "reject_reason" in rejects


def test_each_domain_is_scored_and_filtered_by_its_profile(shipped):
    catalog = shipped["catalog"]
    _, register, prose = special_samples().itertuples(index=False)
    assert len(register.output) == len(prose.output)
    scored = catalog.load("scored_samples").set_index("sample_id")
    profiles = metadata_values(scored, "quality").map(lambda quality: quality["profile"])
    assert profiles[register.sample_id] == "reference" and profiles[prose.sample_id] == "asm"
    assert scored.loc[register.sample_id, "quality_score"] >= 0.6  # a complete lookup
    kept = set(catalog.load("filtered_samples")["sample_id"])
    assert register.sample_id in kept and prose.sample_id not in kept
    reasons = catalog.load("filter_rejects").set_index("sample_id")["reject_reason"]
    assert reasons[prose.sample_id].startswith("low_quality:") and \
        reasons[prose.sample_id].endswith("<0.6")
    report = catalog.load("quality_report")
    assert report["profile_by_domain"]["knowledge"] == "reference"
    assert report["profile_by_domain"]["asm"] == "asm"          # not in domain_profiles
    assert report["profile_by_domain"]["history"] == "dialogue"


def test_an_unknown_profile_in_domain_profiles_fails_before_scoring():
    quality = copy.deepcopy(OmegaConfigLoader(str(PROJECT_ROOT / "conf"), base_env="base",
                                              default_run_env="local")["parameters"]
                            ["quality_scoring"])
    quality["domain_profiles"]["docs"] = "nope"
    with pytest.raises(ConfigError, match=r"unknown scoring profile.*'docs': 'nope'"):
        nodes.score_samples(synthetic_samples(3, seed=1), quality)


def test_entity_coverage_knows_the_projects_own_symbols():
    """Code naming the hack's RAM (Core/ram.asm, the parameters' address_files) covers known
    addresses; without the file those names are unknown."""
    from afs.quality.frame import scorer_from_parameters

    code = "```asm\nLDA.w SprAction, X : STA.w SentryAlert\nRTS\n```"
    ram = str(PROJECT_ROOT / "data" / "01_raw" / "asm" / "Core" / "ram.asm")
    with_symbols = scorer_from_parameters({"address_files": [ram]}).score_outputs([code])[0]
    without = scorer_from_parameters({}).score_outputs([code])[0]
    assert with_symbols.entity_coverage == 1.0
    assert without.entity_coverage == 0.0


def test_the_pipeline_on_ray_writes_what_it_writes_locally(shipped, tmp_path, ray_cluster):
    """`executor: {kind: ray}` in the parameters (as `kedro run --params
    quality_scoring.executor.kind=ray` sets it) scores and dedups on the cluster; every
    output the pipeline writes is byte-identical to the local run's."""
    run_pipeline(tmp_path, shipped["raw"], shipped["raw"].iloc[:20], EVAL_SUITE,
                 executor={"kind": "ray", "num_workers": 2})
    local, on_ray = shipped["data"], tmp_path / "data"
    for output in ("04_feature/scored.parquet", "04_feature/filtered.jsonl",
                   "04_feature/rejected.jsonl"):
        assert (on_ray / output).read_bytes() == (local / output).read_bytes(), output
