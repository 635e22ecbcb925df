"""The seam with the local executor: batches cut by row number, output in the input's order,
sharded runs written per shard and resumed."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from afs.errors import ConfigError
from afs.executors import ExecutorConfig, map_frame, map_items, run_sharded


class Tag:
    """A stage: each row gets its batch's first row number and size; counts its builds."""

    built = 0

    def __call__(self):
        Tag.built += 1
        return lambda batch: batch.assign(first=batch.index.min(), size=len(batch),
                                          double=batch["x"] * 2)


class Upper:
    def __call__(self):
        return lambda items: [item.upper() for item in items]


class DropOne:
    def __call__(self):
        return lambda batch: batch.iloc[1:]


def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"x": range(n)}, index=[f"r{i}" for i in range(n)])


def test_batches_by_row_number_in_input_order():
    Tag.built = 0
    out = map_frame(frame(10), Tag(), {"batch_size": 4})
    assert list(out.index) == [f"r{i}" for i in range(10)]
    assert list(out["double"]) == [2 * i for i in range(10)]
    assert list(out["first"]) == [0] * 4 + [4] * 4 + [8] * 2
    assert list(out["size"]) == [4] * 8 + [2] * 2
    assert Tag.built == 1  # the stage function is built once per worker


def test_empty_input_and_items():
    assert map_frame(frame(0), Tag()).columns.tolist() == ["x", "first", "size", "double"]
    assert map_items(["a", "b", "c"], Upper(), ExecutorConfig(batch_size=2)) == ["A", "B", "C"]


def test_a_stage_must_keep_one_row_per_row():
    with pytest.raises(ConfigError, match="one row per input row: 4 rows in, 3 out"):
        map_frame(frame(8), DropOne(), {"batch_size": 4})


def test_sharded_output_equals_in_memory_and_resumes(tmp_path):
    config = ExecutorConfig(batch_size=4, shard_rows=6)  # rounded up to 8: whole batches
    data = frame(20)
    out, report = run_sharded(data, Tag(), config, tmp_path / "work")
    assert report.shards == 3 and report.processed == ["shard-00000", "shard-00001",
                                                       "shard-00002"]
    assert list(out["double"]) == list(map_frame(data, Tag(), config)["double"])
    again, report = run_sharded(data, Tag(), config, tmp_path / "work")
    assert report.processed == [] and len(report.skipped) == 3
    assert again.reset_index(drop=True).equals(out.reset_index(drop=True))
    shutil.rmtree(tmp_path / "work" / "output" / "shard-00001")
    _, report = run_sharded(data, Tag(), config, tmp_path / "work")
    assert report.processed == ["shard-00001"]
    changed = data.assign(x=data["x"].where(data.index != "r17", 100))
    redone, report = run_sharded(changed, Tag(), config, tmp_path / "work")
    assert report.processed == ["shard-00002"] and redone["double"].iloc[17] == 200
    _, report = run_sharded(changed, Tag(), config, tmp_path / "work", fingerprint="v2")
    assert len(report.processed) == 3  # other stage settings: nothing reused


def test_work_dir_keeps_shards_per_stage(tmp_path):
    config = ExecutorConfig(batch_size=4, work_dir=str(tmp_path))
    out = map_frame(frame(9), Tag(), config, stage="tagging")
    assert list(out.index) == [f"r{i}" for i in range(9)]
    assert (tmp_path / "tagging" / "manifest.json").is_file()
    assert sorted(p.name for p in (tmp_path / "tagging" / "output").iterdir()) == ["shard-00000"]
