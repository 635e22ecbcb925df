"""The project's own 65816 corpus (data/01_raw/asm) is valid asar, file by file."""

import shutil
from pathlib import Path

import pytest

from afs.asm import validate

CORPUS = Path(__file__).resolve().parents[2] / "data" / "01_raw" / "asm"
FILES = sorted(CORPUS.rglob("*.asm"))


def test_the_corpus_is_there():
    assert len(FILES) >= 10
    assert sum(path.read_text().count("\n") for path in FILES) >= 1000


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_every_corpus_file_validates_without_errors(path):
    result = validate(path.read_text(encoding="utf-8"))
    assert result.errors == []


@pytest.mark.skipif(shutil.which("asar") is None, reason="no asar binary on PATH")
def test_the_real_asar_assembles_the_whole_corpus(tmp_path):
    import subprocess

    main = CORPUS / "main.asm"
    done = subprocess.run(["asar", "--no-title-check", str(main), str(tmp_path / "out.sfc")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "error" not in (done.stdout + done.stderr).lower()
