"""Incremental indexing by content hash, BM25 ranking, vector and hybrid search."""

from __future__ import annotations

from itertools import pairwise

import pytest

from afs.embeddings import (
    EmbeddingStore,
    index_directory,
    open_index,
    reciprocal_rank_fusion,
)
from afs.embeddings.search import IndexSearcher
from afs.errors import ConfigError

from .conftest import CountingProvider


def searcher_for(store_path, provider):
    return IndexSearcher(EmbeddingStore(store_path, create=False), provider)


def test_reindexing_touches_only_what_changed(docs, tmp_path):
    store, provider = tmp_path / "index.sqlite", CountingProvider()
    first = index_directory(docs, store, provider)
    assert (first.files, first.added, first.chunks) == (4, 4, len(provider.embedded))

    provider.embedded.clear()
    again = index_directory(docs, store, provider)
    assert (again.unchanged, again.embedded, provider.embedded) == (4, 0, [])

    dma = docs / "guide" / "dma.md"
    dma.write_text(dma.read_text().replace("Gradients use HDMA channel 5.",
                                           "Gradients use HDMA channel 6."))
    edited = index_directory(docs, store, provider)
    assert (edited.updated, edited.unchanged, edited.embedded) == (1, 3, 1)
    assert provider.embedded == ["DMA > HDMA\n\nGradients use HDMA channel 6."]

    provider.embedded.clear()
    (docs / "notes.txt").unlink()
    (docs / "src" / "heart.asm").rename(docs / "src" / "jar.asm")
    moved = index_directory(docs, store, provider)
    assert (moved.removed, moved.added, moved.embedded) == (2, 1, 0)  # a rename re-embeds nothing
    with EmbeddingStore(store) as opened:
        assert sorted(opened.document_hashes()) == ["guide/dma.md", "guide/sprites.md",
                                                    "src/jar.asm"]
        assert opened.counts()[1] == opened.counts()[2] == moved.chunks


def test_a_new_provider_or_chunk_size_reindexes_everything(docs, tmp_path):
    store = tmp_path / "index.sqlite"
    index_directory(docs, store, None)
    provider = CountingProvider()
    report = index_directory(docs, store, provider)
    assert report.added == 4 and report.embedded == report.chunks
    assert index_directory(docs, store, provider, max_chars=300, overlap=50).added == 4


def test_bm25_ranks_the_document_with_the_rare_terms_first(docs, tmp_path):
    store = tmp_path / "index.sqlite"
    index_directory(docs, store, None)
    with open_index(store) as searcher:
        assert searcher.default_mode == "keyword"
        hits = searcher.search("HDMA gradient channel", k=3)
        assert hits[0].chunk_id == "guide/dma.md#2" and hits[0].title == "DMA > HDMA"
        assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
        assert all(a.score >= b.score for a, b in pairwise(hits))
        assert searcher.search("HeartJar_Use", k=1)[0].path == "src/heart.asm"
        assert searcher.search("spawning sprites")[0].path == "guide/sprites.md"  # stemmed
        assert searcher.search("the") == searcher.search("the", mode="keyword")  # kept if alone
        assert searcher.search("zyzzyva") == []
        assert searcher.search('"unbalanced AND (', k=1) == []  # never read as FTS5 syntax
        assert searcher.search_documents("shards rupees SRAM", k=1) == ["notes.txt"]
        with pytest.raises(ConfigError, match="keyword-only index"):
            searcher.search("vram", mode="vector")


def test_vector_and_hybrid_search(docs, tmp_path):
    store, provider = tmp_path / "index.sqlite", CountingProvider()
    index_directory(docs, store, provider)
    with searcher_for(store, provider) as searcher:
        assert searcher.default_mode == "hybrid"
        vector = searcher.search("copy tiles to VRAM", k=2, mode="vector")
        assert vector[0].chunk_id == "guide/dma.md#1" and 0 < vector[0].score <= 1.0
        hybrid = searcher.search("copy tiles to VRAM", k=2)
        assert hybrid[0].chunk_id == "guide/dma.md#1"


def test_search_with_another_provider_than_the_index_is_an_error(docs, tmp_path):
    store = tmp_path / "index.sqlite"
    index_directory(docs, store, None)
    with pytest.raises(ConfigError, match="indexed with provider none, not hf"):
        open_index(store, provider="hf")
    with pytest.raises(ConfigError, match="no embeddings index at"):
        open_index(tmp_path / "missing.sqlite")


def test_reciprocal_rank_fusion_rewards_agreement():
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1, 4]])
    assert [item for item, _ in fused] == [1, 3, 2, 4]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
