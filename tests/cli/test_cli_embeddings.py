"""`afs embeddings index|search|eval` through the installed console script."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.embeddings.conftest import docs, ollama_url  # noqa: F401  (fixtures)

from .clitools import afs_env, afs_executable, assert_user_error, summary_line


@pytest.fixture
def afs(tmp_path):
    """Run `afs embeddings ARGS…` in tmp_path, which is also $HOME."""

    def run(*args: str | Path) -> subprocess.CompletedProcess:
        return subprocess.run([str(afs_executable()), "embeddings", *map(str, args)],
                              cwd=tmp_path, env=afs_env(tmp_path), capture_output=True,
                              text=True, timeout=120, check=False)

    return run


def test_index_search_and_eval_with_bm25(afs, docs, tmp_path):
    line = summary_line(afs("index", "--project", "afs", "--source", docs, "--provider", "none"))
    store = tmp_path / ".cache" / "afs" / "embeddings" / "afs" / "index.sqlite"
    assert line == (f"index: afs: 4 files (4 added, 0 updated, 0 unchanged, 0 removed), "
                    f"7 chunks (0 embedded, 0 reused) with none in "
                    f"{line.split(' in ')[-1].split(' ->')[0]} -> {store}")
    again = summary_line(afs("index", "--project", "afs", "--source", docs))
    assert "(0 added, 0 updated, 4 unchanged, 0 removed)" in again

    found = afs("search", "--project", "afs", "--query", "HDMA gradient", "--json")
    assert found.returncode == 0, found.stderr
    result = json.loads(found.stdout)
    assert (result["mode"], result["results"][0]["chunk_id"]) == ("keyword", "guide/dma.md#2")

    table = afs("search", "--project", "afs", "--query", "heart jar magic", "-k", "2")
    assert table.stdout.splitlines()[0].split() == ["RANK", "SCORE", "WHERE", "TITLE"]
    assert "src/heart.asm:" in table.stdout.splitlines()[1]

    queries = tmp_path / "queries.jsonl"
    queries.write_text('{"query": "HDMA gradient", "expected": ["guide/dma.md"]}\n'
                       '{"query": "spirit shards in SRAM", "expected": "notes.txt"}\n')
    report = json.loads(afs("eval", "--project", "afs", "--query-file", queries,
                            "--json").stdout)
    assert (report["queries"], report["hit_at_k"], report["mrr"], report["k"]) == (2, 1.0, 1.0, 5)
    text = summary_line(afs("eval", "--project", "afs", "--query-file", queries, "-k", "3"))
    assert text == ("eval: afs: 2 queries, none keyword: hit@3 1.000, MRR@3 1.000, "
                    "nDCG@3 1.000")


def test_eval_with_ollama_as_in_the_spec(afs, docs, tmp_path, ollama_url):
    summary_line(afs("index", "--project", "afs", "--source", docs, "--provider", "ollama",
                     "--ollama-url", ollama_url))
    queries = tmp_path / "queries.jsonl"
    queries.write_text('{"query": "copy tiles to VRAM", "expected": ["guide/dma.md"]}\n')
    result = afs("eval", "--project", "afs", "--query-file", queries, "--provider", "ollama",
                 "--model", "nomic-embed-text", "--ollama-url", ollama_url, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["provider"], report["mode"], report["hit_at_k"]) == ("ollama", "hybrid", 1.0)


def test_index_on_a_ray_cluster_equals_local(afs, docs, tmp_path, ollama_url, ray_cluster):
    """--executor ray embeds the chunks on the cluster's workers (each calls the server);
    the index answers exactly as the one built in this process."""
    ray_env = {"--ray-address": ray_cluster.get_runtime_context().gcs_address}
    common = ["--source", docs, "--provider", "ollama", "--ollama-url", ollama_url]
    summary_line(afs("index", "--project", "here", *common))
    token = Path.home() / ".ray" / "auth_token"  # the session's Ray token, under the real $HOME
    on_ray = subprocess.run(
        [str(afs_executable()), "embeddings", "index", "--project", "there", *map(str, common),
         "--executor", "ray", *[str(x) for pair in ray_env.items() for x in pair],
         "--workers", "1"],
        cwd=tmp_path, env={**afs_env(tmp_path),
                           **({"RAY_AUTH_TOKEN_PATH": str(token)} if token.is_file() else {})},
        capture_output=True, text=True, timeout=300, check=False)
    assert on_ray.returncode == 0, on_ray.stderr
    assert "7 chunks (7 embedded, 0 reused) with ollama" in on_ray.stdout
    for query in ("copy tiles to VRAM", "heart jar magic"):
        found = [json.loads(afs("search", "--project", project, "--query", query, "--json",
                                "--mode", "vector", "--ollama-url", ollama_url).stdout)["results"]
                 for project in ("here", "there")]
        assert found[0] == found[1] and found[0]


def test_user_errors_are_one_line(afs, docs, tmp_path):
    assert_user_error(afs("search", "--project", "nope", "--query", "x"),
                      "no embeddings index at", "afs embeddings index")
    summary_line(afs("index", "--project", "afs", "--source", docs))
    assert_user_error(afs("search", "--project", "afs", "--query", "x", "--provider", "hf"),
                      "indexed with provider none, not hf")
    assert_user_error(afs("search", "--project", "afs", "--query", "x", "--mode", "vector"),
                      "keyword-only index")
    assert_user_error(afs("index", "--project", "afs", "--source", tmp_path / "missing"),
                      "missing", "no such file or folder")
    assert_user_error(afs("index", "--project", "../x", "--source", docs), "project name")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "x"}\n')
    assert_user_error(afs("eval", "--project", "afs", "--query-file", bad),
                      "bad.jsonl:1: expected must be")
    assert_user_error(afs("index", "--project", "afs", "--source", docs, "--provider",
                          "ollama", "--ollama-url", "http://127.0.0.1:9"),
                      "cannot reach Ollama at http://127.0.0.1:9")
