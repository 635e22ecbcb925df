"""Embeddings: chunk a project's documents, index them in one SQLite file per project (BM25
through FTS5, vectors as float32 BLOBs searched with FAISS) and search or evaluate the index.

Providers: ``none`` (keyword only), ``hf`` (local sentence-transformers), ``ollama``.
Imports are resolved on first use so `import afs.embeddings` stays light.
"""

from __future__ import annotations

from afs.lazy import lazy_exports

_EXPORTS = {
    "Chunk": "afs.embeddings.chunking",
    "chunk_document": "afs.embeddings.chunking",
    "EmbeddingStore": "afs.embeddings.store",
    "project_store_path": "afs.embeddings.store",
    "make_provider": "afs.embeddings.providers",
    "HFProvider": "afs.embeddings.providers",
    "OllamaProvider": "afs.embeddings.providers",
    "ProviderError": "afs.embeddings.providers",
    "PROVIDERS": "afs.embeddings.providers",
    "IndexReport": "afs.embeddings.index",
    "index_directory": "afs.embeddings.index",
    "IndexSearcher": "afs.embeddings.search",
    "SearchHit": "afs.embeddings.search",
    "open_index": "afs.embeddings.search",
    "reciprocal_rank_fusion": "afs.embeddings.search",
    "EvalReport": "afs.embeddings.evaluate",
    "evaluate_queries": "afs.embeddings.evaluate",
    "load_queries": "afs.embeddings.evaluate",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
