"""`afs embeddings index|search|eval`: a project's document index, its search and its
retrieval quality.

Each command calls one function of ``afs.embeddings`` (imported inside the command, so
`afs --help` never imports SQLite, FAISS or torch) and only formats what it returns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import click

from afs.cli.group import AfsGroup
from afs.cli.options import (
    UserPath,
    echo_summary,
    executor_config,
    executor_options,
    show_progress,
)
from afs.cli.registry import json_option
from afs.cli.tables import echo_table

PROVIDERS = ("none", "hf", "ollama")  # afs.embeddings.providers.PROVIDERS, kept light here
MODES = ("keyword", "vector", "hybrid")


@dataclass(frozen=True)
class EmbeddingSettings:
    provider: str = "none"
    model: str | None = None
    cache_dir: str = "~/.cache/afs/embeddings"
    ollama_url: str = "http://localhost:11434"


def embedding_settings() -> EmbeddingSettings:
    """Defaults from ``afs.config.load_config().embeddings`` where that module exists,
    else the built-in ones."""
    try:
        from afs.config import load_config
    except ImportError:
        return EmbeddingSettings()
    found = load_config().embeddings
    base = EmbeddingSettings()
    model = found.model
    if model == type(found)().model:  # the config's built-in default names an Ollama model:
        model = None                  # leave each provider its own default
    return EmbeddingSettings(
        provider=getattr(found, "provider", None) or base.provider,
        model=model or base.model,
        cache_dir=str(getattr(found, "cache_dir", None) or base.cache_dir),
        ollama_url=getattr(found, "ollama_url", None) or base.ollama_url)


def store_path(project: str, cache_dir: Path | None) -> Path:
    from afs.embeddings.store import project_store_path

    return project_store_path(project, cache_dir or embedding_settings().cache_dir)


def _project_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    """--project, else ``project.name`` of the AFS config; one of them is needed."""
    if value:
        return value
    from afs.config import load_config

    name = load_config().project.name
    if not name:
        raise click.BadParameter("give a project name (or set project.name in afs.toml)",
                                 ctx=ctx, param=param)
    return name


def index_options(func):
    """--project, --provider, --model, --ollama-url and --cache-dir."""
    for option in reversed([
        click.option("--project", default=None, callback=_project_name,
                     help="Project name: one index per project [default: project.name of the "
                          "AFS config (afs.toml)]."),
        click.option("--provider", type=click.Choice(PROVIDERS), default=None,
                     help="none (BM25 keywords only), hf (local sentence-transformers) or "
                          "ollama [index default: embeddings.provider of the AFS config, else "
                          "none; search and eval: the index's own]."),
        click.option("--model", default=None,
                     help="Embedding model [default: all-MiniLM-L6-v2 for hf (bundled, "
                          "offline), nomic-embed-text for ollama; search and eval: the "
                          "index's own]."),
        click.option("--ollama-url", default=None, metavar="URL",
                     help="Ollama server [default: embeddings.ollama_url, else "
                          "http://localhost:11434]."),
        click.option("--cache-dir", type=UserPath(file_okay=False), default=None,
                     help="Where indexes live, <cache-dir>/<project>/index.sqlite [default: "
                          "embeddings.cache_dir, else ~/.cache/afs/embeddings]."),
    ]):
        func = option(func)
    return func


def mode_option(func):
    return click.option("--mode", type=click.Choice(MODES), default=None,
                        help="keyword (BM25), vector, or hybrid (reciprocal rank fusion of "
                             "both) [default: hybrid when the index has vectors, else "
                             "keyword].")(func)


def k_option(default: int, what: str):
    return click.option("--k", "-k", "k", type=click.IntRange(min=1), default=default,
                        show_default=True, help=what)


@click.group(cls=AfsGroup)
def embeddings() -> None:
    """Index a project's documents, search them, measure retrieval quality."""


@embeddings.command("index")
@index_options
@click.option("--source", "sources", type=UserPath(), multiple=True, required=True,
              help="A folder (or file) to index; repeat for several. Markdown is chunked by "
                   "heading, assembly by routine, other text by size.")
@click.option("--max-chars", type=click.IntRange(min=100), default=1200, show_default=True,
              help="Longest chunk, in characters.")
@click.option("--overlap", type=click.IntRange(min=0), default=200, show_default=True,
              help="Characters a size-split chunk repeats from the one before.")
