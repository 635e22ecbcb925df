"""Every key of the spec's Configuration section acts: set it (an AFS_* variable, or
~/.config/afs/config.toml / afs.toml), run the installed `afs` script, observe the effect."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.fake_openai import fake_openai_server

from .clitools import read_records

ASM = Path(__file__).resolve().parents[2] / "data" / "01_raw" / "asm"
SUITE = [{"id": f"q{i}", "prompt": f"What is {i}?", "check": "contains", "expect": ["answer"]}
         for i in range(5)]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def context_at(folder: Path) -> Path:
    (folder / ".context" / "memory").mkdir(parents=True)
    return folder


def discovered(result) -> list[str]:
    assert result.returncode == 0, result.stderr
    return sorted(Path(found["path"]).parent.name
                  for found in json.loads(result.stdout)["contexts"])


# ------------------------------------------------------------------ [general]


def test_discovery_ignore_leaves_folders_out(afs, tmp_path):
    for name in ("keep", "legacy", "skipme"):
        context_at(tmp_path / "ws" / name)
    assert discovered(afs("context", "discover", "--path", "ws", "--json")) == ["keep", "skipme"]
    assert discovered(afs("context", "discover", "--path", "ws", "--json",
                          AFS_GENERAL_DISCOVERY_IGNORE="skipme")) == ["keep", "legacy"]


def test_plugin_dirs_and_enabled_plugins_load_a_plugin(afs, tmp_path):
    write(tmp_path / "mine" / "hello.py", """
class Hello:
    name = "hello"
    description = "says hello"
    def build_parser(self):
        import argparse
        return argparse.ArgumentParser()
    def run(self, args):
        return None

def register(registry):
    registry.add_agent("hello", Hello)
