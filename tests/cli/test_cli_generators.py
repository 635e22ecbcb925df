import json

import orjson


def test_list_shows_builtins_with_their_parameters(afs):
    result = afs("generators", "list", "--json")
    assert result.returncode == 0, result.stderr
    listed = {item["name"]: item for item in map(json.loads, result.stdout.splitlines())}
    assert {"oracle", "memory", "history", "knowledge"} <= set(listed)
    assert listed["knowledge"]["parameters"] == {"db_files": "()", "builtin": True,
                                                 "registers": False, "seed": 0}
    header, first, *_ = afs("generators", "list").stdout.splitlines()
    assert header.split() == ["NAME", "ORIGIN", "TARGET", "PARAMETERS"]
    assert first.split()[:3] == ["oracle", "built-in",
                                 "afs.oracle.training_generator:OracleTrainingGenerator"]
    assert first.endswith("oracle_path (required), keep_comments=False, db=None, "
                          "max_file_bytes=8388608, kinds=None, builtin_ram=None")


def test_run_writes_samples_and_a_summary(afs, tmp_path):
    result = afs("generators", "run", "knowledge", "--output", "k.jsonl",
                 "--param", "registers=true", "--param", "seed=3", "--limit", "25")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "knowledge: 25 samples -> k.jsonl"
    records = [orjson.loads(line) for line in (tmp_path / "k.jsonl").read_bytes().splitlines()]
    assert len(records) == 25 and all(r["domain"] == "knowledge" for r in records)


def test_bad_names_and_parameters_are_one_line_errors(afs):
    unknown = afs("generators", "run", "nope", "--output", "x.jsonl")
    assert unknown.returncode == 1
    assert unknown.stderr.strip().startswith("error: unknown generator 'nope'; available:")
    bad = afs("generators", "run", "knowledge", "--output", "x.jsonl", "--param", "colour=red")
    assert bad.returncode == 1 and "unknown parameter 'colour'" in bad.stderr
    malformed = afs("generators", "run", "knowledge", "--output", "x.jsonl", "--param", "oops")
    assert malformed.returncode == 1 and "write key=value" in malformed.stderr


PLUGIN = '''
from afs.generators.base import BaseGenerator, TrainingSample


class EchoGenerator(BaseGenerator):
    def __init__(self, text: str = "hi"):
        super().__init__("echo", domain="test")
        self.text = text

    def generate(self):
        for i in range(3):
            yield TrainingSample(instruction=f"say {i}", output=self.text, domain="test",
                                 source="echo")


def register(registry):
    registry.add_generator("echo", EchoGenerator)
'''


def test_a_generator_from_an_enabled_plugin_lists_and_runs(tmp_path, afs):
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "echo_plugin.py").write_text(PLUGIN)
    config = tmp_path / ".config" / "afs" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[general]\nplugin_dirs = ["{tmp_path / "plugins"}"]\n'
                      'enabled_plugins = ["echo_plugin"]\n')
    listed = afs("generators", "list")
    assert listed.returncode == 0, listed.stderr
    assert "echo" in listed.stdout and "plugin" in listed.stdout
    ran = afs("generators", "run", "echo", "--param", "text=LDA", "--output", "echo.jsonl")
    assert ran.returncode == 0, ran.stderr
    lines = (tmp_path / "echo.jsonl").read_text().splitlines()
    assert len(lines) == 3 and '"output":"LDA"' in lines[0].replace(" ", "")


def test_run_prints_what_the_generator_counted(afs, tmp_path):
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "ram.asm").write_text(
        "; Game state\nGameMode = $7E0010 ; main module index\nSubMode = $7E0011\n",
        encoding="utf-8")
    result = afs("generators", "run", "oracle", "--output", "o.jsonl",
                 "--param", f"oracle_path={tmp_path / 'tree'}")
    assert result.returncode == 0, result.stderr
    summary = result.stdout.splitlines()
    assert summary[0].startswith("oracle: ") and summary[0].endswith(" -> o.jsonl")
    assert "symbol samples without own description: " in summary[1], summary
