"""`afs generators run` redacts what any generator yields, a plugin's included, as the
data_generation pipeline does: a secret in a sample field or its source never reaches the
output file or the console."""

from __future__ import annotations

import orjson

from tests.cli.test_cli_generators import PLUGIN

TOKEN = "glpat-" + "Zq7X" * 5  # a GitLab token shape


def test_a_plugin_generators_secrets_are_redacted_in_its_output(tmp_path, afs):
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "echo_plugin.py").write_text(
        PLUGIN.replace('source="echo"', 'source=f"{self.text}.txt:1"'))
    config = tmp_path / ".config" / "afs" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[general]\nplugin_dirs = ["{tmp_path / "plugins"}"]\n'
                      'enabled_plugins = ["echo_plugin"]\n')
    ran = afs("generators", "run", "echo", "--param", f"text={TOKEN}", "--output", "echo.jsonl")
    assert ran.returncode == 0, ran.stderr
    written = (tmp_path / "echo.jsonl").read_text()
    assert TOKEN not in written + ran.stdout + ran.stderr
    records = [orjson.loads(line) for line in written.splitlines()]
    assert [r["output"] for r in records] == ["[REDACTED:gitlab_token]"] * 3
    assert records[0]["source"] == "[REDACTED:gitlab_token].txt:1"
    assert records[0]["_metadata"]["redactions"] == {"gitlab_token": 2}
