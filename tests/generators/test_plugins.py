"""Plugins: found in plugin_dirs, imported privately, registering generators and agents."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from afs.config import load_config
from afs.generators.plugins import PLUGIN_AGENTS, load_plugins
from afs.errors import ConfigError
from afs.generators.lookup import PLUGIN_GENERATORS, available_generators, create_generator

PLUGIN = '''
from afs.generators.base import BaseGenerator, TrainingSample


class EchoGenerator(BaseGenerator):
    def __init__(self, text: str = "hi"):
        super().__init__("echo", domain="test")
        self.text = text

    def generate(self):
        yield TrainingSample(instruction="say", output=self.text, domain="test", source="echo")


def register(registry):
    registry.add_generator("{generator}", EchoGenerator)
    registry.add_agent("{agent}", lambda: "an agent")
'''


@pytest.fixture(autouse=True)
def clean_registries():
    yield
    for name in [n for n in PLUGIN_GENERATORS if n.startswith("t-")]:
        del PLUGIN_GENERATORS[name]
    for name in [n for n in PLUGIN_AGENTS if n.startswith("t-")]:
        del PLUGIN_AGENTS[name]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def config_for(tmp_path: Path, *plugins: str, dirs: tuple[str, ...] = ("first", "second")):
    return load_config(tmp_path, env={"HOME": str(tmp_path),
                                      "AFS_GENERAL_PLUGIN_DIRS": ",".join(
                                          str(tmp_path / d) for d in dirs),
                                      "AFS_GENERAL_ENABLED_PLUGINS": ",".join(plugins)})


def test_a_plugin_file_registers_a_generator_and_an_agent(tmp_path):
    path = write(tmp_path / "second" / "echo.py",
                 PLUGIN.format(generator="t-echo", agent="t-helper"))
    [loaded] = load_plugins(config_for(tmp_path, "echo"))
    assert (loaded.name, loaded.path) == ("echo", path)
    assert loaded.generators == ("t-echo",) and loaded.agents == ("t-helper",)
    assert available_generators()["t-echo"].origin == "plugin"
    [sample] = create_generator("t-echo", text="yo").generate()
    assert sample.output == "yo"
    assert PLUGIN_AGENTS["t-helper"]() == "an agent"
    assert load_plugins(config_for(tmp_path, "echo"))[0] is loaded  # imported once


def test_the_first_plugin_dir_wins_and_packages_load(tmp_path):
    write(tmp_path / "first" / "pack" / "__init__.py", """
        from .parts import NAME

        def register(registry):
            registry.add_agent(NAME, object())
    """)
    write(tmp_path / "first" / "pack" / "parts.py", 'NAME = "t-first"\n')
    write(tmp_path / "second" / "pack.py", "def register(registry):\n    raise SystemError\n")
    [loaded] = load_plugins(config_for(tmp_path, "pack"))
    assert loaded.agents == ("t-first",) and loaded.module.__name__ == "_afs_plugin_pack"


def test_a_missing_plugin_names_the_folders_searched(tmp_path):
    with pytest.raises(ConfigError, match=r"plugin 'ghost' not found: no ghost\.py or "
                                          rf"ghost/__init__\.py in {tmp_path / 'first'}, "):
        load_plugins(config_for(tmp_path, "ghost"))


@pytest.mark.parametrize(("source", "fragment"), [
    ("import no_such_module_here\n",
     "failed to import: ModuleNotFoundError: No module named 'no_such_module_here'"),
    ("def register(:\n", "failed to import: SyntaxError"),
    ("X = 1\n", "has no register(registry) function"),
    ("def register(registry):\n    registry.add_generator('t-bad', int)\n",
     "is not a BaseGenerator subclass"),
    ("def register(registry):\n    raise RuntimeError('boom')\n",
     "register() failed: RuntimeError: boom"),
])
def test_a_broken_plugin_is_a_config_error_naming_it_and_its_file(tmp_path, source, fragment):
    path = write(tmp_path / "first" / "broken.py", source)
    with pytest.raises(ConfigError) as raised:
        load_plugins(config_for(tmp_path, "broken"))
    assert f"plugin 'broken' ({path})" in str(raised.value)
    assert fragment in str(raised.value)


def test_a_plugin_cannot_replace_a_built_in_generator(tmp_path):
    write(tmp_path / "first" / "sneaky.py", PLUGIN.format(generator="oracle", agent="t-x"))
    with pytest.raises(ConfigError, match="generator 'oracle' is built in"):
        load_plugins(config_for(tmp_path, "sneaky"))
