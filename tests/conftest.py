"""Fixtures shared across test folders: one tiny base model per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

RAW = Path(__file__).resolve().parents[1] / "data" / "01_raw"


@pytest.fixture(scope="session")
def tiny_cache(tmp_path_factory) -> Path:
    """A models folder holding ``tiny-base`` (as ``resolve_base_model("tiny", …)`` builds it),
    built once for the training and the deployment tests."""
    from afs.finetune.tiny import resolve_base_model

    cache = tmp_path_factory.mktemp("models")
    resolve_base_model("tiny", cache, raw_dir=RAW)
    return cache


@pytest.fixture(scope="session")
def tiny_gguf(tiny_cache, tmp_path_factory) -> Path:
    """The tiny base model as a Q8_0 GGUF file (what a deployed model looks like)."""
    from afs.deployment import convert_base_to_gguf

    path = tmp_path_factory.mktemp("gguf") / "afs-tiny.gguf"
    return convert_base_to_gguf("tiny", path, "Q8_0", cache_dir=tiny_cache, raw_dir=RAW)


@pytest.fixture(scope="session")
def tiny_server(tiny_gguf):
    """llama-cpp-python's OpenAI-compatible server for ``tiny_gguf`` on a free loopback
    port, shared by the session's tests (model id ``afs-tiny``)."""
    from afs.deployment.server import start_server

    with start_server(tiny_gguf, n_ctx=512, n_threads=1) as server:
        yield server


# One local Ray cluster (2 CPUs) for every Ray test of the session, started on first use;
# tests that need it are skipped, saying why, only where ray is not installed.
@pytest.fixture(scope="session")
def ray_cluster():
    """The ``ray`` module connected to a local 2-CPU cluster, shut down after the session."""
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'afs[ray]')")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             ignore_reinit_error=True)
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()
