"""Every dataset the catalog saves is written atomically: a process killed in the middle of
writing a Parquet table leaves the old table whole, and no catalog entry that writes a file
uses a kedro-datasets type that writes straight into its target."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import yaml

CATALOG = Path(__file__).resolve().parents[2] / "conf" / "base" / "catalog.yml"

# Saves mixed_samples with the type the catalog names, and is SIGKILLed after half of the
# file's bytes went to disk (a real kill mid-write).
KILLED_SAVE = textwrap.dedent("""
    import importlib, os, signal, sys
    import fsspec.implementations.local as local
    import pandas as pd
    import yaml
    entry = yaml.safe_load(open(sys.argv[1]))["mixed_samples"]
    module, _, name = entry["type"].rpartition(".")
    module = module if module.startswith("afs.") else "kedro_datasets." + module
    dataset_type = getattr(importlib.import_module(module), name)
    write = local.LocalFileOpener.write
    def half_then_killed(self, data, *args, **kwargs):
        write(self, data[: len(data) // 2])
        self.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    local.LocalFileOpener.write = half_then_killed
    dataset_type(filepath=sys.argv[2]).save(pd.DataFrame({"value": range(100_000)}))
""")


def test_a_parquet_save_killed_mid_write_leaves_the_old_table(tmp_path):
    target = tmp_path / "mixed_samples.parquet"
    old = pd.DataFrame({"value": [1, 2, 3]})
    old.to_parquet(target)

    killed = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(CATALOG), str(target)],
                            env={**os.environ}, capture_output=True, text=True, timeout=60)

    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    pd.testing.assert_frame_equal(pd.read_parquet(target), old)


def catalog_entries() -> dict[str, dict]:
    return {name: entry for name, entry in yaml.safe_load(CATALOG.read_text()).items()
            if isinstance(entry, dict) and not name.startswith("_")}


def test_every_catalog_entry_that_writes_a_file_is_atomic():
    writers = {}
    for name, entry in catalog_entries().items():
        inner = entry.get("dataset") if isinstance(entry.get("dataset"), dict) else entry
        if "filepath" in inner or "path" in inner:
            writers[name] = inner["type"]
    assert writers, "the catalog has file entries"
    assert {name: kind for name, kind in writers.items()
            if not kind.startswith("afs.datasets.")} == {}


def test_split_and_export_sets_are_declared_as_one_unit():
    entries = catalog_entries()
    for name in ("{split}_split", "{fmt}_{split}_export"):
        assert entries[name]["file_set"] == ["train.jsonl", "val.jsonl", "test.jsonl"]
    for kept, rejects in (("rehearsal_buffer", "rehearsal_rejects"),
                          ("rebalanced_new_data", "rebalance_rejects")):
        assert entries[kept]["file_set"] == entries[rejects]["file_set"]
        assert {Path(entries[n]["filepath"]).name for n in (kept, rejects)} == \
            set(entries[kept]["file_set"])
