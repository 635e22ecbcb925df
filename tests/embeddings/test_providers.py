"""The ollama provider against a loopback fake of /api/embed, and hf end to end (offline)."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from afs.embeddings import index_directory, make_provider, open_index
from afs.embeddings.providers import OllamaProvider, ProviderError
from afs.errors import ConfigError

from .conftest import DIM, FakeOllama


def test_ollama_embeds_in_batches_over_http(ollama_url):
    provider = OllamaProvider("nomic-embed-text", ollama_url, batch_size=2)
    vectors = provider.embed(["copy tiles", "to vram", "heart jar", "magic", "health"])
    assert vectors.shape == (5, DIM) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert [len(r["input"]) for r in FakeOllama.requests] == [2, 2, 1]
    assert FakeOllama.requests[0] == {"model": "nomic-embed-text",
                                      "input": ["copy tiles", "to vram"]}


def test_ollama_index_and_search_end_to_end(docs, tmp_path, ollama_url):
    store = tmp_path / "index.sqlite"
    report = index_directory(docs, store, make_provider("ollama", ollama_url=ollama_url))
    assert report.provider == "ollama" and report.model == "nomic-embed-text"
    with open_index(store, "ollama", "nomic-embed-text", ollama_url) as searcher:
        assert searcher.search("copy tiles to VRAM", 1, "vector")[0].chunk_id == "guide/dma.md#1"
    with pytest.raises(ConfigError, match="model nomic-embed-text"):
        open_index(store, "ollama", "mxbai-embed-large", ollama_url)


def test_ollama_unknown_model_is_a_clear_error(ollama_url):
    with pytest.raises(ProviderError, match=r"HTTP 404.*'llama9'.*not found.*ollama pull llama9"):
        OllamaProvider("llama9", ollama_url).embed(["x"])


def test_ollama_server_down_is_a_clear_error():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ProviderError, match=rf"cannot reach Ollama at http://127.0.0.1:{port}.*"
                                            r"ollama serve"):
        OllamaProvider(url=f"http://127.0.0.1:{port}", timeout=5).embed(["x"])


def test_unknown_provider_is_a_config_error():
    with pytest.raises(ConfigError, match="choose one of none, hf, ollama"):
        make_provider("openai")


def test_hf_provider_indexes_and_finds_by_meaning(hf_provider, docs, tmp_path):
    store = tmp_path / "index.sqlite"
    report = index_directory(docs, store, hf_provider)
    assert (report.provider, report.model, report.embedded) == ("hf", "all-MiniLM-L6-v2",
                                                                report.chunks)
    with open_index(store) as searcher:
        searcher.provider = hf_provider  # the session's loaded model, not a second load
        hits = searcher.search("turn magic points into hit points", k=1, mode="vector")
        assert hits[0].path == "src/heart.asm"
        assert searcher.search_documents("where are rupees stored", 1) == ["notes.txt"]
