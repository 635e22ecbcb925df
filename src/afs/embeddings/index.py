"""Index a folder of documents into a project's store, incrementally by content hash.

Unchanged files (same sha256) are skipped, changed ones are re-chunked, files gone from the
source are removed. A chunk whose text is already embedded anywhere in the index keeps that
vector, so an edit re-embeds only the chunks it touched and a renamed file embeds nothing.
Changed files are written in groups, one transaction each: an interrupted run keeps what it
finished and the next run carries on from there.
"""

from __future__ import annotations

import errno
import hashlib
import os
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from afs.embeddings.chunking import (
    DEFAULT_MAX_CHARS,
    DEFAULT_OVERLAP,
    DEFAULT_SUFFIXES,
    chunk_document,
)
from afs.embeddings.providers import EmbeddingProvider, ProviderError
from afs.embeddings.store import EmbeddingStore, NewChunk
from afs.executors import ExecutorConfig
from afs.safe_fs import Skipped, walk_tree

SKIPPED_FOLDERS = frozenset({"__pycache__", "node_modules", "venv", "site-packages"})
GROUP_CHUNKS = 256  # chunks embedded and written together


@dataclass(frozen=True)
class IndexReport:
    """What one index run did; ``chunks`` counts the whole index afterwards."""

    store: str
    root: str
    provider: str
    model: str
    files: int
    added: int
    updated: int
    unchanged: int
    removed: int
    chunks: int
    embedded: int
    reused: int
    seconds: float
    skipped: list[dict[str, str]] = field(default_factory=list)  # refused paths, with reasons

    def to_dict(self) -> dict:
        return asdict(self)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def source_files(sources: Sequence[str | Path], suffixes: Iterable[str] = DEFAULT_SUFFIXES,
                 skipped: list[Skipped] | None = None) -> tuple[Path, dict[str, Path]]:
    """(root, {document id: file}): every file under the ``sources`` (folders or files) whose
    suffix is one of ``suffixes``; a file named directly is always taken. A document's id is
    its POSIX path relative to the sources' common folder. Hidden files and folders are left
    out; symlinks are followed only while they stay inside their source folder (the others,
    and loops, go to ``skipped`` with the reason, path relative to that root)."""
    if not sources:
        raise ValueError("give at least one source folder or file")
    paths = [Path(source).expanduser().resolve() for source in sources]
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(errno.ENOENT, "no such file or folder", str(path))
    root = Path(os.path.commonpath([p if p.is_dir() else p.parent for p in paths]))
    wanted = {suffix.lower() for suffix in suffixes}
    files: dict[str, Path] = {}
    for path in paths:
        found = [path] if path.is_file() else walk_tree(path, wanted, skipped, ignore=_ignored,
                                                        base=root)
        for file in found:
            files.setdefault(file.relative_to(root).as_posix(), file)
    return root, dict(sorted(files.items()))


