"""Fixtures for tokenizer tests: a small asm corpus and a tokenizer trained on it (seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from afs.tokenizer import ASMTokenizer

ROOT = Path(__file__).resolve().parents[2]
CORPUS_DIR = ROOT / "data" / "01_raw" / "asm"
SMALL_VOCAB = 1100

ROUTINE = """\
; Sprite_Example: moves the sprite towards Link.
Sprite_Example:
{
  PHB : PHK : PLB
  REP #$20
  LDA.w $0D00,X : CLC : ADC #$0010 : STA.w $0D00,X
  SEP #$20
  LDA ($00),Y
  STA [$00],Y
  LDA $01,S
  LDA.l $7E0010 : CMP #$07 : BNE .not_dungeon
  JSL Sprite_SpawnDynamically
.not_dungeon
  BRA +
  - DEX : BPL -
+ PLB
  RTL
}
"""

DATA = """\
org $008000
incsrc "core/macros.asm"
!SpriteSpeed = $0D50
macro SetSpeed(value)
  LDA.b #<value> : STA.w !SpriteSpeed,X
endmacro
Table:
  db $00, $01, $02, $03 ; four bytes
  dw $1234, Table
..sub
  %SetSpeed($10)
"""


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> list[Path]:
    """Two small asm files (one with CRLF line ends)."""
    folder = tmp_path_factory.mktemp("corpus")
    routine, data = folder / "routine.asm", folder / "data.asm"
    routine.write_text(ROUTINE * 3, encoding="utf-8", newline="\n")
    data.write_text(DATA * 3, encoding="utf-8", newline="\r\n")
    return [routine, data]


@pytest.fixture(scope="session")
def trained(small_corpus) -> ASMTokenizer:
    return ASMTokenizer.train(small_corpus, vocab_size=SMALL_VOCAB)


@pytest.fixture(scope="session")
def shipped() -> ASMTokenizer:
    return ASMTokenizer()


def corpus_files() -> list[Path]:
    """Every file of the project's asm corpus (empty where the data folder is absent)."""
    return sorted(p for p in CORPUS_DIR.rglob("*") if p.is_file()) if CORPUS_DIR.is_dir() else []