@executor_options("embedding")
def index_command(project: str, provider: str | None, model: str | None,
                  ollama_url: str | None, cache_dir: Path | None, sources: tuple[Path, ...],
                  max_chars: int, overlap: int, executor: str, ray_address: str | None,
                  workers: int | None) -> None:
    """Index documents for PROJECT; unchanged files (by content hash) are skipped.

    With --executor ray the new and changed chunks are embedded on Ray (one model per
    worker); reading, chunking and the index itself stay in this process."""
    from afs.embeddings import index_directory, make_provider

    settings = embedding_settings()
    provider = provider or settings.provider
    embedder = make_provider(provider, model or (settings.model if provider == settings.provider
                                                 else None),
                             ollama_url or settings.ollama_url)
    config = executor_config(executor, ray_address, workers)
    report = index_directory(list(sources), store_path(project, cache_dir), embedder,
                             max_chars=max_chars, overlap=overlap, progress=show_progress(),
                             executor=config if config.is_ray else None)
    for item in report.skipped:  # symlinks out of a source, loops: refused, never silently
        click.echo(f"warning: {item['path']}: not indexed: {item['reason']}", err=True)
    model_note = f" {report.model}" if report.model else ""
    echo_summary(f"{project}: {report.files} files ({report.added} added, {report.updated} "
                 f"updated, {report.unchanged} unchanged, {report.removed} removed), "
                 f"{report.chunks} chunks ({report.embedded} embedded, {report.reused} reused) "
                 f"with {report.provider}{model_note} in {report.seconds:.1f}s -> {report.store}")


def open_project(project: str, provider: str | None, model: str | None,
                 ollama_url: str | None, cache_dir: Path | None):
    from afs.embeddings import open_index

    return open_index(store_path(project, cache_dir), provider, model,
                      ollama_url or embedding_settings().ollama_url)


@embeddings.command("search")
@index_options
@click.option("--query", required=True, help="What to look for, in words.")
@k_option(5, "How many chunks to show.")
@mode_option
@json_option
def search_command(project: str, provider: str | None, model: str | None,
                   ollama_url: str | None, cache_dir: Path | None, query: str, k: int,
                   mode: str | None, as_json: bool) -> None:
    """Search PROJECT's index: the best chunks, best first."""
    with open_project(project, provider, model, ollama_url, cache_dir) as searcher:
        mode = mode or searcher.default_mode
        hits = searcher.search(query, k, mode)
    if as_json:
        click.echo(json.dumps({"project": project, "query": query, "mode": mode,
                               "results": [hit.to_dict() for hit in hits]}, indent=2))
        return
    if not hits:
        echo_summary(f"no matches for {query!r} in {project} ({mode})")
        return
    rows = [(hit.rank, f"{hit.score:.4f}", f"{hit.path}:{hit.start_line}", hit.title or "-")
            for hit in hits]
    echo_table(("RANK", "SCORE", "WHERE", "TITLE"), rows, right=("RANK", "SCORE"))


@embeddings.command("eval")
@index_options
@click.option("--query-file", type=UserPath(), required=True,
              help='JSONL, one {"query": …, "expected": [document paths]} a line.')
@k_option(5, "Cut-off for hit@k, MRR and nDCG@k.")
@mode_option
@json_option
def eval_command(project: str, provider: str | None, model: str | None,
                 ollama_url: str | None, cache_dir: Path | None, query_file: Path, k: int,
                 mode: str | None, as_json: bool) -> None:
    """Measure PROJECT's retrieval: hit@k, MRR and nDCG@k over a query file."""
    from afs.embeddings import evaluate_queries, load_queries

    queries = load_queries(query_file)
    with open_project(project, provider, model, ollama_url, cache_dir) as searcher:
        report = evaluate_queries(searcher, queries, k, mode)
    if as_json:
        click.echo(json.dumps({"project": project, **report.to_dict()}, indent=2))
        return
    for result in report.results:
        if result.first_hit_rank is None:
            click.echo(f"miss: {result.query!r} expected {', '.join(result.expected)}; got "
                       f"{', '.join(result.retrieved) or 'nothing'}")
    model_note = f" {report.model}" if report.model else ""
    echo_summary(f"{project}: {report.queries} queries, {report.provider}{model_note} "
                 f"{report.mode}: hit@{k} {report.hit_at_k:.3f}, MRR@{k} {report.mrr:.3f}, "
                 f"nDCG@{k} {report.ndcg_at_k:.3f}")
