"""`afs knowledge …`: query the address database and export it as training data.

Each command builds the database from the flags (built-in ALTTP RAM table, SNES registers,
the user's --db files), calls one library method and prints the result. Library imports live
inside the commands so that `afs --help` stays fast.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from afs.cli.group import AfsGroup
from afs.cli.options import UserPath, echo_summary, output_option, seed_option


def _db_options(command):
    """--db FILE (repeatable), --no-builtin, --registers/--no-registers."""
    command = click.option(
        "--registers/--no-registers", default=True, show_default=True,
        help="Include the SNES hardware registers (PPU, APU ports, CPU, DMA).")(command)
    command = click.option(
        "--no-builtin", is_flag=True,
        help="Leave out the built-in A Link to the Past RAM table.")(command)
    return click.option(
        "--db", "db_paths", type=UserPath(), multiple=True, metavar="FILE",
        help="An address file to load on top of the built-in tables: an asar symbol file "
             "(`Name = $7E0020 ; what`, .sym/.asm/.inc/.s/.txt), CSV or JSON with "
             "address,name,description,size,category,access. Repeatable; later files win.")(command)


def _database(db_paths: tuple[Path, ...], no_builtin: bool, registers: bool):
    from afs.knowledge import AddressDatabase

    return AddressDatabase(paths=db_paths, builtin=not no_builtin, registers=registers)


def _entry_line(entry) -> str:
    unit = "byte" if entry.size == 1 else "bytes"
    details = ", ".join(filter(None, (f"{entry.size} {unit}", entry.category, entry.access)))
    return f"{entry.span}  {entry.name}  ({details})  {entry.description}".rstrip()


def _entry_json(entry) -> dict:
    from afs.knowledge.entries import format_address

    return {**asdict(entry), "address_hex": format_address(entry.address)}


@click.group(cls=AfsGroup)
def knowledge() -> None:
    """Named SNES / A Link to the Past addresses: look them up, export them as training data.

    The database is the built-in ALTTP RAM table plus the SNES hardware registers, with your
    own symbol, CSV or JSON files (--db) on top.
    """


@knowledge.command("query")
@click.argument("name", required=False)
@click.option("--range", "address_range", nargs=2, metavar="LO HI", default=None,
              help="List the entries overlapping [LO, HI), e.g. --range '$7E0000' '$7E0100' "
                   "(addresses as $7E0000, 0x7E0000 or decimal).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@_db_options
def query(name: str | None, address_range: tuple[str, str] | None, as_json: bool,
          db_paths: tuple[Path, ...], no_builtin: bool, registers: bool) -> None:
    """Look up NAME (case-insensitive), an address (`$7EF361` finds the entry holding that
    byte), or every entry in --range LO HI.

    An unknown name is an error that lists close matches.
    """
    from afs.errors import ConfigError
    from afs.knowledge import parse_number

    if (name is None) == (address_range is None):
        raise click.UsageError("give a NAME or an address, or --range LO HI (not both)")
    db = _database(db_paths, no_builtin, registers)
    if address_range is not None:
        try:
            low, high = (parse_number(value) for value in address_range)
        except ValueError as exc:
            raise ConfigError(f"--range: {exc}") from exc
        entries = db.query_range(low, high)
    else:
        entries = [db.query_address(name)]
    if as_json:
        records = [_entry_json(e) for e in entries]
        click.echo(json.dumps(records if address_range else records[0], indent=2))
    else:
        for entry in entries:
            click.echo(_entry_line(entry))


@knowledge.command("export")
@output_option("JSONL file to write the question/answer samples to.")
@seed_option("the choice of question and answer phrasings")
@_db_options
def export(output_path: Path, seed: int, db_paths: tuple[Path, ...], no_builtin: bool,
           registers: bool) -> None:
    """Export every entry as two training samples: name -> address ("What is the address
    of …?") and address -> meaning ("What is at $7EF36D?"). Domain `knowledge`, source
    `knowledge:<table or file name>`.
    """
    from afs.samples import save_jsonl

    db = _database(db_paths, no_builtin, registers)
    samples = db.export_training_samples(seed=seed)
    save_jsonl(samples, output_path)
    echo_summary(f"{len(db)} entries -> {len(samples)} samples -> {output_path}")
