"""The tables `afs` commands print (`registry-list`, `services list`, `evaluate`, …), laid out
by rich.

On a terminal a table gets a bold header, a rule under it and cells wrapped to the terminal's
width. Anywhere else (a pipe, a file, a test) it is plain text: the same columns two spaces
apart, no styling, one line per row however long, so that `grep`, `cut` and `awk` read it.
Either way columns line up by what a cell takes on screen, so wide characters (CJK names in a
path, say) do not push the columns after them out of line, and cell text is printed as it is
(a ``[bold]`` in a description is not markup).
"""

from __future__ import annotations

import io
import shutil
import sys
from collections.abc import Collection, Iterable, Sequence

import click

PLAIN_WIDTH = 1_000_000  # no wrapping when not on a terminal: one line per row


def table_lines(header: Sequence[str], rows: Iterable[Sequence[object]], *,
                right: Collection[str] = (), width: int | None = None) -> list[str]:
    """The table's lines: ``header`` first, then one row per item of ``rows`` (cells shown with
    ``str``). Columns named in ``right`` are right-aligned (numbers). With ``width`` (a
    terminal's columns) the table is styled and wrapped to it; without, it is plain text."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    styled = width is not None
    table = Table(box=box.SIMPLE_HEAD if styled else None, show_edge=False, pad_edge=False,
                  header_style="bold" if styled else "")
    for name in header:
        table.add_column(name, justify="right" if name in right else "left",
                         no_wrap=not styled, overflow="fold")
    for row in rows:
        table.add_row(*(Text(str(cell)) for cell in row))
    out = io.StringIO()
    console = Console(file=out, width=width or PLAIN_WIDTH, force_terminal=styled,
                      color_system="standard" if styled else None, highlight=False,
                      emoji=False)
    console.print(table)
    # rich pads every line to the table's width; trailing blanks only get in a reader's way
    return [line.rstrip() for line in out.getvalue().splitlines()]


def echo_table(header: Sequence[str], rows: Iterable[Sequence[object]], *,
               right: Collection[str] = ()) -> None:
    """Print the table to stdout: styled and wrapped on a terminal, plain text otherwise."""
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    for line in table_lines(header, rows, right=right, width=width):
        click.echo(line)
