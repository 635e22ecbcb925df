"""The quality_scoring pipeline under SequentialRunner with the project's catalog and
parameters: every raw sample is kept or rejected with a reason, duplicates and samples the
last model saw are dropped, the rest filtered by score."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pandas as pd
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog
from kedro.runner import SequentialRunner

from afs.generators.synthetic import synthetic_samples
from afs.pipelines.quality_scoring import create_pipeline
from afs.samples.jsonl import write_jsonl_frame

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_every_sample_is_kept_or_rejected_with_a_reason(tmp_path):
    shutil.copytree(PROJECT_ROOT / "conf" / "base", tmp_path / "conf" / "base")
    (tmp_path / "conf" / "base" / "globals.yml").write_text(f"data_root: {tmp_path / 'data'}\n")
    (tmp_path / "conf" / "local").mkdir()
    raw = synthetic_samples(300, seed=5)
    seen = raw.iloc[:20]                                   # the last model already had these
    raw = pd.concat([raw, raw.iloc[[30, 31]]], ignore_index=True)  # and two exact duplicates
    write_jsonl_frame(raw, tmp_path / "data" / "03_primary" / "raw_samples.jsonl")
    write_jsonl_frame(seen, tmp_path / "data" / "01_raw" / "v1_training.jsonl")
    loader = OmegaConfigLoader(str(tmp_path / "conf"), base_env="base", default_run_env="local")
    html_path = tmp_path / "data" / "08_reporting" / "quality_report.html"
    catalog = DataCatalog.from_config({  # no MLflow run here: plain datasets for the MLflow ones
        **loader["catalog"], "quality_metrics": {"type": "MemoryDataset"},
        "quality_report_html": {"type": "text.TextDataset", "filepath": str(html_path)}})
    catalog["params:quality_scoring"] = loader["parameters"]["quality_scoring"]
    SequentialRunner().run(create_pipeline(), catalog)

    report = catalog.load("quality_report")
    assert report["input"] == 302 and report["all_rows_accounted_for"] is True
    assert report["rejects_by_step"]["dedup"] >= 2
    assert report["rejects_by_reason"]["seen_in_reference"] == 20
    rejected = [orjson.loads(line) for line in
                (tmp_path / "data" / "04_feature" / "rejected.jsonl").read_bytes().splitlines()]
    assert len(rejected) == report["rejected"]
    assert all(r["reject_step"] and r["reject_reason"] for r in rejected)
    kept = catalog.load("filtered_samples")
    assert len(kept) == report["kept"] > 0
    assert (kept["quality_score"] >= 0.6).all()
    scored = catalog.load("scored_samples")
    assert len(scored) == 302 and scored["quality_score"].notna().all()
    metrics = catalog.load("quality_metrics")
    assert metrics["input"] == {"value": 302.0, "step": 0}
    page = html_path.read_text()
    assert page.count('src="data:image/png;base64,') == 5
    assert ">302<" in page and f">{report['kept']}<" in page and f">{report['rejected']}<" in page
