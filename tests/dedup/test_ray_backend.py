"""Exact + MinHash near-duplicate dedup on Ray equals the local executor's result."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afs.executors.config import ExecutorConfig
from afs.samples import TrainingSample
from afs.samples.frame import concat_frames, samples_to_frame
from afs.samples.jsonl import read_jsonl_frame
from afs.dedup.config import DedupConfig
from afs.dedup.clusters import cluster_labels, deduplicate
from tests.planted import planted_frame, routine

ray = pytest.importorskip("ray")
dedup_ray = pytest.importorskip("afs.dedup.ray_backend")

RAW = Path(__file__).resolve().parents[2] / "data" / "01_raw"


def shipped_and_planted() -> pd.DataFrame:
    shipped, _ = read_jsonl_frame(RAW / "v1_training.jsonl")
    return concat_frames([shipped, planted_frame()])


def partition(labels: np.ndarray) -> list[int]:
    """Each row's first fellow member: equal for equal partitions whatever the numbering."""
    first: dict[int, int] = {}
    return [first.setdefault(int(label), row) for row, label in enumerate(labels)]


def test_ray_dedup_equals_local(ray_cluster, tmp_path):
    frame = shipped_and_planted()
    config = DedupConfig()
    local = deduplicate(frame, config)
    executor = {"kind": "ray", "work_dir": str(tmp_path), "shard_rows": 400, "batch_size": 128}
    on_ray = deduplicate(frame, config, executor=executor)
    reasons = local.rejects["reject_reason"].str.split(":").str[0].value_counts()
    assert reasons["duplicate_of"] > 20 and reasons["near_duplicate_of"] > 100
    assert len(list((tmp_path / "dedup" / "source").glob("*.parquet"))) == -(-len(frame) // 400)
    pd.testing.assert_frame_equal(on_ray.kept, local.kept)
    pd.testing.assert_frame_equal(on_ray.rejects, local.rejects)
    assert list(on_ray.clusters.items()) == list(local.clusters.items())


def test_ray_labels_equal_local_labels_exact_only_and_tiny_inputs(ray_cluster):
    frame = planted_frame(bases=40, seed=3)
    for config in (DedupConfig(near=False), DedupConfig(threshold=0.6, num_perm=64, seed=7)):
        exact, near = cluster_labels(frame, config)
        ray_exact, ray_near = dedup_ray.cluster_labels_on_ray(frame, config,
                                                              ExecutorConfig(kind="ray"))
        assert partition(ray_exact) == partition(exact)
        assert partition(ray_near) == partition(near)
    empty = deduplicate(frame.iloc[:0], executor=ExecutorConfig(kind="ray"))
    assert empty.kept.empty and empty.rejects.empty and empty.clusters == {}


def reference_components(n: int, edges: list[tuple[int, int]]) -> list[int]:
    parent = list(range(n))

    def find(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in edges:
        parent[max(find(a), find(b))] = min(find(a), find(b))
    return [find(node) for node in range(n)]


def ray_components(n: int, edges: list[tuple[int, int]]) -> list[int]:
    pairs = np.array([(max(a, b), min(a, b)) for a, b in edges if a != b] or np.zeros((0, 2)),
                     dtype=np.int64).reshape(-1, 2)
    edges = pd.DataFrame(dedup_ray._edges(pairs[:, 0], pairs[:, 1]))
    dataset = ray.data.from_pandas(edges).repartition(3)
    roots = dedup_ray._read_labels(dedup_ray.component_roots(dataset), "u", "v", n)
    return roots.tolist()


def test_components_of_long_paths_and_shared_leaves(ray_cluster):
    # a shuffled path needs several large/small-star rounds; 5 and 6 are leaves of two centres
    order = np.random.default_rng(1).permutation(40)
    path = [(int(order[i]), int(order[i + 1])) for i in range(39)]
    shared = [(41, 45), (42, 45), (42, 46), (43, 46)]
    edges = path + shared
    assert ray_components(47, edges) == reference_components(47, edges)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(2, 30).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=1,
                         max_size=40))))
def test_components_equal_a_reference_union_find(ray_cluster, graph):
    n, edges = graph
    assert ray_components(n, edges) == reference_components(n, edges)


def test_the_driver_receives_labels_never_pairs(ray_cluster, monkeypatch):
    """Every batch the driver iterates is a label map (each node once) or one count per
    block; the candidate and verified pairs stay in the object store."""
    received: list[dict[str, np.ndarray]] = []
    iterate = ray.data.Dataset.iter_batches

    def spy(self, *args, **kwargs):
        for batch in iterate(self, *args, **kwargs):
            received.append({name: np.asarray(values) for name, values in batch.items()})
            yield batch

    monkeypatch.setattr(ray.data.Dataset, "iter_batches", spy)
    for name in ("to_pandas", "take_all", "take", "take_batch", "iter_rows", "to_arrow_refs"):
        monkeypatch.setattr(ray.data.Dataset, name, lambda *a, **k: pytest.fail("driver read"))
    # one routine and 60 copies with one edit each: 60 near pairs in one component
    frame = samples_to_frame([TrainingSample("Q", routine(1).replace("$7E001F", f"$7E{i:04X}"))
                              for i in range(300, 361)])
    _, near = dedup_ray.cluster_labels_on_ray(frame, DedupConfig(),
                                              ExecutorConfig(kind="ray", batch_size=16))
    assert partition(near) == partition(cluster_labels(frame, DedupConfig())[1])
    assert len(set(near.tolist())) < 10
    label_rows = 0
    for batch in received:
        if set(batch) == {"unsettled"}:
            continue  # one count per block
        (node,) = set(batch) & {"row", "u"}
        assert set(batch) in ({"row", "rep"}, {"u", "v", "unsettled"})
        label_rows += len(batch[node])
        assert len(np.unique(batch[node])) == len(batch[node])
    assert label_rows < 2 * len(frame)