def _ignored(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_FOLDERS


def index_directory(sources: str | Path | Sequence[str | Path], store_path: str | Path,
                    provider: EmbeddingProvider | None, *, max_chars: int = DEFAULT_MAX_CHARS,
                    overlap: int = DEFAULT_OVERLAP, suffixes: Iterable[str] = DEFAULT_SUFFIXES,
                    progress: bool = False, executor: object = None) -> IndexReport:
    """Bring the index at ``store_path`` up to date with ``sources`` (one folder or file, or
    several). ``provider`` None builds a keyword-only (BM25) index. Changing the provider, its
    model or the chunk sizes re-indexes every file. ``executor`` (an
    ``afs.executors.ExecutorConfig`` or its dict; default: none, the provider embeds here)
    embeds on that executor, in groups of ``shard_rows`` chunks cut into the same batches
    whichever executor runs."""
    started = time.perf_counter()
    if isinstance(sources, (str, Path)):
        sources = [sources]
    skipped: list[Skipped] = []
    root, files = source_files(sources, suffixes, skipped)
    settings = {"provider": provider.name if provider else "none",
                "model": provider.model if provider else "",
                "max_chars": max_chars, "overlap": overlap}
    with EmbeddingStore(store_path) as store:
        meta = store.meta()
        with store.transaction():
            if any(key in meta and meta[key] != str(value) for key, value in settings.items()):
                store.db.execute("DELETE FROM chunks")  # old vectors no longer fit
                store.db.execute("DELETE FROM documents")
                store.db.execute("DELETE FROM meta WHERE key = 'dim'")
            store.set_meta(**settings, root=root)
        known = store.document_hashes()
        todo, unchanged = [], 0
        for doc_id, path in files.items():
            data = path.read_bytes()
            sha = sha256_hex(data)
            if known.get(doc_id) == sha:
                unchanged += 1
            else:
                todo.append((doc_id, sha, data.decode("utf-8", errors="replace")))
        writer = _GroupWriter(store, provider, max_chars, overlap)
        if provider is not None and executor is not None:
            writer.provider = ExecutorEmbedder(provider, executor)
            writer.group_chunks = writer.provider.executor.shard_rows
        writer.write_all(todo, progress)
        removed = sorted(set(known) - set(files))
        with store.transaction():
            for doc_id in removed:
                store.remove_document(doc_id)
            store.set_meta(indexed_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        chunks = store.counts()[1]
    return IndexReport(
        store=str(store_path), root=str(root), provider=settings["provider"],
        model=settings["model"], files=len(files),
        added=sum(1 for doc_id, _, _ in todo if doc_id not in known),
        updated=sum(1 for doc_id, _, _ in todo if doc_id in known), unchanged=unchanged,
        removed=len(removed), chunks=chunks, embedded=writer.embedded, reused=writer.reused,
        seconds=round(time.perf_counter() - started, 3),
        skipped=[{"path": item.path, "reason": item.reason} for item in skipped])


class _GroupWriter:
    """Chunks changed documents, embeds their new chunk texts in groups and writes each
    group's documents in one transaction."""

    def __init__(self, store: EmbeddingStore, provider: EmbeddingProvider | None,
                 max_chars: int, overlap: int):
        self.store, self.provider = store, provider
        self.max_chars, self.overlap = max_chars, overlap
        self.embedded = self.reused = 0
        self.group_chunks = GROUP_CHUNKS

    def write_all(self, todo: list[tuple[str, str, str]], progress: bool) -> None:
        from tqdm import tqdm

        what = f"embedding with {self.provider.name}" if self.provider else "indexing"
        with tqdm(total=len(todo), desc=what, unit="file", file=sys.stderr,
                  disable=not progress or not todo) as bar:
            group: list[tuple[str, str, list]] = []
            size = 0
            for doc_id, sha, text in todo:
                chunks = chunk_document(doc_id, text, self.max_chars, self.overlap)
                group.append((doc_id, sha, chunks))
                size += len(chunks)
                if size >= self.group_chunks:
                    self.write_group(group)
                    bar.update(len(group))
                    group, size = [], 0
            if group:
                self.write_group(group)
                bar.update(len(group))

    def write_group(self, group: list[tuple[str, str, list]]) -> None:
        shas = [[sha256_hex(chunk.text.encode()) for chunk in chunks] for _, _, chunks in group]
        vectors = self.vectors([sha for row in shas for sha in row],
                               [chunk.text for _, _, chunks in group for chunk in chunks])
        with self.store.transaction():
            for (doc_id, sha, chunks), chunk_shas in zip(group, shas):
                self.store.replace_document(doc_id, sha, [
                    NewChunk(i, c.title, c.start_line, c.text, text_sha, vectors.get(text_sha))
                    for i, (c, text_sha) in enumerate(zip(chunks, chunk_shas))])

    def vectors(self, shas: list[str], texts: list[str]) -> dict[str, np.ndarray | bytes]:
        """A vector for every text hash: stored ones reused, the rest embedded now."""
        if self.provider is None:
            return {}
        found: dict[str, np.ndarray | bytes] = dict(self.store.vectors_for(shas))
        missing = {sha: text for sha, text in zip(shas, texts) if sha not in found}
        self.reused += len(shas) - len(missing)
        if missing:
            rows = self.provider.embed(list(missing.values()))
            self._check_dim(rows)
            found.update(zip(missing, rows))
            self.embedded += len(missing)
        return found

    def _check_dim(self, rows: np.ndarray) -> None:
        dim = str(rows.shape[1])
        stored = self.store.meta().get("dim")
        if stored is None:
            self.store.set_meta(dim=dim)
        elif stored != dim:
            raise ProviderError(f"{self.provider.name} model {self.provider.model!r} returned "
                                f"{dim}-dimensional vectors, the index holds {stored}; "
                                "delete the index or use the model it was built with")


class EmbeddingStage:
    """A stage for ``afs.executors.map_items``: per worker, ``provider`` (shipped once to the
    worker, where an HF model loads on first use) embedding a batch of texts."""

    def __init__(self, provider: EmbeddingProvider):
        self.provider = provider

    def __call__(self):
        return lambda texts: list(self.provider.embed(list(texts)))


class ExecutorEmbedder:
    """An ``EmbeddingProvider`` that embeds with ``provider`` on an executor's workers."""

    def __init__(self, provider: EmbeddingProvider, executor: object):
        self.provider, self.executor = provider, ExecutorConfig.from_params(executor)
        self.name, self.model = provider.name, provider.model

    def embed(self, texts: list[str]) -> np.ndarray:
        from afs.executors import map_items  # pandas: only when an executor embeds

        rows = map_items(list(texts), EmbeddingStage(self.provider), self.executor,
                         stage="embedding")
        return np.stack([np.asarray(row, dtype=np.float32) for row in rows])
