"""Retrieval quality over a query file: hit@k, MRR@k and nDCG@k at the document level.

A query file is JSONL, one ``{"query": "…", "expected": ["docs/a.md", …]}`` a line
(``expected`` may be a single string). An expected entry names a document by its id, the path
relative to the indexed sources' common folder; a trailing part of that path, cut at a ``/``,
matches too, so ``context_format.md`` finds ``docs/context_format.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from afs.errors import DataError
from afs.jsonl_input import iter_json_lines


@dataclass(frozen=True)
class EvalQuery:
    query: str
    expected: tuple[str, ...]
    line: int = 0


@dataclass(frozen=True)
class QueryResult:
    query: str
    expected: list[str]
    retrieved: list[str]
    first_hit_rank: int | None  # 1-based rank of the first relevant document within k


@dataclass(frozen=True)
class EvalReport:
    k: int
    mode: str
    provider: str
    model: str
    queries: int
    hit_at_k: float
    mrr: float
    ndcg_at_k: float
    results: list[QueryResult]

    def to_dict(self) -> dict:
        return asdict(self)


def load_queries(path: str | Path) -> list[EvalQuery]:
    """The queries of a JSONL query file; a bad line is a DataError naming ``path:line``, a
    file without queries one naming the file (afs.jsonl_input)."""
    path = Path(path).expanduser()
    queries = []
    for number, record in iter_json_lines(path):
        if not isinstance(record, dict):
            raise DataError("expected an object with query and expected", path, number)
        query, expected = record.get("query"), record.get("expected")
        if isinstance(expected, str):
            expected = [expected]
        if not isinstance(query, str) or not query.strip():
            raise DataError("query must be a non-empty string", path, number)
        if (not isinstance(expected, list) or not expected
                or not all(isinstance(item, str) and item for item in expected)):
            raise DataError("expected must be a document path or a non-empty list of them",
                            path, number)
        queries.append(EvalQuery(query, tuple(expected), number))
    return queries


def is_match(expected: str, document: str) -> bool:
    """Whether an expected entry names ``document`` (equal, or one a /-suffix of the other)."""
    expected, document = expected.strip("/"), document.strip("/")
    return (expected == document or document.endswith("/" + expected)
            or expected.endswith("/" + document))


def relevance(expected: Sequence[str], retrieved: Sequence[str]) -> list[int]:
    """1 for each retrieved document some expected entry names, else 0 (each entry counts
    once, so a document listed twice is not double-counted)."""
    left = list(expected)
    gains = []
    for document in retrieved:
        match = next((item for item in left if is_match(item, document)), None)
        if match is not None:
            left.remove(match)
        gains.append(int(match is not None))
    return gains


def hit_at_k(gains: Sequence[int], k: int) -> float:
    return float(any(gains[:k]))


def reciprocal_rank(gains: Sequence[int], k: int) -> float:
    return next((1.0 / rank for rank, gain in enumerate(gains[:k], start=1) if gain), 0.0)


def ndcg_at_k(gains: Sequence[int], relevant: int, k: int) -> float:
    """Binary-relevance nDCG: DCG of ``gains`` over DCG of ``relevant`` hits ranked first."""
    dcg = sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains[:k], start=1))
    ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(relevant, k) + 1))
    return dcg / ideal if ideal else 0.0


def evaluate_queries(searcher, queries: Sequence[EvalQuery], k: int = 5,
                     mode: str | None = None) -> EvalReport:
    """Run every query through ``searcher.search_documents`` and average the metrics."""
    mode = mode or searcher.default_mode
    results, hits, rrs, ndcgs = [], [], [], []
    for query in queries:
        retrieved = searcher.search_documents(query.query, k, mode)
        gains = relevance(query.expected, retrieved)
        hits.append(hit_at_k(gains, k))
        rrs.append(reciprocal_rank(gains, k))
        ndcgs.append(ndcg_at_k(gains, len(query.expected), k))
        first = gains.index(1) + 1 if 1 in gains else None
        results.append(QueryResult(query.query, list(query.expected), retrieved, first))
    n = len(queries)
    provider = searcher.provider
    return EvalReport(k=k, mode=mode, provider=provider.name if provider else "none",
                      model=provider.model if provider else "", queries=n,
                      hit_at_k=round(sum(hits) / n, 4), mrr=round(sum(rrs) / n, 4),
                      ndcg_at_k=round(sum(ndcgs) / n, 4), results=results)
