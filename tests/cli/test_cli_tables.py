"""The tables `afs` commands print (afs.cli.tables, laid out by rich): plain columns that line up
on screen when piped, a styled table wrapped to the width on a terminal."""

from __future__ import annotations

import os
import re
import subprocess
import unicodedata

from afs.cli.tables import table_lines

from .clitools import afs_env, afs_executable

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def screen_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def column_starts(line: str, cells: list[str]) -> list[int]:
    """The screen column each cell of ``line`` starts at."""
    starts, at = [], 0
    for cell in cells:
        index = line.index(cell, at)
        starts.append(screen_width(line[:index]))
        at = index + len(cell)
    return starts


def test_plain_columns_line_up_on_screen_with_wide_characters():
    # str.ljust counts characters: 日本語 took 3 columns of padding it did not have
    rows = [("ドキュメント/.context", "docs", "12"), ("oracle/.context", "oracle", "3")]
    lines = table_lines(("PATH", "NAME", "FILES"), rows)
    starts = [column_starts(line, cells) for line, cells in
              zip(lines, [["PATH", "NAME", "FILES"], *map(list, rows)])]
    assert len({tuple(s) for s in starts}) == 1, "\n".join(lines)


def test_plain_rows_stay_one_line_however_long_and_numbers_align_right():
    long = "word " * 80
    lines = table_lines(("NAME", "PID", "DESCRIPTION"), [("a", 7, long), ("bb", 12345, "-")],
                        right=("PID",))
    assert lines == ["NAME    PID  DESCRIPTION",
                     f"a         7  {long.rstrip()}",
                     "bb    12345  -"]


def test_cell_text_is_printed_as_it_is_not_as_markup():
    [_, row] = table_lines(("NAME", "NOTE"), [("x", "[bold]kept[/bold] [REDACTED:jwt]")])
    assert row == "x     [bold]kept[/bold] [REDACTED:jwt]"


def test_on_a_terminal_the_table_is_wrapped_to_its_width():
    words = [f"w{i}" for i in range(60)]
    lines = table_lines(("NAME", "DESCRIPTION"), [("researcher", " ".join(words))], width=40)
    shown = [ANSI.sub("", line) for line in lines]
    assert max(map(len, shown)) <= 40 and len(shown) > 4
    assert shown[0].split() == ["NAME", "DESCRIPTION"] and "\x1b[1m" in lines[0]  # bold header
    assert " ".join(shown[2:]).split()[1:] == words  # every word, in order, under the rule


def test_afs_on_a_terminal_prints_the_wrapped_table(tmp_path):
    """`afs agents list` with a terminal of 60 columns as its stdout (the same command piped is
    one line per agent: tests/cli/test_cli_agents.py)."""
    leader, follower = os.openpty()
    env = {**afs_env(tmp_path), "COLUMNS": "60", "TERM": "xterm"}
    with subprocess.Popen([str(afs_executable()), "agents", "list"], cwd=tmp_path, env=env,
                          stdout=follower, stderr=subprocess.PIPE) as process:
        os.close(follower)
        output = b""
        while chunk := _read(leader):
            output += chunk
        assert process.wait(120) == 0, process.stderr.read().decode()
    os.close(leader)
    shown = [ANSI.sub("", line) for line in output.decode().splitlines()]
    assert shown[0].split() == ["NAME", "NEEDS", "SOURCE", "DESCRIPTION"]
    assert max(map(len, shown)) <= 60
    assert len(shown) > 2 + 3  # header, rule, three agents, their descriptions wrapped


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: the process closed its end
        return b""
