"""The data_generation pipeline under SequentialRunner with the project's catalog and
parameters, on a copy of the shipped raw tree: every configured source lands in its own
table and in raw_samples, the report accounts for everything, runs are deterministic."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog
from kedro.runner import SequentialRunner

from afs.pipelines.data_generation import create_pipeline

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SOURCES = {"oracle", "knowledge", "memory", "history"}


def project_copy(root: Path) -> tuple[dict, dict]:
    """conf/base and data/01_raw/{asm,context} under ``root``; (catalog config, parameters)."""
    shutil.copytree(PROJECT_ROOT / "conf" / "base", root / "conf" / "base")
    (root / "conf" / "base" / "globals.yml").write_text(f"data_root: {root / 'data'}\n")
    (root / "conf" / "local").mkdir()
    for part in ("asm", "context"):
        shutil.copytree(PROJECT_ROOT / "data" / "01_raw" / part, root / "data" / "01_raw" / part)
    loader = OmegaConfigLoader(str(root / "conf"), base_env="base", default_run_env="local")
    return loader["catalog"], loader["parameters"]


def run(catalog_config: dict, parameters: dict) -> DataCatalog:
    catalog = DataCatalog.from_config({**catalog_config,
                                       "generation_metrics": {"type": "MemoryDataset"}})
    catalog["params:data_generation"] = parameters["data_generation"]
    SequentialRunner().run(create_pipeline(), catalog)
    return catalog


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp("generation")
    catalog_config, parameters = project_copy(root)
    return root, catalog_config, parameters, run(catalog_config, parameters)


def test_every_source_has_its_table_and_is_in_raw_samples(generated):
    root, _, _, catalog = generated
    tables = sorted(p.stem for p in (root / "data" / "02_intermediate" / "generated").iterdir())
    assert set(tables) == SOURCES
    raw = catalog.load("raw_samples")
    report = catalog.load("generation_report")
    assert len(raw) == report["total"] == sum(s["samples"] for s in report["sources"].values())
    for name, section in report["sources"].items():
        assert section["samples"] > 0, name
    assert set(raw["source"].str.len() > 0) == {True}


def test_metrics_count_samples_per_source(generated):
    _, _, _, catalog = generated
    metrics = catalog.load("generation_metrics")
    report = catalog.load("generation_report")
    assert metrics["total"] == {"value": float(report["total"]), "step": 0}
    assert {name for name in metrics if "." not in name} == SOURCES | {"total"}


def test_runs_are_deterministic_and_removed_sources_leave_no_table(generated, tmp_path):
    root, catalog_config, parameters, catalog = generated
    first = (root / "data" / "03_primary" / "raw_samples.jsonl").read_bytes()
    run(catalog_config, parameters)
    assert (root / "data" / "03_primary" / "raw_samples.jsonl").read_bytes() == first
    fewer = copy.deepcopy(parameters)
    del fewer["data_generation"]["sources"]["knowledge"]
    run(catalog_config, fewer)
    tables = {p.stem for p in (root / "data" / "02_intermediate" / "generated").iterdir()}
    assert tables == SOURCES - {"knowledge"}
    run(catalog_config, parameters)  # leave the shared fixture as it was
