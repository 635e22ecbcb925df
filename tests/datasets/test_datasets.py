"""The catalog's own datasets: SampleJSONLDataset (alone and inside a PartitionedDataset, and
its message when a stage's input was not written yet) and JSONLinesDataset."""

from __future__ import annotations

import logging

import pandas as pd
import pytest
from kedro.io import DataCatalog, DatasetError
from kedro_datasets.partitions import PartitionedDataset

from afs.datasets import JSONLinesDataset, SampleJSONLDataset
from afs.generators.synthetic import synthetic_samples

from tests.pipelines.curation.test_pipeline import load_project_config


@pytest.fixture
def samples() -> pd.DataFrame:
    return synthetic_samples(50, seed=5)


def test_sample_dataset_round_trip_is_loss_free(tmp_path, samples):
    dataset = SampleJSONLDataset(filepath=str(tmp_path / "out" / "samples.jsonl"))
    assert not dataset.exists()
    dataset.save(samples)
    assert dataset.exists()
    loaded = dataset.load()
    pd.testing.assert_frame_equal(loaded, samples)


def test_sample_dataset_writes_reject_columns_as_top_level_keys(tmp_path, samples):
    path = tmp_path / "rejects.jsonl"
    rejects = samples.head(3).assign(reject_step="rebalance", reject_reason="low_quality")
    SampleJSONLDataset(filepath=str(path)).save(rejects)
    assert path.read_text().count('"reject_reason":"low_quality"') == 3


def test_reading_is_a_debug_line_unless_lines_were_skipped(tmp_path, samples, caplog):
    """A kedro run loads the same files several times: "N samples" is for the log file (at
    DEBUG), not the console; lines skipped as bad are worth an INFO line."""
    path = tmp_path / "raw.jsonl"
    SampleJSONLDataset(filepath=str(path)).save(samples.head(2))
    with caplog.at_level(logging.DEBUG, logger="afs.datasets"):
        SampleJSONLDataset(filepath=str(path)).load()
        with path.open("a") as handle:
            handle.write('{"instruction": "no output"}\n')
        SampleJSONLDataset(filepath=str(path), load_args={
            "on_error": "skip", "rejects_path": str(tmp_path / "bad.jsonl")}).load()
    read = [(r.levelno, r.getMessage()) for r in caplog.records if r.name.startswith("afs.datasets")]
    assert read == [(logging.DEBUG, f"{path}: 2 samples"),
                    (logging.INFO, f"{path}: 2 samples, skipped 1 bad lines (missing required field 'output' x1) "
                                   f"-> {tmp_path / 'bad.jsonl'}")]


def test_sample_dataset_names_the_bad_line_or_skips_it_when_asked(tmp_path, samples):
    path = tmp_path / "raw.jsonl"
    SampleJSONLDataset(filepath=str(path)).save(samples.head(2))
    with path.open("a") as handle:
        handle.write('{"instruction": "no output"}\n')
    # Kedro wraps load errors in DatasetError; the reader's file:line message stays in it
    with pytest.raises(DatasetError, match=r"raw\.jsonl:3: missing required field 'output'"):
        SampleJSONLDataset(filepath=str(path)).load()
    skipped = tmp_path / "bad_lines.jsonl"
    lenient = SampleJSONLDataset(filepath=str(path),
                                 load_args={"on_error": "skip", "rejects_path": str(skipped)})
    assert len(lenient.load()) == 2
    assert skipped.is_file()


def test_sample_dataset_names_the_pipeline_that_writes_a_missing_file(tmp_path, samples):
    path = tmp_path / "04_feature" / "filtered.jsonl"
    dataset = SampleJSONLDataset(filepath=str(path), written_by="quality_scoring")
    with pytest.raises(DatasetError, match=r"filtered\.jsonl does not exist yet: it is written by "
                                           r"the quality_scoring pipeline; run `kedro run "
                                           r"--pipelines=quality_scoring` first"):
        dataset.load()
    dataset.save(samples)
    pd.testing.assert_frame_equal(dataset.load(), samples)


def test_project_catalog_says_which_pipeline_writes_each_stage_input(tmp_path):
    catalog_config, _ = load_project_config(tmp_path)  # data root: tmp_path/data, empty
    catalog = DataCatalog.from_config(catalog_config)
    for name, pipeline in (("raw_samples", "data_generation"),
                           ("filtered_samples", "quality_scoring")):
        with pytest.raises(DatasetError, match=f"run `kedro run --pipelines={pipeline}` first"):
            catalog.load(name)


def test_sample_dataset_describes_itself(tmp_path):
    dataset = SampleJSONLDataset(filepath=str(tmp_path / "x.jsonl"), load_args={"on_error": "skip"})
    assert "x.jsonl" in str(dataset)
    assert "skip" in str(dataset)


def test_partitioned_sample_files_are_keyed_by_stem(tmp_path):
    for index, stem in enumerate(("oracle", "memory")):
        SampleJSONLDataset(filepath=str(tmp_path / f"{stem}.jsonl")).save(
            synthetic_samples(5 + index, seed=index, start=index * 100))
    partitions = PartitionedDataset(path=str(tmp_path), dataset=SampleJSONLDataset,
                                    filename_suffix=".jsonl").load()
    assert {stem: len(load()) for stem, load in partitions.items()} == {"oracle": 5, "memory": 6}


def test_jsonlines_dataset_round_trip_keeps_order_and_nesting(tmp_path):
    records = [{"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant",
                                                                   "content": "ü ✓"}]}
               for i in range(5)]
    dataset = JSONLinesDataset(filepath=str(tmp_path / "openai" / "train.jsonl"))
    assert not dataset.exists()
    dataset.save(records)
    assert dataset.load() == records
    assert [p.name for p in (tmp_path / "openai").iterdir()] == ["train.jsonl"]  # no temp left


def test_catalog_config_builds_both_datasets(tmp_path):
    catalog = DataCatalog.from_config({
        "split": {"type": "afs.datasets.SampleJSONLDataset", "filepath": str(tmp_path / "s.jsonl")},
        "export": {"type": "afs.datasets.JSONLinesDataset", "filepath": str(tmp_path / "e.jsonl")},
    })
    catalog.save("export", [{"instruction": "a", "input": "", "output": "b"}])
    assert catalog.load("export") == [{"instruction": "a", "input": "", "output": "b"}]
    assert isinstance(catalog["split"], SampleJSONLDataset)
