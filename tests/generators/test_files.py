"""Reading real trees: order, symlink loops, encodings, CRLF, size and binary files."""

import os

import pytest

from afs.generators.files import SkipFile, read_source, walk_files


def test_files_come_sorted_and_filtered_by_suffix(tmp_path):
    for name in ["b/z.asm", "a.ASM", "b/a.md", "c.txt", "b/c/d.asm"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("NOP\n")
    found = [p.relative_to(tmp_path).as_posix() for p in walk_files(tmp_path, [".asm", ".md"])]
    assert found == ["a.ASM", "b/a.md", "b/c/d.asm", "b/z.asm"]


def test_a_symlink_loop_is_skipped_with_a_reason(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.asm").write_text("NOP\n")
    os.symlink(tmp_path, tmp_path / "a" / "loop")
    os.symlink(tmp_path / "missing.asm", tmp_path / "broken.asm")
    skipped = []
    found = list(walk_files(tmp_path, [".asm"], skipped))
    assert [p.name for p in found] == ["x.asm"]
    assert sorted(s.reason for s in skipped) == ["broken symlink",
                                                 "symlink loop (leads back to the root)"]


def test_a_symlink_out_of_the_tree_is_not_followed(tmp_path):
    """A cloned tree may link to private files: only what lies inside the root is read."""
    root, outside = tmp_path / "tree", tmp_path / "private"
    (root / "lib").mkdir(parents=True)
    (root / "lib/in.asm").write_text("NOP\n")
    outside.mkdir()
    (outside / "key.asm").write_text("SECRET\n")
    (root / "key.asm").symlink_to(outside / "key.asm")
    (root / "shared").symlink_to(outside, target_is_directory=True)
    (root / "alias").symlink_to("lib", target_is_directory=True)  # inside: read as lib/
    (root / "latest.asm").symlink_to("lib/in.asm")  # a file link inside: read
    skipped = []
    found = [p.relative_to(root).as_posix() for p in walk_files(root, [".asm"], skipped)]
    assert found == ["latest.asm", "lib/in.asm"]
    assert {s.path: s.kind for s in skipped} == {
        "key.asm": "escaping_symlink", "shared": "escaping_symlink"}
    assert all("outside the root" in s.reason for s in skipped if s.kind == "escaping_symlink")


def test_text_is_utf8_with_unix_line_ends(tmp_path):
    path = tmp_path / "crlf.asm"
    path.write_bytes(b"\xef\xbb\xbfLDA #$00\r\nRTS\rNOP\n")
    assert read_source(path) == "LDA #$00\nRTS\nNOP\n"


@pytest.mark.parametrize(("content", "reason"), [
    (b"LDA #$00 ; caf\xe9\n", "line 1: invalid UTF-8 at byte 14"),
    (b"\x00\x01\x02binary", "binary file (NUL bytes)"),
    (b"NOP\n" * 100, "too large (400 bytes; limit 100)"),
])
def test_unusable_files_raise_skip_with_the_reason(tmp_path, content, reason):
    path = tmp_path / "f.asm"
    path.write_bytes(content)
    with pytest.raises(SkipFile) as caught:
        read_source(path, max_bytes=100)
    assert caught.value.reason == reason


def test_a_missing_file_is_a_skip_not_a_crash(tmp_path):
    with pytest.raises(SkipFile, match="unreadable"):
        read_source(tmp_path / "gone.asm")
