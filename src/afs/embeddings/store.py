"""One SQLite file per project: documents with their content hashes, chunks with their vectors
(float32 BLOBs) and an FTS5 table over the chunks for BM25 keyword search.

Why one SQLite file: a document, its chunks, their vectors and their keyword index change in
one transaction, so an interrupted index run never leaves them out of step, and incremental
re-indexing is plain row deletes and inserts. Vector search loads the BLOBs into an exact
FAISS inner-product index when a search opens (see ``afs.embeddings.search``).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import numpy as np

from afs.errors import ConfigError

SCHEMA_VERSION = "1"
STORE_FILE = "index.sqlite"
DEFAULT_CACHE_DIR = Path("~/.cache/afs/embeddings")
PROJECT_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*$")
# Title matches count more than body text, paths less (bm25() column weights).
BM25_WEIGHTS = (2.0, 1.0, 0.5)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, chunks INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, path TEXT NOT NULL, ordinal INTEGER NOT NULL, title TEXT NOT NULL,
    start_line INTEGER NOT NULL, text TEXT NOT NULL, text_sha TEXT NOT NULL, vector BLOB);
CREATE INDEX IF NOT EXISTS chunks_path ON chunks(path);
CREATE INDEX IF NOT EXISTS chunks_text_sha ON chunks(text_sha);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    title, text, path, content='chunks', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2');
CREATE TRIGGER IF NOT EXISTS chunks_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, title, text, path)
    VALUES (new.id, new.title, new.text, new.path);
END;
CREATE TRIGGER IF NOT EXISTS chunks_delete AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, title, text, path)
    VALUES ('delete', old.id, old.title, old.text, old.path);
END;
"""

# Words too common to rank by; dropping them keeps OR queries over large indexes fast.
STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how",
    "i", "in", "is", "it", "of", "on", "or", "that", "the", "this", "to", "what", "when",
    "where", "which", "who", "why", "with"})
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as the store holds it; ``chunk_id`` is ``path#ordinal``."""

    rowid: int
    path: str
    ordinal: int
    title: str
    start_line: int
    text: str

    @property
    def chunk_id(self) -> str:
        return f"{self.path}#{self.ordinal}"


@dataclass(frozen=True)
class NewChunk:
    """A chunk to write: its text, where it sits, its text hash and its vector (or None)."""

    ordinal: int
    title: str
    start_line: int
    text: str
    text_sha: str
    vector: np.ndarray | bytes | None


def _blob(vector: np.ndarray | bytes | None) -> bytes | None:
    """A vector as the float32 BLOB the store keeps (stored BLOBs pass through)."""
    if vector is None or isinstance(vector, bytes):
        return vector
    return np.asarray(vector, dtype=np.float32).tobytes()


def project_store_path(project: str, cache_dir: str | Path | None = None) -> Path:
    """``<cache_dir>/<project>/index.sqlite``; ``cache_dir`` defaults to ~/.cache/afs/embeddings."""
    if not PROJECT_NAME.match(project or ""):
        raise ConfigError(f"project name {project!r}: use letters, digits, '_', '.' or '-'")
    root = Path(cache_dir if cache_dir is not None else DEFAULT_CACHE_DIR).expanduser()
    return root / project / STORE_FILE


def fts_query(text: str) -> str:
    """A free-text query as an FTS5 expression: every word quoted (so no word is read as an
    operator), stopwords dropped unless nothing else is left, joined with OR."""
    words = [w.lower() for w in WORD.findall(text)]
    kept = [w for w in words if w not in STOPWORDS] or words
    return " OR ".join(f'"{w}"' for w in dict.fromkeys(kept))


class EmbeddingStore:
    """The project's index file. Use as a context manager; writes happen in ``transaction()``."""

    def __init__(self, path: str | Path, create: bool = True):
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise FileNotFoundError(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)
        version = self.meta().get("schema_version")
        if version is None:
            self.set_meta(schema_version=SCHEMA_VERSION)
        elif version != SCHEMA_VERSION:
            raise ConfigError(f"{self.path}: index schema {version} is not {SCHEMA_VERSION}; "
                              "delete the file and index again")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def transaction(self) -> sqlite3.Connection:
        """``with store.transaction():`` commits on success, rolls back on error."""
        return _Transaction(self.db)

    def meta(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, value FROM meta"))

    def set_meta(self, **values: object) -> None:
        self.db.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                            [(k, str(v)) for k, v in values.items()])

    def document_hashes(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT path, sha256 FROM documents"))

    def counts(self) -> tuple[int, int, int]:
        """(documents, chunks, chunks with a vector)."""
        documents = self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        chunks, vectors = self.db.execute(
            "SELECT COUNT(*), COUNT(vector) FROM chunks").fetchone()
        return documents, chunks, vectors

    def vectors_for(self, text_shas: Iterable[str]) -> dict[str, bytes]:
        """Stored vectors by text hash, for chunks whose text is already embedded somewhere."""
        found: dict[str, bytes] = {}
        shas = list(dict.fromkeys(text_shas))
        for i in range(0, len(shas), 500):
            batch = shas[i:i + 500]
            found.update(self.db.execute(
                f"SELECT text_sha, vector FROM chunks WHERE vector IS NOT NULL AND text_sha IN "
                f"({','.join('?' * len(batch))})", batch))
        return found

    def replace_document(self, path: str, sha256: str, chunks: Sequence[NewChunk]) -> None:
        """Put ``path`` with exactly ``chunks`` (its old chunks go)."""
        self.remove_document(path)
        self.db.execute("INSERT INTO documents(path, sha256, chunks) VALUES (?, ?, ?)",
                        (path, sha256, len(chunks)))
        self.db.executemany(
            "INSERT INTO chunks(path, ordinal, title, start_line, text, text_sha, vector) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(path, c.ordinal, c.title, c.start_line, c.text, c.text_sha, _blob(c.vector))
             for c in chunks])

    def remove_document(self, path: str) -> None:
        self.db.execute("DELETE FROM chunks WHERE path = ?", (path,))
        self.db.execute("DELETE FROM documents WHERE path = ?", (path,))

    def keyword_search(self, query: str, limit: int) -> list[tuple[int, float]]:
        """``(chunk rowid, score)`` best first by BM25 (score: higher is better)."""
        expression = fts_query(query)
        if not expression:
            return []
        rows = self.db.execute(
            f"SELECT rowid, bm25(chunks_fts, {', '.join(map(str, BM25_WEIGHTS))}) AS rank "
            "FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?",
            (expression, limit))
        return [(rowid, -rank) for rowid, rank in rows]  # SQLite's bm25() is lower-is-better

    def all_vectors(self, dim: int) -> tuple[np.ndarray, np.ndarray]:
        """(chunk rowids as int64, vectors as an n x dim float32 matrix)."""
        rows = self.db.execute("SELECT id, vector FROM chunks WHERE vector IS NOT NULL").fetchall()
        ids = np.fromiter((rowid for rowid, _ in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(blob for _, blob in rows), dtype=np.float32)
        return ids, matrix.reshape(len(rows), dim)

    def chunks_by_rowid(self, rowids: Sequence[int]) -> dict[int, StoredChunk]:
        if not rowids:
            return {}
        rows = self.db.execute(
            "SELECT id, path, ordinal, title, start_line, text FROM chunks WHERE id IN "
            f"({','.join('?' * len(rowids))})", list(rowids))
        return {row[0]: StoredChunk(*row) for row in rows}


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
