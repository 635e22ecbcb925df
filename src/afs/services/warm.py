"""One round of ``context-warm``: find the `.context` folders under a root and bring each
one's embedding index (``<context>/embeddings/index.sqlite``) up to date with its
``knowledge/`` and ``memory/`` documents. Indexing is incremental (by content hash), so a round
where nothing changed reads the files and embeds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afs.context.discovery import discover_contexts, outside_root
from afs.embeddings.chunking import DEFAULT_SUFFIXES
from afs.embeddings.index import index_directory
from afs.embeddings.providers import make_provider
from afs.embeddings.store import STORE_FILE
from afs.safe_fs import ContextEscapeError, ContextFS
from afs.services.base import Log

INDEXED_FOLDERS = ("knowledge", "memory")
INDEX_FOLDER = "embeddings"
MEMORY_SUFFIXES = frozenset({".json", ".jsonl"})  # memory entries, besides docs and notes


@dataclass(frozen=True)
class WarmResult:
    """What happened to one context: ``report`` is the IndexReport, or None when it was
    skipped or failed (``note`` says why)."""

    context: Path
    report: Any = None
    note: str = ""


def context_store_path(context: Path) -> Path:
    """Where a context keeps its rebuildable index: ``<context>/embeddings/index.sqlite``
    (a ContextEscapeError when ``embeddings`` is a symlink out of the context: the index
    holds the context's text and must not be written elsewhere)."""
    ContextFS(context).resolve(f"{INDEX_FOLDER}/{STORE_FILE}")
    return context / INDEX_FOLDER / STORE_FILE


def embedding_provider(config):
    """The provider the settings name (None for ``none``: a keyword-only index); the model
    is passed only when a setting chose one, else the provider's own default applies."""
    chosen = config.sources.get("embeddings.model", "default") != "default"
    return make_provider(config.embeddings.provider,
                         config.embeddings.model if chosen else None,
                         config.embeddings.ollama_url)


def indexed_folders(context: Path, log: Log) -> list[Path]:
    """The context's ``knowledge/`` and ``memory/`` folders that exist; one that is a symlink
    out of the context is logged and left out (the walk inside each is bounded by it)."""
    fs, folders = ContextFS(context), []
    for name in INDEXED_FOLDERS:
        try:
            folder = fs.resolve(name)
        except ContextEscapeError as error:
            log(f"{context}: skipped {name}: {error}")
            continue
        if folder.is_dir():
            folders.append(folder)
    return folders


def warm_contexts(root: Path, config, log: Log) -> list[WarmResult]:
    """Refresh the index of every context under ``root`` (discovery honours
    ``general.discovery_ignore`` and ``general.discovery_max_depth``). A context that fails
    is logged and the round goes on with the next one."""
    contexts = discover_contexts(
        root, ignore=config.general.discovery_ignore,
        max_depth=config.general.discovery_max_depth,
        on_error=lambda folder, error: log(f"cannot list {folder}: {error.strerror or error}"))
    provider = embedding_provider(config)
    log(f"found {len(contexts)} contexts under {root}")
    results = []
    for found in contexts:
        context = Path(found.path)
        outside = outside_root(found, root)
        if outside:
            results.append(WarmResult(context, note=f"skipped: {outside}"))
            log(f"{context}: skipped ({outside})")
            continue
        sources = indexed_folders(context, log)
        if not sources:
            results.append(WarmResult(context, note="no knowledge/ or memory/ folder"))
            log(f"{context}: skipped (no knowledge/ or memory/ folder)")
            continue
        try:
            report = index_directory(sources, context_store_path(context), provider,
                                     suffixes=DEFAULT_SUFFIXES | MEMORY_SUFFIXES)
        except Exception as error:  # noqa: BLE001 - one broken context must not stop the others
            results.append(WarmResult(context, note=f"failed: {error}"))
            log(f"{context}: index failed: {error}")
            continue
        results.append(WarmResult(context, report))
        log(f"{context}: {report.files} files (added {report.added}, updated {report.updated}, "
            f"unchanged {report.unchanged}, removed {report.removed}), {report.chunks} chunks, "
            f"{report.seconds:g} s")
        for item in report.skipped:
            log(f"{context}: skipped {item['path']}: {item['reason']}")
    return results
