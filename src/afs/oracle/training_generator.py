"""`OracleTrainingGenerator`: instruction-tuning samples from an asar codebase laid out like
Oracle of Secrets (Core/, Sprites/, Items/, Dungeons/, Overworld/, Docs/ …).

Any tree works: every `*.asm` and `*.md` under the root is read, in sorted order. Samples:

==========  =============  ===========================================================
kind        domain         from
==========  =============  ===========================================================
explain     asm.explain    a routine: "What does `Label` do?" (code in, explanation out)
write       asm.write      a routine's header comment -> the routine (```asm fence)
symbols     asm.symbols    `Name = $7E0010 ; what` assignments (symbol files)
structs     asm.struct     `struct Name $addr` layouts and field addresses
macros      asm.macro      `macro Name(a, b)`: what it does and how to call it
docs        docs           markdown heading sections and table rows
==========  =============  ===========================================================

``generate()`` streams file by file. A first pass over the `*.asm` files collects what the
answers need from the whole tree and is small whatever the tree's size: the address table
(built-in ALTTP RAM plus every symbol assignment and struct field found) and the width macros.
Files that cannot be read (binary, not UTF-8, too large, unreadable, symlink loops) are
recorded in ``skipped`` with the reason and left out; they never stop a run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from afs.asm import validate
from afs.errors import ConfigError, DataError
from afs.generators.base import BaseGenerator, TrainingSample
from afs.generators.files import DEFAULT_MAX_BYTES, SkipFile, read_source, walk_files
from afs.knowledge import AddressDatabase
from afs.oracle.analysis import analyse
from afs.oracle.docs import doc_samples
from afs.oracle.macros import macro_definitions, macro_samples, width_of
from afs.oracle.routine_samples import RoutineContext, routine_samples, summary
from afs.oracle.routines import Routine, extract_routines
from afs.oracle.structs import field_entries, struct_layouts, struct_samples
from afs.oracle.symbols import as_entry, symbol_definitions, symbol_samples

KINDS = ("explain", "write", "symbols", "structs", "macros", "docs")
ASM_SUFFIXES = (".asm",)
DOC_SUFFIXES = (".md",)


def _kinds(kinds: Iterable[str] | str | None) -> frozenset[str]:
    if kinds is None:
        return frozenset(KINDS)
    chosen = frozenset([kinds] if isinstance(kinds, str) else kinds)
    unknown = sorted(chosen - set(KINDS))
    if unknown:
        raise ConfigError(f"unknown sample kind {unknown[0]!r}; choose from {', '.join(KINDS)}")
    return chosen


class TreeKnowledge:
    """What the first pass learns from the whole tree: the address table and the width
    macros (`SetA16` -> "A 16-bit")."""

    def __init__(self, db: AddressDatabase, macro_widths: dict[str, str]):
        self.db = db
        self.macro_widths = macro_widths
        self._descriptions: dict[str, str] = {}

    def target_description(self, name: str) -> str:
        """What the address table says about a call target (a vanilla routine's symbol)."""
        if name not in self._descriptions:
            entry = self.db.get(name)
            self._descriptions[name] = entry.description if entry else ""
        return self._descriptions[name]


class OracleTrainingGenerator(BaseGenerator):
    """Samples from an asar codebase (see the module docstring for the kinds).

    ``keep_comments`` keeps comments in the code of write samples; ``db`` replaces the default
    address table (built-in ALTTP RAM plus the tree's symbol files and struct fields);
    ``max_file_bytes`` skips larger files; ``kinds`` picks sample kinds (default: all).
    ``quality_score`` is a provisional heuristic (see ``afs.oracle.quality``).
    """

    def __init__(self, oracle_path: str | Path, *, keep_comments: bool = False,
                 db: AddressDatabase | None = None, max_file_bytes: int = DEFAULT_MAX_BYTES,
                 kinds: Iterable[str] | str | None = None):
        super().__init__(name="oracle", domain="asm")
        self.root = Path(oracle_path).expanduser()
        self.keep_comments = keep_comments
        self.db = db
        self.max_file_bytes = max_file_bytes
        self.kinds = _kinds(kinds)

    # --- files ----------------------------------------------------------------------------

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def _sources(self, suffixes: tuple[str, ...], report: bool) -> Iterator[tuple[str, list[str]]]:
        """(relative path, lines) of each readable file; unusable files are recorded in
        ``skipped`` when ``report`` (the first pass reads quietly, the main pass reports)."""
        skipped = self.skipped if report else []
        for path in walk_files(self.root, suffixes, skipped):
            try:
                text = read_source(path, self.max_file_bytes)
            except SkipFile as problem:
                if report:
                    self.skip(self._relative(path), problem.reason)
                continue
            yield self._relative(path), text.split("\n")

    # --- first pass -----------------------------------------------------------------------

    def learn_tree(self) -> TreeKnowledge:
        """The address table and width macros of the whole tree (kept small: entries and
        macro names, never file contents)."""
        db = self.db
        symbols, fields = [], []
        macro_widths: dict[str, str] = {}
        for file, lines in self._sources(ASM_SUFFIXES, report=False):
            if db is None:
                symbols += [as_entry(s, file) for s in symbol_definitions(lines)]
                fields += [e for layout in struct_layouts(lines)
                           for e in field_entries(layout, file)]
            for macro in macro_definitions(lines):
                if (width := width_of(macro)) is not None:
                    macro_widths[macro.name] = width
        if db is None:
            db = AddressDatabase()
            db.extend(fields)  # symbols last: a named symbol wins over a struct field
            db.extend(symbols)
        return TreeKnowledge(db, macro_widths)

    # --- samples --------------------------------------------------------------------------

    def generate(self) -> Iterator[TrainingSample]:
        if not self.root.is_dir():
            raise DataError("not a folder (oracle_path must be the root of an asar codebase)",
                            self.root)
        self.skipped = []
        knowledge = self.learn_tree()
        asm_kinds = self.kinds - {"docs"}
        if asm_kinds:
            for file, lines in self._sources(ASM_SUFFIXES, report=True):
                yield from self._asm_file_samples(file, lines, knowledge)
        if "docs" in self.kinds:
            for file, lines in self._sources(DOC_SUFFIXES, report=True):
                yield from doc_samples(lines, file)

    def _asm_file_samples(self, file: str, lines: list[str], knowledge: TreeKnowledge
                          ) -> Iterator[TrainingSample]:
        if "symbols" in self.kinds:
            for symbol in symbol_definitions(lines):
                yield from symbol_samples(symbol, file)
        if "structs" in self.kinds:
            for layout in struct_layouts(lines):
                yield from struct_samples(layout, file)
        if "macros" in self.kinds:
            for macro in macro_definitions(lines):
                yield from macro_samples(macro, file)
        if self.kinds & {"explain", "write"}:
            yield from self._routine_samples(file, lines, knowledge)

    def _routine_samples(self, file: str, lines: list[str], knowledge: TreeKnowledge
                         ) -> Iterator[TrainingSample]:
        routines: list[Routine] = list(extract_routines("\n".join(lines)))
        # calls to routines of the same file are described by their headers
        summaries = {name: text for r in routines if (text := summary(r))
                     for name in (r.name, r.qualified)}
        context = RoutineContext(file, summaries, knowledge.target_description)
        for routine in routines:
            facts = analyse(routine, knowledge.db, knowledge.macro_widths)
            result = validate(routine.code)  # once per routine, shared by its samples
            yield from routine_samples(routine, facts, context, result, self.keep_comments,
                                       self.kinds)
