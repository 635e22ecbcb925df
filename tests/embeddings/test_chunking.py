"""Chunking rules: markdown by heading, asm by routine, other text by size with overlap."""

from __future__ import annotations

from itertools import pairwise

import pytest

from afs.embeddings.chunking import chunk_document, split_by_size


def test_markdown_is_chunked_by_heading_with_the_heading_path_as_title():
    text = ("# Guide\n\nIntro.\n\n## Setup\n\nInstall it.\n\n```sh\n# not a heading\n```\n\n"
            "### Linux\n\nUse apt.\n\n## Usage\n\nRun it.\n")
    chunks = chunk_document("guide.md", text)
    assert [c.title for c in chunks] == ["Guide", "Guide > Setup", "Guide > Setup > Linux",
                                         "Guide > Usage"]
    assert "# not a heading" in chunks[1].text  # a fenced line is body text
    assert chunks[2].text == "Guide > Setup > Linux\n\nUse apt."
    assert chunks[2].start_line == text.splitlines().index("Use apt.") + 1
    assert {c.kind for c in chunks} == {"markdown"}


def test_a_long_markdown_section_is_split_and_every_piece_keeps_its_heading():
    text = "# Big\n\n" + " ".join(f"word{i}" for i in range(600)) + "\n"
    chunks = chunk_document("big.md", text, max_chars=500, overlap=100)
    assert len(chunks) > 1
    assert all(c.title == "Big" and c.text.startswith("Big\n\n") for c in chunks)


def test_asm_is_chunked_by_routine_with_its_comment_block():
    text = ("; file header\n!Cost = $10\n\n; Uses the jar.\n; Long routine.\nJar_Use:\n"
            "  LDA #$01\n.loop\n  DEC : BNE .loop\n  RTL\n\nJar_Cost:\n  LDA #!Cost\n  RTS\n"
            "macro PlaySFX(id)\n  LDA.b #<id>\nendmacro\n")
    chunks = chunk_document("jar.asm", text)
    assert [c.title for c in chunks] == ["", "Jar_Use", "Jar_Cost", "PlaySFX"]
    assert chunks[0].text.startswith("; file header")
    assert chunks[1].text.startswith("Jar_Use\n\n; Uses the jar.\n; Long routine.\nJar_Use:")
    assert ".loop" in chunks[1].text  # local labels stay in their routine
    assert chunks[1].start_line == 4 and chunks[2].start_line == 12


def test_plain_text_is_split_by_size_with_overlap():
    words = [f"w{i:03d}" for i in range(300)]
    chunks = chunk_document("notes.txt", " ".join(words), max_chars=200, overlap=50)
    assert len(chunks) > 5
    assert all(len(c.text) <= 200 and c.kind == "text" and c.title == "" for c in chunks)
    for before, after in pairwise(chunks):
        assert after.text.split()[0] in before.text.split()  # each piece repeats a little
    seen = {w for c in chunks for w in c.text.split()}
    assert seen == set(words)  # nothing lost


def test_split_by_size_counts_lines_from_the_first_line():
    pieces = split_by_size("\n\na\nb\n" + "c " * 100, max_chars=60, overlap=0, first_line=10)
    assert pieces[0] == (12, pieces[0][1]) and pieces[0][1].startswith("a\nb")
    assert split_by_size("  \n\n", 100, 10) == []


def test_overlap_must_be_below_the_chunk_size():
    with pytest.raises(ValueError, match="overlap"):
        chunk_document("a.txt", "text", max_chars=100, overlap=100)
