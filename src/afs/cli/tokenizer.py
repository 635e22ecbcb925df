"""`afs tokenizer …`: train an ASMTokenizer, and encode/decode with one from the shell.

Library imports live inside the commands so that `afs --help` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from afs.cli.group import AfsGroup
from afs.cli.options import UserPath, echo_summary, path_option
from afs.tokenizer.defaults import DEFAULT_MIN_FREQUENCY, DEFAULT_VOCAB_SIZE

TOKENIZER_HELP = ("Tokenizer folder written by `afs tokenizer train` or save_pretrained "
                  "[default: the vocabulary shipped with AFS].")


def tokenizer_option():
    """``--tokenizer DIR`` (optional: the shipped vocabulary otherwise)."""
    return click.option("--tokenizer", "tokenizer_dir", type=UserPath(), default=None,
                        help=TOKENIZER_HELP)


def load_tokenizer(tokenizer_dir: Path | None):
    from afs.tokenizer import ASMTokenizer

    return ASMTokenizer(tokenizer_dir)


def read_source(source: str) -> str:
    """``-`` reads stdin, an existing file is read, anything else is the text itself."""
    from afs.tokenizer.training import read_corpus

    if source == "-":
        from afs.jsonl_input import decode_utf8

        return decode_utf8(sys.stdin.buffer.read(), path="<stdin>")
    try:
        is_file = Path(source).expanduser().is_file()
    except OSError:  # e.g. a name too long for a path: it is text
        is_file = False
    return read_corpus([Path(source).expanduser()])[0] if is_file else source


@click.group(cls=AfsGroup)
def tokenizer() -> None:
    """Train and use ASMTokenizer, the asar-aware subword tokenizer.

    It cuts assembly into mnemonics (with .b/.w/.l), operands with their addressing shape
    (#$00, ($00),Y, $0D00,X …), labels, directives, defines, comments and indentation, then
    applies a learned byte-level BPE vocabulary. Any text round-trips exactly. A trained
    tokenizer is a standard transformers tokenizer folder (AutoTokenizer loads it).
    """


@tokenizer.command("train")
@click.argument("files", nargs=-1, required=True, type=UserPath())
@path_option("--output", "output_dir",
             "Folder to write tokenizer.json and tokenizer_config.json to (created if needed).")
@click.option("--vocab-size", type=int, default=DEFAULT_VOCAB_SIZE, show_default=True,
              help="Largest vocabulary to learn, special tokens and the 256 bytes included "
                   "(a small corpus may stop earlier).")
@click.option("--min-frequency", type=int, default=DEFAULT_MIN_FREQUENCY, show_default=True,
              help="Learn a merge only if its pair occurs at least this often.")
def train(files: tuple[Path, ...], output_dir: Path, vocab_size: int,
          min_frequency: int) -> None:
    """Learn a vocabulary from FILES (UTF-8 text; a folder means every *.asm under it).

    Mnemonics, their .b/.w/.l forms, directives and common operands always get a token of
    their own. The same files give the same tokenizer.json in any process.
    """
    from afs.tokenizer import ASMTokenizer
    from afs.tokenizer.training import corpus_files

    paths = corpus_files(files)
    trained = ASMTokenizer.train(paths, vocab_size=vocab_size,
                                 min_frequency=min_frequency)
    trained.save_pretrained(output_dir)
    echo_summary(f"{len(paths)} files -> {trained.vocab_size} tokens -> {output_dir}")


@tokenizer.command("encode")
@tokenizer_option()
@click.option("--tokens", "show_tokens", is_flag=True,
              help="Print the tokens as a JSON list of strings instead of their ids.")
@click.argument("source", metavar="TEXT_OR_FILE")
def encode(tokenizer_dir: Path | None, show_tokens: bool, source: str) -> None:
    """Print the token ids of TEXT_OR_FILE on one line, separated by spaces.

    TEXT_OR_FILE is a file if one exists at that path, `-` for stdin, else the text itself.
    `afs tokenizer decode $(afs tokenizer encode FILE)` gives FILE back exactly.
    """
    asm_tokenizer = load_tokenizer(tokenizer_dir)
    text = read_source(source)
    if show_tokens:
        click.echo(json.dumps(asm_tokenizer.tokenize(text), ensure_ascii=False))
    else:
        click.echo(" ".join(map(str, asm_tokenizer.encode(text))))


@tokenizer.command("decode")
@tokenizer_option()
@click.argument("ids", nargs=-1, required=True)
def decode(tokenizer_dir: Path | None, ids: tuple[str, ...]) -> None:
    """Print the text of token IDS exactly (no newline is added).

    IDS are integers separated by spaces or commas, as arguments or, with `-`, on stdin.
    """
    from afs.errors import DataError

    words = " ".join(sys.stdin.read() if value == "-" else value for value in ids)
    numbers = []
    for word in words.replace(",", " ").split():
        try:
            numbers.append(int(word))
        except ValueError:
            raise DataError(f"{word!r} is not a token id (expected integers)") from None
    click.echo(load_tokenizer(tokenizer_dir).decode(numbers), nl=False)
