"""`OracleTrainingGenerator`: instruction-tuning samples from an asar codebase laid out like
Oracle of Secrets (Core/, Sprites/, Items/, Dungeons/, Overworld/, Docs/ …).

Any tree works: every `*.asm` and `*.md` under the root is read, in sorted order. Samples:

==========  =============  ===========================================================
kind        domain         from
==========  =============  ===========================================================
explain     asm.explain    a routine: "What does `Label` in `file` do?" (code in, explanation out)
write       asm.write      a routine's header comment, when it specifies it -> the routine
symbols     asm.symbols    `Name = $7E0010 ; what` assignments and `base`/`skip` RAM layouts
structs     asm.struct     `struct Name $addr` layouts and field addresses
macros      asm.macro      `macro Name(a, b)`: what it does and how to call it
docs        docs           markdown heading sections and table rows
==========  =============  ===========================================================

``generate()`` streams file by file. A first pass over the `*.asm` files collects what the
answers need from the whole tree and is small whatever the tree's size: the address table
(the SNES registers, A Link to the Past's RAM when the tree is an ALTTP codebase, plus every
symbol and struct field found), the width macros and a few real calls of each macro.

The built-in ALTTP RAM table describes that game only: on another game's code its names and
descriptions would be wrong facts, so it is used when ``builtin_ram`` is True, or, by default,
when at least two of the tree's asm files name the game (A Link to the Past, ALTTP, Zelda,
Hyrule). ``stats`` counts, after a run, what the samples rest on (symbols by what documents
them, write tasks left out for a weak specification, whether the ALTTP table was used); the
data_generation report shows it.
Files that cannot be read (binary, not UTF-8, too large, unreadable, symlink loops) are
recorded in ``skipped`` with the reason and left out; they never stop a run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from afs.asm import validate
from afs.errors import ConfigError, DataError
from afs.generators.base import BaseGenerator, TrainingSample
from afs.generators.files import DEFAULT_MAX_BYTES, SkipFile, read_source, walk_files
from afs.knowledge import AddressDatabase
from afs.knowledge.database import builtin_entries, register_entries
from afs.oracle.analysis import analyse
from afs.oracle.docs import doc_samples
from afs.oracle.macros import (
    MAX_CALLS_KEPT, CallSite, macro_calls, macro_definitions, macro_samples, width_of,
)
from afs.oracle.comments import as_prose
from afs.oracle.routine_samples import RoutineContext, is_specification, routine_samples, summary
from afs.oracle.routines import Routine, extract_routines
from afs.oracle.structs import field_entries, struct_layouts, struct_samples
from afs.oracle.symbols import SymbolDefinition, as_entry, symbol_definitions, symbol_samples

KINDS = ("explain", "write", "symbols", "structs", "macros", "docs")
ASM_SUFFIXES = (".asm",)
DOC_SUFFIXES = (".md",)
_ALTTP_TERMS = ("link to the past", "alttp", "lttp", "zelda", "hyrule")  # lower case
ALTTP_FILES = 2  # files that must name the game before its RAM table is used


def _kinds(kinds: Iterable[str] | str | None) -> frozenset[str]:
    if kinds is None:
        return frozenset(KINDS)
    chosen = frozenset([kinds] if isinstance(kinds, str) else kinds)
    unknown = sorted(chosen - set(KINDS))
    if unknown:
        raise ConfigError(f"unknown sample kind {unknown[0]!r}; choose from {', '.join(KINDS)}")
    return chosen


def names_alttp(lines: list[str]) -> bool:
    """Whether a file names A Link to the Past (in any case)."""
    text = "\n".join(lines).lower()
    return any(term in text for term in _ALTTP_TERMS)


class TreeKnowledge:
    """What the first pass learns from the whole tree: the address table, the width macros
    (`SetA16` -> "A 16-bit"), one real call of each macro, and the widths the built-in tables
    in use give by address."""

    def __init__(self, db: AddressDatabase, macro_widths: dict[str, str],
                 calls: dict[str, list[CallSite]] | None = None,
                 widths: dict[int, int] | None = None):
        self.db = db
        self.macro_widths = macro_widths
        self.calls = calls or {}
        self.widths = widths or {}
        self._descriptions: dict[str, str] = {}

    def symbol_sizes(self, symbols: list[SymbolDefinition]) -> dict[str, int]:
        """Widths of a file's symbols that only the built-in tables give: an entry of known
        size starting at the symbol's address, when it ends before the file's next symbol
        (a table that overlaps the next name is not this name's extent)."""
        starts = sorted({s.address for s in symbols})
        following = dict(zip(starts, starts[1:]))
        sizes = {}
        for symbol in symbols:
            width = self.widths.get(symbol.address)
            room = following.get(symbol.address)
            if symbol.size is None and width and (room is None or symbol.address + width <= room):
                sizes[symbol.name] = width
        return sizes

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
    ``max_file_bytes`` skips larger files; ``kinds`` picks sample kinds (default: all);
    ``builtin_ram`` uses A Link to the Past's RAM table (True), leaves it out (False) or
    decides from the tree (None, see the module docstring).
    ``quality_score`` is a provisional heuristic (see ``afs.oracle.quality``).
    """

    def __init__(self, oracle_path: str | Path, *, keep_comments: bool = False,
                 db: AddressDatabase | None = None, max_file_bytes: int = DEFAULT_MAX_BYTES,
                 kinds: Iterable[str] | str | None = None, builtin_ram: bool | None = None):
        super().__init__(name="oracle", domain="asm")
        self.root = Path(oracle_path).expanduser()
        self.keep_comments = keep_comments
        self.db = db
        self.max_file_bytes = max_file_bytes
        self.kinds = _kinds(kinds)
        self.builtin_ram = builtin_ram

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
        """The address table, width macros and macro calls of the whole tree (kept small:
        entries, macro names and one call line each, never file contents)."""
        db = self.db
        symbols, fields = [], []
        macro_widths: dict[str, str] = {}
        calls: dict[str, list[CallSite]] = {}
        naming_files = 0
        for file, lines in self._sources(ASM_SUFFIXES, report=False):
            if naming_files < ALTTP_FILES:
                naming_files += names_alttp(lines)
            if db is None:
                symbols += [as_entry(s, file) for s in symbol_definitions(lines)]
                fields += [e for layout in struct_layouts(lines)
                           for e in field_entries(layout, file)]
            for macro in macro_definitions(lines):
                if (width := width_of(macro)) is not None:
                    macro_widths[macro.name] = width
            for call in macro_calls(lines, file):
                calls.setdefault(call.name, [])
                if len(calls[call.name]) < MAX_CALLS_KEPT:
                    calls[call.name].append(call)
        alttp = self.builtin_ram if self.builtin_ram is not None else naming_files >= ALTTP_FILES
        self.stats["builtin_alttp_ram"] = alttp
        tables = [*(builtin_entries() if alttp else ()), *register_entries()]
        widths = {e.address: e.size for e in tables if e.size_known}
        if db is None:
            db = AddressDatabase(builtin=alttp)
            db.extend(fields)  # symbols last: a named symbol wins over a struct field
            db.extend(symbols)
        return TreeKnowledge(db, macro_widths, calls, widths)

    # --- samples --------------------------------------------------------------------------

    def generate(self) -> Iterator[TrainingSample]:
        if not self.root.is_dir():
            raise DataError("not a folder (oracle_path must be the root of an asar codebase)",
                            self.root)
        self.skipped = []
        self.stats = Counter()
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
            yield from self._symbol_samples(file, lines, knowledge)
        if "structs" in self.kinds:
            for layout in struct_layouts(lines):
                yield from struct_samples(layout, file)
        if "macros" in self.kinds:
            for macro in macro_definitions(lines):
                yield from macro_samples(macro, file, knowledge.calls.get(macro.name, []))
        if self.kinds & {"explain", "write"}:
            yield from self._routine_samples(file, lines, knowledge)

    def _symbol_samples(self, file: str, lines: list[str], knowledge: TreeKnowledge
                        ) -> Iterator[TrainingSample]:
        symbols = list(symbol_definitions(lines))
        for symbol in symbols:
            self.stats[f"symbols_documented_{symbol.documented_by}"] += 1
        for sample in symbol_samples(symbols, file, knowledge.symbol_sizes(symbols)):
            self.stats["symbol_samples"] += 1
            if sample._metadata["documented_by"] != "own":
                self.stats["symbol_samples_without_own_description"] += 1
            yield sample

    def _routine_samples(self, file: str, lines: list[str], knowledge: TreeKnowledge
                         ) -> Iterator[TrainingSample]:
        routines: list[Routine] = list(extract_routines("\n".join(lines)))
        # calls to routines of the same file are described by their headers
        summaries = {name: text for r in routines if (text := summary(r))
                     for name in (r.name, r.qualified)}
        names = Counter(r.qualified for r in routines)
        context = RoutineContext(file, summaries, knowledge.target_description,
                                 frozenset(n for n, count in names.items() if count > 1))
        for routine in routines:
            if "write" in self.kinds and routine.header and not is_specification(
                    as_prose(list(routine.header))):
                self.stats["write_tasks_left_out_weak_spec"] += 1
            facts = analyse(routine, knowledge.db, knowledge.macro_widths)
            result = validate(routine.code)  # once per routine, shared by its samples
            yield from routine_samples(routine, facts, context, result, self.keep_comments,
                                       self.kinds)
