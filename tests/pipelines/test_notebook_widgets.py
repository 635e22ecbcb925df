"""The notebook's progress bars: tqdm.auto draws them as Jupyter widgets, which need
ipywidgets (a project dependency); without it every cell with a bar printed
"TqdmWarning: IProgress not found"."""

from __future__ import annotations

import tomllib
import warnings

from .test_kedro_project import PROJECT_ROOT


def test_tqdm_finds_the_widget_it_draws_notebook_bars_with():
    from tqdm.notebook import IProgress, tqdm_notebook

    assert IProgress is not None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the TqdmWarning would be an error here
        bar = tqdm_notebook(total=2, disable=False)
        bar.update(2)
        bar.close()


def test_ipywidgets_is_a_dependency_of_the_project():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    assert any(requirement.startswith("ipywidgets") for requirement in project["dependencies"])
