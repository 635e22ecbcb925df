"""The agent registry: built-ins, a plugin agent from a real plugin file, name suggestions,
argument errors as ConfigErrors."""

from __future__ import annotations

import pytest

from afs.agents.base import AgentResult, get_agent, list_agents, run_agent
from afs.generators import plugins
from afs.errors import ConfigError

PLUGIN = '''
from afs.agents import Agent, AgentResult


class HelloAgent(Agent):
    name = "hello"
    description = "Greet someone."

    def add_arguments(self, parser):
        parser.add_argument("--who", default="world")

    def run(self, args):
        return AgentResult(summary=f"hello, {args.who}")


def register(registry):
    registry.add_agent("hello", HelloAgent)
    registry.add_agent("researcher", HelloAgent)  # a built-in name: ignored
'''


@pytest.fixture
def hello_plugin(tmp_path, monkeypatch):
    """An afs.toml in the working directory enabling plugins/hello_agent.py."""
    monkeypatch.setattr(plugins, "PLUGIN_AGENTS", {})
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "hello_agent.py").write_text(PLUGIN)
    (tmp_path / "afs.toml").write_text(
        '[general]\nplugin_dirs = ["plugins"]\nenabled_plugins = ["hello_agent"]\n')


def test_the_built_in_agents_are_listed_with_what_they_need():
    infos = {info.name: info for info in list_agents()}
    assert list(infos) == ["context-audit", "researcher", "scribe-draft"]
    assert not infos["context-audit"].model_backed
    assert infos["researcher"].model_backed and infos["scribe-draft"].model_backed
    assert {info.source for info in infos.values()} == {"built-in"}


def test_a_plugin_agent_is_listed_and_runs_but_cannot_replace_a_built_in(hello_plugin):
    infos = {info.name: info for info in list_agents()}
    assert infos["hello"].source == "plugin" and infos["hello"].description == "Greet someone."
    assert infos["researcher"].source == "built-in"
    assert run_agent(get_agent("hello"), ["--", "--who", "Link"]).summary == "hello, Link"
    assert get_agent("researcher").model_backed


def test_an_unknown_name_suggests_the_closest():
    with pytest.raises(ConfigError, match=r"unknown agent 'scribe'; did you mean "
                                          r"'scribe-draft'\? available: context-audit, "):
        get_agent("scribe")


def test_bad_agent_arguments_are_config_errors_naming_the_agent():
    with pytest.raises(ConfigError, match=r"afs agents run context-audit --: unrecognized "
                                          r"arguments: --bogus"):
        run_agent(get_agent("context-audit"), ["--bogus"])
    with pytest.raises(ConfigError, match=r"--retries must be at least 0"):
        run_agent(get_agent("researcher"), ["in", "out.md", "--retries", "-1"])


def test_a_factory_and_an_instance_are_agents_too(monkeypatch):
    class Echo:
        name, description = "echo", "Echo."

        def build_parser(self):
            import argparse

            return argparse.ArgumentParser()

        def run(self, args):
            return None  # a plugin may return nothing

    monkeypatch.setattr("afs.agents.base.plugin_agents",
                        lambda: {"echo": Echo(), "echo2": lambda: Echo(), "bad": object()})
    assert run_agent(get_agent("echo"), []) == AgentResult(summary="done")
    assert isinstance(get_agent("echo2"), Echo)
    with pytest.raises(ConfigError, match=r"agent 'bad' \(object\) lacks build_parser and run"):
        get_agent("bad")
