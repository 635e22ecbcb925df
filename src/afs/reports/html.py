"""Building blocks of the self-contained HTML reports: the page, its tables, and matplotlib
figures embedded as base64 PNG data URIs (no assets beside the file, so one file works as an
MLflow artifact).

Figures are ``matplotlib.figure.Figure`` objects built directly (no pyplot, no global state,
safe in worker threads); matplotlib is imported only when a figure is made."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

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


def esc(value: Any) -> str:
    return html.escape(str(value))


def num(value: Any) -> str:
    """A table cell: floats to 3 decimals, ints with separators, None as a dash."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return f"{value:,}" if isinstance(value, int) else esc(value)


def table_html(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A titled table: the first column as text, the others right-aligned numbers."""
    rows = list(rows)
    head = "".join(f'<th class="{"num" if i else ""}">{esc(h)}</th>' for i, h in enumerate(headers))
    if not rows:
        body = f'<tr><td colspan="{len(headers)}">none</td></tr>'
    else:
        body = "".join("<tr>" + "".join(
            f'<td class="num">{num(v)}</td>' if i else f"<td>{esc(v)}</td>"
            for i, v in enumerate(row)) + "</tr>" for row in rows)
    return f"<div><h3>{esc(title)}</h3><table><tr>{head}</tr>{body}</table></div>"


def new_figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure  # only report building pays for matplotlib

    return Figure(figsize=(width, height), layout="constrained")


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
