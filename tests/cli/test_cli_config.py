"""`afs config show` through the installed `afs` script (HOME is tmp_path)."""

from __future__ import annotations

import json

from .clitools import assert_user_error


def shown(result) -> dict[str, str]:
    """``key -> "value  (source)"`` from `afs config show` text output."""
    assert result.returncode == 0, result.stderr
    return dict(line.split(" = ", 1) for line in result.stdout.splitlines())


def test_show_prints_every_setting_with_its_source(afs, tmp_path):
    config_dir = tmp_path / ".config" / "afs"
    config_dir.mkdir(parents=True)
    (config_dir / "config.toml").write_text('[embeddings]\nprovider = "ollama"\n'
                                            "[orchestration]\nworkers = 2\n")
    (tmp_path / "afs.toml").write_text("[training]\nbatch_size = 64\n[embeddings]\n"
                                       'provider = "hf"\n')
    lines = shown(afs("config", "show", "--set", "orchestration.port=9",
                      AFS_CONTEXT_WARM_INTERVAL="60"))
    assert lines["embeddings.provider"] == f'"hf"  ({tmp_path / "afs.toml"})'
    assert lines["orchestration.workers"] == f'2  ({config_dir / "config.toml"})'
    assert lines["training.default_batch_size"] == f'64  ({tmp_path / "afs.toml"})'
    assert lines["services.context_warm_interval"] == "60.0  (env:AFS_CONTEXT_WARM_INTERVAL)"
    assert lines["orchestration.port"] == "9  (flag)"
    assert lines["embeddings.model"] == '"nomic-embed-text"  (default)'


def test_show_json_and_config_path(afs, tmp_path):
    custom = tmp_path / "custom.toml"
    custom.write_text('[general]\nenabled_plugins = ["a"]\n')
    result = afs("config", "show", "--json", AFS_CONFIG_PATH=str(custom))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["config"]["general"]["enabled_plugins"] == ["a"]
    assert document["sources"]["general.enabled_plugins"] == str(custom)
    assert document["config"]["embeddings"]["cache_dir"] == str(tmp_path / ".cache/afs/embeddings")


def test_unknown_keys_are_warnings_and_bad_values_one_line_errors(afs, tmp_path):
    project = tmp_path / "afs.toml"
    project.write_text("[embeddings]\ncolour = 1\n")
    result = afs("config", "show")
    assert result.returncode == 0
    assert result.stderr.strip() == f"warning: {project}: unknown key 'embeddings.colour' ignored"
    project.write_text('[orchestration]\nport = "high"\n')
    assert_user_error(afs("config", "show"), str(project), "key 'orchestration.port'",
                      "expected an integer, got 'high'")
    project.write_text("[orchestration\n")
    assert_user_error(afs("config", "show"), f"{project}:1: invalid TOML")
    assert_user_error(afs("config", "show", "--set", "nope"), "expected KEY=VALUE")
