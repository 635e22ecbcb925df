"""The Ray executor gives what the local executor gives (scores, asar verdicts, generated
tables, the CLI's output), survives a worker killed mid-stage, and resumes per shard. One
local 2-CPU cluster serves the whole session (``ray_cluster`` in conftest.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml

from afs.asm import validate
from afs.executors import ExecutorConfig, map_frame, run_sharded, validate_texts
from afs.generators.runner import run_sources
from afs.samples.jsonl import read_jsonl_frame
from afs.quality.stages import score_frame_on
from tests.cli.clitools import afs_env, afs_executable

ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'afs[ray]')")
# the stages defined here travel to the workers by value (tests/ is not on their path)
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])

ROOT = Path(__file__).resolve().parents[2]
RAW = ROOT / "data" / "01_raw"
SAMPLES = RAW / "v1_training.jsonl"  # shipped: the tests must not need a kedro run first
RAY = {"kind": "ray", "num_workers": 2}


@pytest.fixture(scope="module")
def electra_dir(tmp_path_factory):
    """A tiny real ELECTRA discriminator (random weights, seeded), as the tests of
    score_jsonl use."""
    pytest.importorskip("torch")
    from afs.discriminator import ElectraDiscriminator

    return ElectraDiscriminator.create(layers=1, hidden=64, max_length=64, device="cpu",
                                       seed=1).save(tmp_path_factory.mktemp("m") / "electra")


@pytest.fixture(scope="module")
def quality(electra_dir):
    """The project's quality_scoring parameters, with the tiny model and the real RAM file."""
    params = yaml.safe_load((ROOT / "conf/base/parameters_quality_scoring.yml").read_text())
    quality = params["quality_scoring"]
    quality["address_files"] = [str(RAW / "asm" / "Core" / "ram.asm")]
    quality["electra_model"] = str(electra_dir)
    quality["device"] = "cpu"
    return quality


def real_samples(n: int) -> pd.DataFrame:
    frame, _ = read_jsonl_frame(SAMPLES)
    return frame.iloc[:n]


class Tag:
    """A stage: each row gets its batch's first row number and size."""

    def __call__(self):
        return lambda batch: batch.assign(first=batch.index.min(), size=len(batch),
                                          double=batch["x"] * 2)


