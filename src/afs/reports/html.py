"""Building blocks of the self-contained HTML reports: the page, its tables, and matplotlib
figures embedded as base64 PNG data URIs (no assets beside the file, so one file works as an
MLflow artifact).

Figures are ``matplotlib.figure.Figure`` objects built directly (no pyplot, no global state,
safe in worker threads); matplotlib is imported only when a figure is made."""

from __future__ import annotations

import base64
import html
import io
import re
import textwrap
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222;
       max-width: 1000px; margin: 2em auto; padding: 0 1em; line-height: 1.45; background: #fff; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 1.6em; }
.meta { color: #666; font-size: 0.9em; }
.cards { display: flex; gap: 1em; flex-wrap: wrap; margin: 1em 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 0.6em 1.2em; min-width: 8em; }
.card .n { font-size: 1.7em; font-weight: 600; }
.card .l { color: #666; font-size: 0.85em; }
.ok { color: #2a7d2a; } .bad { color: #b22; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.8em; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f4f4f4; }
.tables { display: flex; gap: 2em; flex-wrap: wrap; align-items: flex-start; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
"""
LABEL_CHARS = 32  # characters of a category name per line on a bar chart's axis


def esc(value: Any) -> str:
    return html.escape(str(value))


def num(value: Any) -> str:
    """A table cell: floats to 3 decimals, ints with separators, None as a dash."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return f"{value:,}" if isinstance(value, int) else esc(value)


def is_number(value: Any) -> bool:
    """A cell that reads as a number (a bool is a yes/no, not a count)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def numeric_columns(width: int, rows: Sequence[Sequence[Any]]) -> list[bool]:
    """For each of ``width`` columns: whether it holds numbers, i.e. every cell is a number or
    empty (None: a figure not measured, shown as a dash). Numbers are right-aligned so their
    digits line up; text reads from the left."""
    return [bool(rows) and all(is_number(row[i]) or row[i] is None for row in rows)
            for i in range(width)]


def table_html(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A titled table: numeric columns right-aligned (header included), text columns left."""
    rows = list(rows)
    numeric = numeric_columns(len(headers), rows)

    def cell(tag: str, i: int, text: str) -> str:
        return f'<{tag} class="num">{text}</{tag}>' if numeric[i] else f"<{tag}>{text}</{tag}>"

    head = "".join(cell("th", i, esc(h)) for i, h in enumerate(headers))
    if not rows:
        body = f'<tr><td colspan="{len(headers)}">none</td></tr>'
    else:
        body = "".join("<tr>" + "".join(cell("td", i, num(v)) for i, v in enumerate(row))
                       + "</tr>" for row in rows)
    return f"<div><h3>{esc(title)}</h3><table><tr>{head}</tr>{body}</table></div>"


def new_figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure  # only report building pays for matplotlib

    return Figure(figsize=(width, height), layout="constrained")


def wrap_name(name: str, width: int = LABEL_CHARS) -> str:
    """``name`` on lines of at most ``width`` characters, broken after a '.', '_', '-' or
    space where it can be (``asm.macro_`` / ``expansion``), inside a longer part otherwise."""
    lines = [""]
    for part in re.split(r"(?<=[._\-\s])", name):
        if lines[-1] and len(lines[-1]) + len(part) > width:
            lines.append("")
        lines[-1] += part
    return "\n".join(chunk for line in lines for chunk in textwrap.wrap(line, width) or [""])


class Bars(NamedTuple):
    """One series of a grouped bar chart: its legend label, a value per category, the text
    written at the end of each bar, and its colour."""
    label: str
    values: Sequence[float]
    bar_labels: Sequence[str]
    color: str


def grouped_barh(title: str, categories: Sequence[str], series: Sequence[Bars],
                 xlabel: str) -> Figure:
    """Horizontal grouped bars, the first category on top, one bar per series in each group.
    Horizontal, so category names of any length and number stay readable: the figure grows
    with the categories, and a name longer than LABEL_CHARS is wrapped."""
    figure = new_figure(9, 1.4 + 0.22 * len(series) * len(categories))
    axes = figure.add_subplot()
    height = 0.8 / len(series)
    rows = [len(categories) - 1 - i for i in range(len(categories))]  # the first on top
    for k, bars in enumerate(series):  # the first series on top within each group
        drawn = axes.barh([row + 0.4 - height * (k + 0.5) for row in rows], bars.values,
                          height, color=bars.color, label=bars.label)
        axes.bar_label(drawn, labels=list(bars.bar_labels), fontsize=8, padding=2)
    axes.set_yticks(range(len(categories)),
                    [wrap_name(name) for name in reversed(categories)])
    axes.set_ylim(-0.6, len(categories) - 0.4)
    largest = max((v for bars in series for v in bars.values), default=0)
    axes.set_xlim(0, largest * 1.25 or 1)  # room for the bar labels
    axes.set_xlabel(xlabel)
    axes.tick_params(axis="y", labelsize=9)
    axes.grid(axis="x", alpha=0.3)
    axes.legend(loc="lower right", fontsize=9)
    axes.set_title(title)
    return figure


def empty_figure(figure: Figure, title: str, message: str) -> Figure:
    """``figure`` with one blank panel that says ``message`` (a plot with nothing to show)."""
    axes = figure.add_subplot()
    axes.set_title(title)
    axes.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, color="#666",
              transform=axes.transAxes)
    axes.set_axis_off()
    return figure


def figure_png(figure: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def figure_html(name: str, caption: str, figure: Figure) -> str:
    """The figure as an embedded PNG with its caption."""
    data = base64.b64encode(figure_png(figure)).decode()
    return (f'<figure id="{esc(name)}"><img src="data:image/png;base64,{data}" alt="{esc(name)}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def page_html(title: str, body: str) -> str:
    """A whole page: ``title`` as heading, the time it was written, then ``body``."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{esc(title)}</h1><p class=\"meta\">written {when}</p>{body}</body></html>\n")
