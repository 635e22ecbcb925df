"""ExecutorConfig from parameters, CLI and Python, with clear errors; Ray is optional."""

from __future__ import annotations

import sys

import pytest

from afs.errors import ConfigError
from afs.executors import ExecutorConfig, ray_session


def test_defaults_are_local():
    assert ExecutorConfig.from_params(None) == ExecutorConfig()
    assert ExecutorConfig().kind == "local" and not ExecutorConfig().is_ray
    assert ExecutorConfig.from_params("ray").is_ray


def test_from_params_reads_a_parameters_block_and_its_nulls():
    config = ExecutorConfig.from_params({"kind": "ray", "ray_address": "auto", "num_workers": 3,
                                         "num_gpus_per_actor": None, "batch_size": 64,
                                         "work_dir": None})
    assert (config.kind, config.ray_address, config.num_workers, config.batch_size) == \
        ("ray", "auto", 3, 64)
    assert ExecutorConfig.from_params(config) is config


@pytest.mark.parametrize("params, message", [
    ({"kind": "spark"}, "kind must be one of local, ray"),
    ({"num_workers": 0}, "num_workers must be a positive integer"),
    ({"batch_size": "many"}, "batch_size must be a positive integer"),
    ({"shard_rows": True}, "shard_rows must be a positive integer"),
    ({"num_gpus_per_actor": -1}, "num_gpus_per_actor must be a number >= 0"),
    ({"ray_adress": "auto"}, "unknown executor setting"),
    ([1, 2], "executor must be a mapping"),
])
def test_bad_values_are_config_errors(params, message):
    with pytest.raises(ConfigError, match=message):
        ExecutorConfig.from_params(params)


def test_ray_missing_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(ConfigError, match=r"pip install 'afs\[ray\]'"), \
            ray_session(ExecutorConfig(kind="ray")):
        pass


def test_restart_limits_only_where_ray_still_takes_them():
    from afs.executors.ray_backend import MAX_RESTARTS, restart_limits

    assert restart_limits("2.60.0") == {"max_restarts": MAX_RESTARTS,
                                        "max_task_retries": MAX_RESTARTS}
    assert restart_limits("2.64.0") == restart_limits("3.1.0.dev0") == {}
