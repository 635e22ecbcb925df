"""One local Ray cluster (2 CPUs) for every Ray test of the session, started on first use.
Tests that need it take the ``ray_cluster`` fixture (the ``ray`` module, connected); they are
skipped, saying why, only where ray is not installed (pip install 'afs[ray]')."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def ray_cluster():
    """The ``ray`` module connected to a local 2-CPU cluster, shut down after the session."""
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'afs[ray]')")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             ignore_reinit_error=True)
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()
