"""Generators by name: built-ins, a real installed plug-in found through its entry point,
and one-line errors for unknown names and parameters."""

import sys
import textwrap

import pytest

from afs.errors import ConfigError
from afs.generators.base import BaseGenerator
from afs.generators.lookup import (
    BUILTIN_GENERATORS, available_generators, create_generator, generator_parameters,
)


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """An installed distribution (a dist-info on sys.path) registering `my_data`."""
    (tmp_path / "my_plugin.py").write_text(textwrap.dedent('''
        from afs.generators.base import BaseGenerator, TrainingSample

        class MyDataGenerator(BaseGenerator):
            def __init__(self, count: int = 2):
                super().__init__(name="my_data", domain="custom")
                self.count = count

            def generate(self):
                for index in range(self.count):
                    yield TrainingSample(instruction=f"q{index}", output=f"a{index}",
                                         domain="custom", source=f"my:{index}")
    '''))
    info = tmp_path / "my_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: my-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[afs.generators]\nmy_data = my_plugin:MyDataGenerator\noracle = my_plugin:Nope\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    sys.modules.pop("my_plugin", None)


def test_builtins_are_listed_first():
    assert list(available_generators())[:len(BUILTIN_GENERATORS)] == list(BUILTIN_GENERATORS)


def test_a_plugin_is_found_by_its_entry_point_and_cannot_shadow_a_builtin(plugin):
    generators = available_generators()
    assert generators["my_data"].origin == "my-plugin"
    assert generators["oracle"].origin == "built-in"
    generator = create_generator("my_data", count=3)
    assert isinstance(generator, BaseGenerator)
    assert [s.output for s in generator.generate()] == ["a0", "a1", "a2"]


def test_parameters_and_errors_name_what_is_accepted():
    assert generator_parameters("knowledge") == {"db_files": (), "builtin": True,
                                                 "registers": False, "seed": 0}
    with pytest.raises(ConfigError, match="unknown generator 'nope'; available: oracle"):
        create_generator("nope")
    with pytest.raises(ConfigError, match="unknown parameter 'colour'; it takes db_files"):
        create_generator("knowledge", colour="red")


def test_the_knowledge_generator_exports_the_address_table():
    samples = list(create_generator("knowledge", registers=True, seed=1).generate())
    assert len(samples) > 600 and {s.domain for s in samples} == {"knowledge"}
    assert samples == list(create_generator("knowledge", registers=True, seed=1).generate())


def test_the_spec_custom_generator_example_runs_as_written(tmp_path):
    from pathlib import Path
    from typing import Iterator

    from afs.generators.base import BaseGenerator, TrainingSample

    class MyDataGenerator(BaseGenerator):
        def __init__(self, source_path: Path):
            super().__init__(name="my_data", domain="custom")
            self.source_path = source_path

        def generate(self) -> Iterator[TrainingSample]:
            for file in self.source_path.rglob("*.txt"):
                content = file.read_text()
                yield TrainingSample(
                    instruction="Create question from content",
                    output="Extract answer from content",
                    thinking="Optional reasoning",
                    domain="custom",
                    source=str(file.relative_to(self.source_path)),
                    _metadata={"file_type": "txt", "chars": len(content)},
                )

    (tmp_path / "notes.txt").write_text("hello")
    generator = MyDataGenerator(tmp_path)
    lines = [sample.to_json() for sample in generator.generate()]
    assert len(lines) == 1 and '"source":"notes.txt"' in lines[0]
    assert generator.skipped == []
