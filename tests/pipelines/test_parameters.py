"""Every key of every pipeline's parameters is one a step reads: a typo stops `kedro run` before
anything runs, with one line naming the key, its block and the known keys."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path

import pytest
import yaml

from afs.errors import ConfigError
from afs.pipelines.parameters import check_parameters, known_parameter_keys

from .test_kedro_project import PROJECT_ROOT, copy_project, kedro, project_env
from .test_run_guard import run_statuses


def shipped_parameters() -> dict:
    parameters: dict = {}
    for path in sorted((PROJECT_ROOT / "conf" / "base").glob("parameters_*.yml")):
        parameters.update(yaml.safe_load(path.read_text()))
    return parameters


def test_the_shipped_parameters_hold_only_known_keys():
    check_parameters(shipped_parameters())


@pytest.mark.parametrize("path", sorted(known_parameter_keys()))
def test_a_misspelt_key_in_any_block_is_refused_naming_it(path):
    parameters = copy.deepcopy(shipped_parameters())
    block = parameters
    for name in path.split("."):
        if not isinstance(block.get(name), dict):
            block[name] = {}
        block = block[name]
    block["colour"] = 1
    with pytest.raises(ConfigError, match=rf"unknown parameter\(s\) in {path} 'colour'; known: "):
        check_parameters(parameters)


def test_kedro_run_with_a_typo_stops_before_any_node(tmp_path):
    project = copy_project(tmp_path / "project")
    dedup = project / "conf" / "base" / "parameters_quality_scoring.yml"
    dedup.write_text(dedup.read_text().replace("    threshold: 0.8", "    treshold: 0.8"))
    before = sorted(p.relative_to(project) for p in (project / "data").rglob("*"))

    run = subprocess.run(kedro("run"), cwd=project, env=project_env(), capture_output=True,
                         text=True, timeout=300)

    assert run.returncode == 1
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: unknown parameter(s) in quality_scoring.dedup 'treshold'; known: "
                      "near, ngram_size, num_perm, seed, shingle_size, sketch, threshold, "
                      "tokens"], run.stderr
    assert "Traceback" not in run.stderr
    assert sorted(p.relative_to(project) for p in (project / "data").rglob("*")) == before
    assert run_statuses(project) == []
