"""hit@k, MRR and nDCG@k on hand-computed examples, and the query file's errors."""

from __future__ import annotations

import math

import pytest

from afs.embeddings.evaluate import (
    EvalQuery,
    evaluate_queries,
    hit_at_k,
    is_match,
    load_queries,
    ndcg_at_k,
    reciprocal_rank,
    relevance,
)
from afs.errors import DataError


class CannedSearcher:
    """Returns a fixed ranking per query."""

    provider = None
    default_mode = "keyword"

    def __init__(self, rankings):
        self.rankings = rankings

    def search_documents(self, query, k, mode):
        return self.rankings[query][:k]


def test_metrics_match_a_hand_computed_example():
    # query a: relevant at rank 2 of 1 relevant; query b: relevant at 1 and 3 of 2;
    # query c: none in the top 3.
    searcher = CannedSearcher({"a": ["x", "docs/a.md", "y"], "b": ["b1", "z", "b2"],
                               "c": ["p", "q", "r", "c"]})
    queries = [EvalQuery("a", ("a.md",)), EvalQuery("b", ("b1", "b2")), EvalQuery("c", ("c",))]
    report = evaluate_queries(searcher, queries, k=3)
    assert report.hit_at_k == round(2 / 3, 4)
    assert report.mrr == round((1 / 2 + 1 + 0) / 3, 4)
    ndcg_a = (1 / math.log2(3)) / 1
    ndcg_b = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert report.ndcg_at_k == round((ndcg_a + ndcg_b + 0) / 3, 4)
    assert [r.first_hit_rank for r in report.results] == [2, 1, None]


def test_metric_functions_and_matching_rules():
    assert relevance(["a.md", "a.md"], ["docs/a.md", "docs/a.md"]) == [1, 1]
    assert relevance(["a.md"], ["docs/a.md", "other/a.md"]) == [1, 0]  # each entry counts once
    assert is_match("docs/a.md", "a.md") and not is_match("a.md", "docs/ba.md")
    assert hit_at_k([0, 0, 1], 2) == 0.0 and hit_at_k([0, 1], 2) == 1.0
    assert reciprocal_rank([0, 0, 1], 3) == pytest.approx(1 / 3)
    assert ndcg_at_k([1, 1], relevant=2, k=5) == pytest.approx(1.0)
    assert ndcg_at_k([0, 0], relevant=1, k=2) == 0.0


def test_load_queries_reads_jsonl_and_names_the_bad_line(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"query": "dma", "expected": "docs/dma.md"}\n\n'
                    '{"query": "x", "expected": []}\n')
    with pytest.raises(DataError, match=r"q.jsonl:3: expected must be"):
        load_queries(path)
    path.write_text('{"query": "dma", "expected": "docs/dma.md"}\nnot json\n')
    with pytest.raises(DataError, match=r"q.jsonl:2: malformed JSON"):
        load_queries(path)
    path.write_text('{"query": "dma", "expected": ["docs/dma.md"]}\n')
    assert load_queries(path) == [EvalQuery("dma", ("docs/dma.md",), 1)]
