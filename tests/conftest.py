"""Fixtures shared across test folders: one tiny base model per test session."""

from __future__ import annotations

import logging
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



def _loggers() -> dict[str, logging.Logger]:
    """The root logger ("") and every named logger."""
    return {"": logging.getLogger(),
            **{name: logger for name, logger in logging.Logger.manager.loggerDict.items()
               if isinstance(logger, logging.Logger)}}


# The logging this session started with, before any test module imported Kedro: importing
# kedro.framework.project applies the project's conf/logging.yml (console handlers at INFO for
# afs), which would print later tests' log records into the output they check.
_BASELINE = {name: (list(logger.handlers), logger.level, logger.propagate, logger.disabled)
             for name, logger in _loggers().items()}


@pytest.fixture(autouse=True)
def _logging_as_the_session_began():
    """Each test starts from the session's first logging set-up (pytest's own capture
    handlers are left in place)."""
    for name, logger in _loggers().items():
        handlers, level, propagate, disabled = _BASELINE.get(
            name, ([], logging.NOTSET, True, False))
        for handler in list(logger.handlers):
            if handler not in handlers and not type(handler).__module__.startswith("_pytest"):
                logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate, logger.disabled = propagate, disabled
    logging.disable(logging.NOTSET)
    yield
