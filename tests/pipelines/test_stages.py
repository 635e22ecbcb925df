"""Each stage is a Kedro namespace (one collapsible box in Kedro-Viz) whose nodes are tagged
with the stage and what they do; dataset and parameter names are the catalog's, unprefixed."""

from __future__ import annotations

import pytest
import yaml

from afs.pipeline_registry import PIPELINE_NAMES
from afs.pipelines import KIND_TAGS

from .test_catalog_layers import registered_pipelines
from .test_kedro_project import PROJECT_ROOT


@pytest.fixture(scope="module")
def pipelines():
    return registered_pipelines()


def parameter_blocks() -> set[str]:
    """The top-level keys of the shipped parameters files."""
    return {key for path in (PROJECT_ROOT / "conf" / "base").glob("parameters*.yml")
            for key in yaml.safe_load(path.read_text()) or {}}


def test_every_node_is_in_its_stages_namespace_and_tagged_with_it(pipelines):
    for stage in PIPELINE_NAMES:
        for node in pipelines[stage].nodes:
            assert node.namespace == stage, node.name
            assert node.name.startswith(f"{stage}."), node.name
            assert stage in node.tags, node.name
            assert node.tags - {stage} <= set(KIND_TAGS), node.name


def test_no_node_name_ends_in_node(pipelines):
    names = [node.name for node in pipelines["__default__"].nodes]
    assert len(names) == len(set(names)) > 25
    assert [name for name in names if name.endswith("_node")] == []


def test_stages_hand_data_over_by_the_catalogs_names(pipelines):
    default = pipelines["__default__"]
    datasets = {name for name in default.datasets() if not name.startswith("params:")}
    assert [name for name in datasets if "." in name] == []  # no namespace prefix
    assert {name.split(":", 1)[1].split(".")[0] for name in default.datasets()
            if name.startswith("params:")} <= parameter_blocks()
    # the whole chain's free inputs are the shipped raw files: every stage's output is the
    # next stage's input under the same name
    assert {name for name in default.inputs() if not name.startswith("params:")} == \
        {"v1_training", "eval_suite"}


def test_the_report_tag_picks_every_stages_report(pipelines):
    reports = pipelines["__default__"].only_nodes_with_tags("report")
    assert {"quality_report", "quality_report_html", "curation_report", "domain_mix_plot",
            "training_report", "smoke_eval_report"} <= reports.all_outputs()