class DieOnce:
    """A stage whose worker process dies (``os._exit``) on the first batch it sees while
    ``marker`` exists, renaming it to ``died`` first: Ray must restart the actor and retry."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __call__(self):
        def run(batch: pd.DataFrame) -> pd.DataFrame:
            try:
                self.marker.rename(self.marker.with_name("died"))
            except FileNotFoundError:
                return batch.assign(double=batch["x"] * 2, pid=os.getpid())
            os._exit(1)

        return run


def test_scores_on_ray_equal_local_scores(ray_cluster, quality):
    raw = real_samples(300)
    local = score_frame_on(raw, quality, {"batch_size": 64})
    on_ray = score_frame_on(raw, quality, {**RAY, "batch_size": 64})
    assert list(on_ray.index) == list(raw.index)
    pd.testing.assert_series_equal(on_ray["quality_score"], local["quality_score"])
    assert list(on_ray["_metadata"]) == list(local["_metadata"])
    used = [json.loads(m)["quality"]["components"] for m in on_ray["_metadata"]]
    # the model loaded, and used on exactly the outputs with code, as asar (issue 17)
    assert any("electra" in components for components in used)
    assert all(("electra" in components) == ("asar" in components) for components in used)


def test_asar_verdicts_on_ray_equal_local(ray_cluster):
    texts = [path.read_text(encoding="utf-8") for path in sorted((RAW / "asm").rglob("*.asm"))]
    texts += ["LDA #$01\nSTA $7E0010\n", "FOO bar\n", "LDA ($12),Z\n"]
    assert validate_texts(texts, executor={**RAY, "batch_size": 4}) == \
        [validate(text) for text in texts]


def test_generation_on_ray_equals_local(ray_cluster):
    sources = {"oracle": {"generator": "oracle", "params": {"oracle_path": str(RAW / "asm")}},
               "memory": {"generator": "memory",
                          "params": {"memory_root": str(RAW / "context" / "memory")}}}
    local_frames, local_report = run_sources(sources)
    frames, report = run_sources(sources, RAY)
    assert list(frames) == list(local_frames) == ["memory", "oracle"]
    for name in frames:
        pd.testing.assert_frame_equal(frames[name], local_frames[name])
        assert {**report["sources"][name], "seconds": 0} == \
            {**local_report["sources"][name], "seconds": 0}
    assert report["total"] == local_report["total"] > 0


class WordHashProvider:
    """A deterministic embedding provider: a hashed bag of words, normalised."""

    name, model, dim = "fake", "word-hash", 32

    def embed(self, texts):
        import hashlib

        import numpy as np

        rows = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.split():
                rows[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1
        return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)


def test_embedding_on_ray_equals_local(ray_cluster, tmp_path):
    from afs.embeddings.index import index_directory
    from afs.embeddings.store import EmbeddingStore

    local = index_directory(RAW / "asm", tmp_path / "local.db", WordHashProvider())
    on_ray = index_directory(RAW / "asm", tmp_path / "ray.db", WordHashProvider(),
                             executor={**RAY, "batch_size": 64})
    assert on_ray.embedded == local.embedded > 0
    with EmbeddingStore(tmp_path / "local.db") as a, EmbeddingStore(tmp_path / "ray.db") as b:
        for left, right in zip(a.all_vectors(32), b.all_vectors(32), strict=True):
            assert (left == right).all()


def test_a_killed_worker_is_retried_and_the_output_is_complete(ray_cluster, tmp_path):
    marker = tmp_path / "kill-me"
    marker.touch()
    data = pd.DataFrame({"x": range(24)})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = map_frame(data, DieOnce(marker), {**RAY, "batch_size": 4})
    # the restart limit is passed without Ray's deprecation warning reaching the user
    assert not [w for w in caught if "ray_remote_args" in str(w.message)]
    assert (tmp_path / "died").exists() and not marker.exists()  # a worker did die
    assert list(out["double"]) == [2 * x for x in range(24)]
    assert os.getpid() not in set(out["pid"])  # every batch ran on a Ray worker


def test_ray_shards_resume(ray_cluster, tmp_path):
    config = ExecutorConfig(kind="ray", num_workers=1, batch_size=4, shard_rows=8)
    data = pd.DataFrame({"x": range(14)})
    out, report = run_sharded(data, Tag(), config, tmp_path)
    assert report.processed == ["shard-00000", "shard-00001"]
    expected = map_frame(data, Tag(), {"batch_size": 4})
    assert list(out["first"]) == list(expected["first"]) == [0] * 4 + [4] * 4 + [8] * 4 + [12] * 2
    _, report = run_sharded(data, Tag(), config, tmp_path)
    assert report.processed == [] and report.skipped == ["shard-00000", "shard-00001"]
    shutil.rmtree(tmp_path / "output" / "shard-00000")
    again, report = run_sharded(data, Tag(), config, tmp_path)
    assert report.processed == ["shard-00000"]
    assert list(again["double"]) == list(out["double"])


def test_cli_scores_and_validates_on_a_ray_cluster(ray_cluster, afs, tmp_path, electra_dir):
    address = ray_cluster.get_runtime_context().gcs_address
    raw = tmp_path / "raw.jsonl"
    raw.write_text("".join(SAMPLES.read_text(encoding="utf-8").splitlines(True)[:60]))
    common = ["discriminator", "score", "--model", electra_dir, "--input", raw, "--device", "cpu"]
    local = afs(*common, "--output", tmp_path / "local.jsonl")
    on_ray = afs(*common, "--output", tmp_path / "ray.jsonl", "--executor", "ray",
                 "--ray-address", address)
    assert local.returncode == 0, local.stderr
    assert on_ray.returncode == 0, on_ray.stderr
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    files = [RAW / "asm" / "main.asm", *sorted((RAW / "asm" / "Core").glob("*.asm"))]
    checked = afs("asm", "validate", "--json", *files, "--executor", "ray",
                  "--ray-address", address)
    assert checked.stdout == afs("asm", "validate", "--json", *files).stdout
    assert checked.returncode in (0, 1), checked.stderr


@pytest.fixture
def afs(tmp_path):
    """Run the installed `afs` script (as tests/cli do) in tmp_path, with this session's
    Ray token (Ray keeps it under the real $HOME, which the script's environment replaces)."""
    token = Path.home() / ".ray" / "auth_token"
    ray_env = {"RAY_AUTH_TOKEN_PATH": str(token)} if token.is_file() else {}

    def run(*args):
        return subprocess.run([str(afs_executable()), *map(str, args)], check=False,
                              cwd=tmp_path, env={**afs_env(tmp_path), **ray_env},
                              capture_output=True, text=True, timeout=300)

    return run
