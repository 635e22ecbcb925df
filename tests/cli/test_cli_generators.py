import json

import orjson


def test_list_shows_builtins_with_their_parameters(afs):
    result = afs("generators", "list", "--json")
    assert result.returncode == 0, result.stderr
    listed = {item["name"]: item for item in map(json.loads, result.stdout.splitlines())}
    assert {"oracle", "memory", "history", "knowledge"} <= set(listed)
    assert listed["knowledge"]["parameters"] == {"db_files": "()", "builtin": True,
                                                 "registers": False, "seed": 0}
    assert afs("generators", "list").stdout.startswith("oracle")


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
