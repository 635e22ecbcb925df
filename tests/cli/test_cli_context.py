"""`afs context init|validate|discover|ensure-all` through the real console script."""

from __future__ import annotations

import json

from .clitools import assert_user_error, summary_line


def test_init_the_spec_example_and_refuse_a_second_time(afs, tmp_path):
    line = summary_line(afs("context", "init", "--path", "~/.context", "--context-name",
                            "default"))

    root = tmp_path / ".context"
    assert line.startswith(f"init: context 'default' at {root} (memory, history, knowledge")
    assert json.loads((root / "metadata.json").read_text())["name"] == "default"
    assert_user_error(afs("context", "init", "--path", "~/.context", "--context-name", "x"),
                      "already a context", "--force")
    forced = afs("context", "init", "--path", "~/.context", "--context-name", "x", "--force",
                 "--json")
    assert forced.returncode == 0 and json.loads(forced.stdout)["name"] == "x"


def test_init_in_a_project_folder(afs, tmp_path):
    summary_line(afs("context", "init", "--path", "proj"))
    assert json.loads((tmp_path / "proj/.context/metadata.json").read_text())["name"] == "proj"


def test_validate_reports_problems_with_exit_code_1(afs, tmp_path):
    afs("context", "init", "--path", "src/good")
    afs("context", "init", "--path", "src/bad")
    bad = tmp_path / "src/bad/.context"
    (bad / "tools").rmdir()
    (bad / "memory/gone.md").symlink_to("nowhere.md")

    result = afs("context", "validate", "--path", "~/src")

    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        f"{bad}/memory/gone.md: broken_symlink: points to a missing target (nowhere.md)",
        f"{bad}/tools: missing_dir: standard folder is missing",
        "validate: 2 contexts, 1 with problems (2 problems)"]
    report = json.loads(afs("context", "validate", "--path", "src", "--json").stdout)
    assert report["problems"] == 2
    assert [c["path"].split("/")[-2] for c in report["contexts"]] == ["bad", "good"]


def test_validate_a_clean_context_and_a_missing_root(afs, tmp_path):
    afs("context", "init", "--path", "~/.context")
    assert summary_line(afs("context", "validate", "--path", "~/.context")) == (
        "validate: 1 context, no problems")
    assert_user_error(afs("context", "validate", "--path", "nowhere"), "nowhere")


def test_discover_json_with_ignore_and_depth(afs, tmp_path):
    for project in ("src/alpha", "src/legacy/old", "src/deep/a/b"):
        afs("context", "init", "--path", project)
    (tmp_path / "src/alpha/loop").symlink_to(tmp_path / "src", target_is_directory=True)

    default = json.loads(afs("context", "discover", "--path", "~/src", "--json").stdout)
    shallow = json.loads(afs("context", "discover", "--path", "src", "--json", "--max-depth",
                             "1", "--ignore", "alpha").stdout)
    text = afs("context", "discover", "--path", "src")

    assert [c["name"] for c in default["contexts"]] == ["alpha", "b"]
    assert default["ignore"] == ["legacy", "archive", "archives"] and default["max_depth"] == 6
    assert shallow["contexts"] == [] and shallow["ignore"] == ["alpha"]
    assert text.stdout.splitlines()[0].split() == ["PATH", "NAME", "FILES", "SIZE"]
    assert text.stdout.splitlines()[-1].startswith("discover: 2 contexts under src")


def test_discover_uses_the_configured_ignore_list(afs, tmp_path):
    config = tmp_path / ".config/afs/config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[general]\ndiscovery_ignore = ["alpha"]\n')
    for project in ("src/alpha", "src/legacy"):
        afs("context", "init", "--path", project)

    report = json.loads(afs("context", "discover", "--path", "src", "--json").stdout)

    assert [c["name"] for c in report["contexts"]] == ["legacy"]


def test_ensure_all_dry_run_then_repair(afs, tmp_path):
    memory = tmp_path / "src/proj/.context/memory"
    memory.mkdir(parents=True)

    dry = afs("context", "ensure-all", "--path", "~/src", "--dry-run")
    assert sorted(p.name for p in memory.parent.iterdir()) == ["memory"]
    done = afs("context", "ensure-all", "--path", "~/src")

    assert dry.returncode == 0 and done.returncode == 0, done.stderr
    assert dry.stdout.splitlines()[0].startswith("would ")
    assert dry.stdout.splitlines()[-1] == (
        "ensure-all: 1 context, 1 need repair (7 actions); dry run, nothing written")
    assert done.stdout.splitlines()[-1] == "ensure-all: 1 context, 1 repaired (7 actions)"
    assert summary_line(afs("context", "validate", "--path", "src")) == (
        "validate: 1 context, no problems")