""")
    assert "hello" not in afs("agents", "list").stdout
    write(tmp_path / ".config" / "afs" / "config.toml",
          f'[general]\nplugin_dirs = ["{tmp_path / "mine"}"]\nenabled_plugins = ["hello"]\n')
    listed = afs("agents", "list")
    assert listed.returncode == 0, listed.stderr
    assert "hello" in listed.stdout and "says hello" in listed.stdout


# ------------------------------------------------------------------ [training]


def test_training_defaults_drive_discriminator_training(afs, tmp_path):
    inputs = ["--input", ASM / "Sprites", "--input", ASM / "Items"]
    small = ["--layers", "1", "--hidden", "32", "--max-length", "96", "--device", "cpu"]
    for variable in ("AFS_TRAINING_DEFAULT_EPOCHS", "AFS_TRAINING_EPOCHS"):
        refused = afs("discriminator", "train", *inputs, "--output", "m", **{variable: "0"})
        assert refused.returncode == 1 and "epochs must be at least 1, not 0" in refused.stderr
    refused = afs("discriminator", "train", *inputs, "--output", "m",
                  AFS_TRAINING_DEFAULT_BATCH_SIZE="0")
    assert "batch_size must be at least 1, not 0" in refused.stderr
    # the project file's spelling: batch_size, learning_rate, epochs
    write(tmp_path / "afs.toml", "[training]\nbatch_size = 8\nlearning_rate = 0.004\nepochs = 1\n")
    trained = afs("discriminator", "train", *inputs, "--output", "m", *small)
    assert trained.returncode == 0, trained.stderr
    params = json.loads((tmp_path / "m" / "training.json").read_text())["params"]
    assert (params["epochs"], params["batch_size"], params["learning_rate"]) == (1, 8, 0.004)


# ------------------------------------------------------------------ [discriminator]


def test_discriminator_model_path_is_the_scorers_model(afs, write_samples, tmp_path):
    write_samples("raw.jsonl", 3)
    args = ("discriminator", "score", "--input", "raw.jsonl", "--output", "scored.jsonl")
    without = afs(*args)
    assert without.returncode == 0, without.stderr  # no model anywhere: ELECTRA left out
    from_env = afs(*args, AFS_DISCRIMINATOR_MODEL_PATH=str(tmp_path / "nope"))
    assert from_env.returncode == 1
    assert (f"{tmp_path / 'nope'}: no discriminator model directory (discriminator.model_path "
            "from env:AFS_DISCRIMINATOR_MODEL_PATH)") in from_env.stderr
    write(tmp_path / "afs.toml", '[discriminator]\nmodel_path = "models/mine"\n')
    from_file = afs(*args)
    assert f"{tmp_path / 'models' / 'mine'}: no discriminator model directory" in from_file.stderr


# ------------------------------------------------------------------ [orchestration], [evaluation]


def evaluate(afs, tmp_path, *args, **env):
    write(tmp_path / "suite.jsonl", "".join(json.dumps(item) + "\n" for item in SUITE))
    result = afs("evaluate", "--suite", "suite.jsonl", "--output", "eval", "--no-mlflow", *args,
                 **env)
    assert result.returncode == 0, result.stderr
    return json.loads((tmp_path / "eval" / "evaluation.json").read_text())


def test_orchestration_port_and_workers_and_evaluation_settings(afs, tmp_path):
    with fake_openai_server(lambda request, n: "the answer", models=("majora", "nayru")) as server:
        port = server.url.rsplit(":", 1)[1]
        # a bare model name is that model on the local server at orchestration.port
        report = evaluate(afs, tmp_path, "--models", "majora", AFS_ORCHESTRATION_PORT=port,
                          AFS_ORCHESTRATION_WORKERS="2")
        assert report["models"]["majora"]["url"] == f"http://127.0.0.1:{port}#majora"
        assert report["settings"]["concurrency"] == 2
        assert report["settings"]["timeout_s"] == 30 and report["suite"]["items"] == 5
        asked = {request["model"] for request in server.requests}
        assert asked == {"majora"}

        write(tmp_path / "afs.toml", f'[orchestration]\nport = {port}\n[evaluation]\n'
                                     'sample_size = 2\ntimeout = 7\nmodels = ["nayru"]\n')
        report = evaluate(afs, tmp_path)  # no --models: evaluation.models
        assert list(report["models"]) == ["nayru"]
        assert report["suite"]["items"] == 2 and report["settings"]["timeout_s"] == 7
        assert evaluate(afs, tmp_path, AFS_EVALUATION_SAMPLE_SIZE="3")["suite"]["items"] == 3


# ------------------------------------------------------------------ [embeddings], [project]


def test_embeddings_settings_and_project_name(afs, tmp_path):
    write(tmp_path / "docs" / "dma.md", "# DMA\nEight channels.\n")
    index = afs("embeddings", "index", "--project", "p", "--source", "docs",
                AFS_EMBEDDINGS_CACHE_DIR=str(tmp_path / "idx"))
    assert index.returncode == 0, index.stderr
    assert (tmp_path / "idx" / "p" / "index.sqlite").is_file()
    write(tmp_path / "titles" / "a.md", "# DMA\n")  # no chunk: the model is named, not loaded
    chosen = afs("embeddings", "index", "--project", "q", "--source", "titles",
                 AFS_EMBEDDINGS_PROVIDER="hf", AFS_EMBEDDINGS_MODEL="my-embedder",
                 HF_HUB_OFFLINE="1")
    assert chosen.returncode == 0, chosen.stderr
    assert " with hf my-embedder in " in chosen.stdout
    ollama = afs("embeddings", "index", "--project", "p", "--source", "docs",
                 AFS_EMBEDDINGS_PROVIDER="ollama", AFS_EMBEDDINGS_OLLAMA_URL="http://127.0.0.1:9")
    assert ollama.returncode == 1 and "cannot reach Ollama at http://127.0.0.1:9" in ollama.stderr

    write(tmp_path / "afs.toml", '[project]\nname = "demo"\n[embeddings]\ncache_dir = "idx2"\n')
    named = afs("embeddings", "index", "--source", "docs")  # no --project: project.name
    assert named.returncode == 0, named.stderr
    assert named.stdout.startswith("index: demo: 1 files")
    assert (tmp_path / "idx2" / "demo" / "index.sqlite").is_file()


def test_project_workspace_name_is_where_contexts_are_searched(afs, tmp_path):
    context_at(tmp_path / "src" / "game")
    context_at(tmp_path / "other" / "x")
    assert discovered(afs("context", "discover", "--json")) == ["game", "x"]  # here, below
    write(tmp_path / "afs.toml", '[project]\nworkspace_name = "src"\n')
    assert discovered(afs("context", "discover", "--json")) == ["game"]  # ~/src only


def test_project_context_root_is_where_memory_export_reads(afs, tmp_path):
    write(tmp_path / "ctx" / "memory" / "notes.jsonl",
          '{"instruction": "What is $2100?", "output": "INIDISP"}\n')
    env = {"AFS_PROJECT_CONTEXT_ROOT": str(tmp_path / "ctx"),
           "AFS_SERVICES_DIR": str(tmp_path / "state"),
           "AFS_MEMORY_EXPORT_OUTPUT": str(tmp_path / "out.jsonl")}
    started = afs("services", "start", "memory-export", **env)
    assert started.returncode == 0, started.stderr
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "out.jsonl").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [r["output"] for r in read_records(tmp_path / "out.jsonl")] == ["INIDISP"]
    finally:
        assert afs("services", "stop", "memory-export", **env).returncode == 0


@pytest.mark.parametrize("key", ["discriminator.cache_dir"])
def test_keys_without_an_offline_effect_are_still_read(afs, key):
    """discriminator.cache_dir only matters when a model is fetched from a hub (offline here):
    it is read and shown, never silently dropped."""
    variable = "AFS_" + key.replace(".", "_").upper()
    shown = afs("config", "show", "--json", **{variable: "/tmp/cache-x"})
    assert json.loads(shown.stdout)["sources"][key] == f"env:{variable}"


@pytest.mark.parametrize("kind", ["memory", "history"])
def test_project_context_root_is_where_the_exports_read_by_default(afs, tmp_path, kind):
    """`afs training memory-export` / `history-export` without --*-root read the configured
    context root, as the services do (not always ~/.context)."""
    line = ('{"instruction": "What is $2100?", "output": "INIDISP"}' if kind == "memory" else
            '{"id": "e1", "type": "model", "timestamp": "2026-01-01T00:00:00Z", '
            '"payload": {"prompt": "What is $2100?", "response": "INIDISP"}}')
    name = "notes.jsonl" if kind == "memory" else "events_20260101.jsonl"
    write(tmp_path / "ctx" / kind / name, line + "\n")
    write(tmp_path / "afs.toml", f'[project]\ncontext_root = "{tmp_path / "ctx"}"\n')
    result = afs("training", f"{kind}-export", "--output", "out.jsonl")
    assert result.returncode == 0, result.stderr
    assert [r["output"] for r in read_records(tmp_path / "out.jsonl")] == ["INIDISP"]
