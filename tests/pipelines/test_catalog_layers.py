"""The catalog's Kedro-Viz layers: each file's layer is the data folder it is in, and data
flows one way through the layers in every registered pipeline (a layer cycle makes Kedro-Viz
turn its layer bands off: "circular dependency detected")."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest

from .test_kedro_project import PROJECT_ROOT

# Kedro's data layers, in the order data flows through them (data/01_raw ... data/08_reporting)
LAYERS = ("raw", "intermediate", "primary", "feature", "model_input", "models", "model_output",
          "reporting")
FOLDER = re.compile(r"\b0([1-8])_[a-z_]+\b")


def load_catalog(conf: Path):
    from kedro.config import OmegaConfigLoader
    from kedro.io import DataCatalog

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # omegaconf's resolver deprecation, Kedro's own
        loader = OmegaConfigLoader(str(conf), base_env="base", default_run_env="local")
        return DataCatalog.from_config(loader["catalog"])


def dataset_config(catalog, name: str) -> dict:
    return catalog.config_resolver.resolve_pattern(name) or {}


def layer_of(catalog, name: str) -> str | None:
    metadata = dataset_config(catalog, name).get("metadata") or {}
    return (metadata.get("kedro-viz") or {}).get("layer")


def file_of(config: dict) -> str | None:
    while isinstance(config.get("dataset"), dict):  # a wrapper (MlflowArtifactDataset)
        config = config["dataset"]
    return config.get("filepath") or config.get("path")


def registered_pipelines() -> dict:
    from afs.hooks import stage_pipelines
    from afs.pipeline_registry import with_default

    return with_default(stage_pipelines())


def backward_flows(pipeline, layer: dict[str, str | None]) -> list[str]:
    """Each ``a -> b`` where layered dataset ``b`` is made from layered dataset ``a`` (through
    nodes and unlayered datasets: in-memory hand-overs) and ``b``'s layer comes before ``a``'s."""
    consumers: dict[str, list] = {}
    for node in pipeline.nodes:
        for name in node.inputs:
            consumers.setdefault(name, []).append(node)
    found = []
    for source in sorted(name for name in pipeline.datasets() if layer.get(name)):
        todo, seen = [source], set()
        while todo:
            for node in consumers.get(todo.pop(), ()):
                for output in set(node.outputs) - seen:
                    seen.add(output)
                    if not layer.get(output):
                        todo.append(output)
                    elif LAYERS.index(layer[output]) < LAYERS.index(layer[source]):
                        found.append(f"{source} ({layer[source]}) -> {output} ({layer[output]}) "
                                     f"via {node.name}")
    return found


def kedro_viz_layer_order(pipeline, layer: dict[str, str | None]) -> list[str]:
    """The layers as Kedro-Viz sorts them for ``pipeline`` ([] when they form a cycle)."""
    from kedro_viz.services.layers import sort_layers

    nodes = {name: SimpleNamespace(layer=layer.get(name)) for name in pipeline.datasets()}
    children: dict[str, set[str]] = {name: set() for name in nodes}
    for node in pipeline.nodes:
        nodes[node.name] = SimpleNamespace(layer=None)
        children[node.name] = set(node.outputs)
        for name in node.inputs:
            children[name].add(node.name)
    return sort_layers(nodes, children)


def layers_by_dataset(catalog, pipelines) -> dict[str, str | None]:
    names = {name for pipeline in pipelines.values() for name in pipeline.datasets()}
    return {name: layer_of(catalog, name) for name in names}


@pytest.fixture(scope="module")
def pipelines():
    return registered_pipelines()


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(PROJECT_ROOT / "conf")


def test_every_layer_is_a_kedro_layer_and_each_files_layer_is_its_folder(catalog, pipelines):
    layers = layers_by_dataset(catalog, pipelines)
    assert set(layers.values()) - {None} <= set(LAYERS)
    wrong = {}
    for name, layer in sorted(layers.items()):
        path = file_of(dataset_config(catalog, name))
        folder = FOLDER.search(path) if path else None
        if folder and layer != LAYERS[int(folder.group(1)) - 1]:
            wrong[name] = (layer, path)
    assert wrong == {}


def test_every_file_a_pipeline_touches_has_a_layer(catalog, pipelines):
    layers = layers_by_dataset(catalog, pipelines)
    unlayered = [name for name, layer in layers.items()
                 if layer is None and file_of(dataset_config(catalog, name))]
    assert unlayered == []


def test_layers_flow_one_way_in_every_registered_pipeline(catalog, pipelines):
    layers = layers_by_dataset(catalog, pipelines)
    assert set(pipelines) >= {"__default__", "curation", "deployment"}
    for name, pipeline in pipelines.items():
        assert backward_flows(pipeline, layers) == [], name
        order = kedro_viz_layer_order(pipeline, layers)
        used = {layers[d] for d in pipeline.datasets() if layers.get(d)}
        assert set(order) == used, f"{name}: Kedro-Viz turns its layers off"
    # the default view's bands in Kedro's order (a stage alone may order layers it does not
    # connect, raw and feature in curation, alphabetically)
    default = pipelines["__default__"]
    assert kedro_viz_layer_order(default, layers) == [
        layer for layer in LAYERS if layer in {layers[d] for d in default.datasets()}]
