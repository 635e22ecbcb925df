"""The HTML reports' building blocks: tables whose text columns read from the left and numeric
columns line up on the right, and bar charts whose category names stay readable however many
and however long they are (tests/reports/plot_checks.py)."""

from __future__ import annotations

from html.parser import HTMLParser

from afs.reports.evaluation import render_evaluation_html
from afs.reports.html import Bars, grouped_barh, numeric_columns, table_html, wrap_name
from afs.reports.quality import render_quality_html

from .plot_checks import LONG_DOMAINS, assert_tick_labels_readable


class Tables(HTMLParser):
    """Each table of a page as rows of cells: (text, right-aligned, i.e. class ``num``)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[tuple[str, bool]]]] = []
        self._cell: list | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = ["", "num" in (dict(attrs).get("class") or "").split()]

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[0] += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(tuple(self._cell))
            self._cell = None


def tables(page: str) -> list[list[list[tuple[str, bool]]]]:
    parser = Tables()
    parser.feed(page)
    return parser.tables


def alignment(page: str, header: str) -> set[bool]:
    """Whether each cell of the columns headed ``header`` (the header's own included) is
    right-aligned, over every table of ``page``."""
    found = set()
    for rows in tables(page):
        names = [text for text, _ in rows[0]]
        if header in names:
            found |= {row[names.index(header)][1] for row in rows}
    return found


def test_text_columns_are_left_aligned_and_numeric_columns_right_aligned():
    page = table_html("By domain", ["domain", "profile", "mean score", "kept"],
                      [("asm", "asm_strict", 0.71, 40), ("docs", "prose", None, 12),
                       ("oracle", None, 0.5, 0)])
    (rows,) = tables(page)
    assert [[right for _, right in row] for row in rows] == [[False, False, True, True]] * 4
    assert rows[3][1] == ("–", False) and rows[2][2] == ("–", True)


def test_a_column_is_numeric_when_every_cell_is_a_number_or_empty():
    # a bool reads as yes/no; a column of figures none of which was measured stays numeric
    assert numeric_columns(4, [(1, "x", True, None), (2.5, 3, False, None)]) == \
        [True, False, False, True]
    (rows,) = tables(table_html("empty", ["reason", "samples"], []))
    assert rows[0] == [("reason", False), ("samples", False)] and rows[1] == [("none", False)]


def test_the_reports_tables_align_text_left_and_numbers_right():
    quality = render_quality_html(
        {"input": 3, "kept": 2, "rejected": 1, "mean_score": 0.6,
         "rejects": {"step": {"filter": 1}, "reason": {"low_quality (< 0.5)": 1}},
         "kept_by_domain": {"asm": 2}, "mean_score_by_domain": {"asm": 0.6},
         "profile_by_domain": {"asm": "asm_strict"}}, {})
    assert alignment(quality, "profile") == {False}
    assert alignment(quality, "reason") == {False}
    assert alignment(quality, "mean score") == {True}
    evaluation = render_evaluation_html(evaluation_report(), {})
    for text in ("served id", "status", "check", "item"):
        assert alignment(evaluation, text) == {False}, text
    for number in ("pass rate", "p50 s", "tokens/s"):
        assert alignment(evaluation, number) == {True}, number


def evaluation_report() -> dict:
    item = {"id": "q1", "check": "contains", "error": None, "passed": True, "detail": "",
            "latency_s": 0.4}
    summary = {"answered": 1, "pass_rate": 1.0, "passed": 1, "judged": 1, "errors": 0, "asar_valid_rate": None,
               "latency_p50_s": 0.4, "latency_p95_s": 0.4, "latency_mean_s": 0.4,
               "tokens_per_s": 31.5, "total_s": 0.4, "pass_rate_by_check": {"contains": 1.0}}
    return {"suite": {"path": "suite.jsonl", "items": 1, "sha256": "ab" * 32},
            "settings": {"temperature": 0.0}, "started_at": "2025-01-01T00:00:00Z",
            "duration_s": 0.5,
            "models": {"tiny": {"status": "ok", "model": "tiny-q8", "error": None,
                                "summary": summary, "items": [item]}}}


def test_long_names_wrap_at_their_separators():
    assert wrap_name("asm") == "asm"
    assert wrap_name("docs.memory_map_and_bank_layout_reference") == \
        "docs.memory_map_and_bank_layout_\nreference"
    assert all(len(line) <= 32 for line in wrap_name("x" * 70).splitlines())


def test_grouped_bars_keep_fifteen_long_category_names_readable():
    values = list(range(len(LONG_DOMAINS), 0, -1))
    figure = grouped_barh("mix", LONG_DOMAINS, [
        Bars("before", values, [str(v) for v in values], "#8FA8C8"),
        Bars("after", values, [str(v) for v in values], "#4C72B0")], "rows")
    assert_tick_labels_readable(figure, LONG_DOMAINS)
