"""Search a project's index: BM25 keywords (SQLite FTS5), vectors (exact FAISS inner
product over the stored float32 vectors) or both fused by reciprocal rank (hybrid)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Self

import numpy as np

from afs.embeddings.providers import EmbeddingProvider, make_provider
from afs.embeddings.store import EmbeddingStore
from afs.errors import ConfigError

MODES = ("keyword", "vector", "hybrid")
RRF_K = 60  # the constant of reciprocal rank fusion (Cormack et al., 2009)
CANDIDATES = 50  # hits each method contributes before fusion


@dataclass(frozen=True)
class SearchHit:
    """One chunk found: ``chunk_id`` is ``path#ordinal``; a higher ``score`` is better (BM25,
    cosine similarity or fused reciprocal rank, by mode)."""

    rank: int
    path: str
    chunk_id: str
    title: str
    start_line: int
    score: float
    text: str

    def to_dict(self) -> dict:
        return asdict(self)


def reciprocal_rank_fusion(rankings: Sequence[Sequence[int]], k: int = RRF_K
                           ) -> list[tuple[int, float]]:
    """Items of several best-first rankings by the sum of ``1 / (k + rank)``, best first."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def open_index(store_path: str | Path, provider: str | None = None, model: str | None = None,
               ollama_url: str | None = None) -> IndexSearcher:
    """A searcher over the index at ``store_path``. ``provider`` and ``model``, when given, must
    be those the index was built with (a query must be embedded like the documents were)."""
    store_path = Path(store_path)
    if not store_path.is_file():
        raise ConfigError(f"no embeddings index at {store_path}: build it first with "
                          "`afs embeddings index --project NAME --source DIR`")
    store = EmbeddingStore(store_path, create=False)
    meta = store.meta()
    built_with, built_model = meta.get("provider", "none"), meta.get("model", "")
    if (provider is not None and provider != built_with) or (
            model is not None and built_with != "none" and model != built_model):
        store.close()
        asked = f"{provider or built_with}" + (f" (model {model})" if model else "")
        shown = built_with + (f" (model {built_model})" if built_model else "")
        raise ConfigError(f"{store_path} was indexed with provider {shown}, not {asked}: search "
                          f"with --provider {built_with}, or index again with the provider "
                          "you want")
    return IndexSearcher(store, make_provider(built_with, built_model or None, ollama_url))


class IndexSearcher:
    """Searches one open store; the FAISS index is built on the first vector search."""

    def __init__(self, store: EmbeddingStore, provider: EmbeddingProvider | None):
        self.store, self.provider = store, provider
        self.meta = store.meta()
        self._faiss = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    @property
    def default_mode(self) -> str:
        return "hybrid" if self.provider is not None else "keyword"

    def search(self, query: str, k: int = 5, mode: str | None = None) -> list[SearchHit]:
        """The ``k`` best chunks for ``query``."""
        if k < 1:
            raise ConfigError(f"k must be at least 1, not {k}")
        ranked = self._ranked_rowids(query, k, mode or self.default_mode)
        chunks = self.store.chunks_by_rowid([rowid for rowid, _ in ranked])
        return [SearchHit(rank, c.path, c.chunk_id, c.title, c.start_line, round(score, 6),
                          c.text)
                for rank, (rowid, score) in enumerate(ranked, start=1)
                for c in [chunks[rowid]]]

    def search_documents(self, query: str, k: int = 5, mode: str | None = None) -> list[str]:
        """The ``k`` best documents (ids), each ranked by its best chunk."""
        hits = self.search(query, max(CANDIDATES, 8 * k), mode)
        return list(dict.fromkeys(hit.path for hit in hits))[:k]

    def _ranked_rowids(self, query: str, k: int, mode: str) -> list[tuple[int, float]]:
        if mode not in MODES:
            raise ConfigError(f"search mode {mode!r}: choose one of {', '.join(MODES)}")
        if mode != "keyword" and self.provider is None:
            raise ConfigError(f"{self.store.path} is a keyword-only index (provider none): "
                              f"search with mode keyword, or index with --provider hf or ollama "
                              f"for mode {mode}")
        if mode == "keyword":
            return self.store.keyword_search(query, k)
        if mode == "vector":
            return self.vector_search(query, k)
        depth = max(k, CANDIDATES)
        rankings = [[rowid for rowid, _ in self.store.keyword_search(query, depth)],
                    [rowid for rowid, _ in self.vector_search(query, depth)]]
        return reciprocal_rank_fusion(rankings)[:k]

    def vector_search(self, query: str, k: int) -> list[tuple[int, float]]:
        """``(chunk rowid, cosine similarity)`` of the ``k`` nearest chunks."""
        index = self._vector_index()
        if index.ntotal == 0:
            return []
        vector = np.ascontiguousarray(self.provider.embed([query]), dtype=np.float32)
        scores, ids = index.search(vector, min(k, index.ntotal))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def _vector_index(self):
        if self._faiss is None:
            import faiss

            dim = int(self.meta.get("dim", 0))
            index = faiss.IndexIDMap(faiss.IndexFlatIP(max(dim, 1)))
            if dim:
                ids, matrix = self.store.all_vectors(dim)
                index.add_with_ids(np.ascontiguousarray(matrix), ids)
            self._faiss = index
        return self._faiss
