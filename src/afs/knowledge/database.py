"""`AddressDatabase`: named addresses to query by name, by address (also inside multi-byte
entries) and by range, and to export as training samples.

The built-in tables are A Link to the Past's RAM (`data/alttp_ram.csv`) and the SNES hardware
registers (`AddressDatabase.hardware()` alone); `afs knowledge` reads the same by default. Users
add their own symbol, CSV or JSON files on top; a later entry replaces an earlier one of the
same name.
"""

from __future__ import annotations

import difflib
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from functools import lru_cache
from importlib import resources
from pathlib import Path

from afs.errors import AfsError
from afs.knowledge.addressing import canonical_long
from afs.knowledge.entries import AddressEntry, format_address, parse_number
from afs.knowledge.loaders import load_csv, load_entries
from afs.knowledge.questions import training_samples
from afs.knowledge.registers import REGISTERS_TABLE, dma_registers
from afs.samples import TrainingSample

BUILTIN_TABLE = "alttp_ram"


class UnknownAddressError(AfsError, KeyError):
    """A name the database does not know; the message lists close matches."""

    def __init__(self, name: str, suggestions: list[str]):
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown address name {name!r}{hint}")
        self.name = name
        self.suggestions = suggestions

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class UncoveredAddressError(UnknownAddressError):
    """An address that no entry covers."""

    def __init__(self, address: int):
        AfsError.__init__(self, f"no entry covers the address {format_address(address)}")
        self.name = format_address(address)
        self.suggestions = []


def _table_path(table: str) -> Path:
    return Path(str(resources.files("afs.knowledge") / "data" / f"{table}.csv"))


@lru_cache(maxsize=None)
def builtin_entries(table: str = BUILTIN_TABLE) -> tuple[AddressEntry, ...]:
    """The entries of a table shipped in ``afs/knowledge/data`` (read once)."""
    return tuple(load_csv(_table_path(table), source=table))


@lru_cache(maxsize=None)
def register_entries() -> tuple[AddressEntry, ...]:
    """Every SNES hardware register: the CSV table plus the generated DMA registers."""
    return (*builtin_entries(REGISTERS_TABLE), *dma_registers())


def _key(name: str) -> str:
    return name.strip().lstrip("!").lower()  # `!Define` and `Define` are one name


def _as_address(value: int | str) -> int:
    return parse_number(value) if isinstance(value, str) else value


class AddressDatabase:
    """Named addresses. ``AddressDatabase()`` holds the built-in ALTTP RAM table and the SNES
    hardware registers (as `afs knowledge` does); ``paths`` adds users' files (symbol / CSV /
    JSON) on top; ``builtin=False`` / ``registers=False`` leave the built-in tables out."""

    def __init__(self, paths: Iterable[str | Path] = (), builtin: bool = True,
                 registers: bool = True):
        self._by_name: dict[str, AddressEntry] = {}
        self._sorted: list[AddressEntry] | None = None
        self._starts: list[int] = []
        if builtin:
            self.extend(builtin_entries())
        if registers:
            self.extend(register_entries())
        for path in paths:
            self.extend(load_entries(path))

    @classmethod
    def from_file(cls, path: str | Path, builtin: bool = False) -> AddressDatabase:
        """The entries of one file (loader chosen by suffix), over the built-in tables (ALTTP
        RAM and SNES registers) if asked."""
        return cls(paths=[path], builtin=builtin, registers=builtin)

    @classmethod
    def hardware(cls) -> AddressDatabase:
        """The SNES hardware registers alone."""
        return cls(builtin=False, registers=True)

    # --- building ---------------------------------------------------------------------------

    def add(self, entry: AddressEntry) -> None:
        """Add an entry; it replaces an entry of the same name (case-insensitive)."""
        key = _key(entry.name)
        self._by_name.pop(key, None)  # re-insert: dict order is the order of the latest adds
        self._by_name[key] = entry
        self._sorted = None

    def extend(self, entries: Iterable[AddressEntry]) -> None:
        for entry in entries:
            self.add(entry)

    # --- queries ----------------------------------------------------------------------------

    def _entries(self) -> list[AddressEntry]:
        if self._sorted is None:
            self._added = {id(e): n for n, e in enumerate(self._by_name.values())}
            self._sorted = sorted(self._by_name.values(), key=lambda e: (e.address, e.size, e.name))
            self._starts = [e.address for e in self._sorted]
            self._widest = max((e.size for e in self._sorted), default=1)
        return self._sorted

    def get(self, name: str) -> AddressEntry | None:
        """The entry named ``name`` (case-insensitive, `!` ignored), or None."""
        return self._by_name.get(_key(name))

    def suggestions(self, name: str, limit: int = 5) -> list[str]:
        """Names close to ``name``: close spellings of the whole name, then names with a
        part (between `_`) spelled like it or containing it."""
        key = _key(name)
        close = difflib.get_close_matches(key, self._by_name, n=limit, cutoff=0.6)
        parts = {part for k in self._by_name for part in k.split("_")}
        near_parts = set(difflib.get_close_matches(key, parts, n=limit, cutoff=0.75))
        related = sorted(k for k in self._by_name if key and key in k
                         or near_parts.intersection(k.split("_")))
        ranked = [*close, *(k for k in related if k not in close)]
        return [self._by_name[k].name for k in ranked[:limit]]

    def query_address(self, key: str | int) -> AddressEntry:
        """The entry named ``key``, or the one covering the address ``key`` (an int, or text
        such as `$7E0010`, `0x7E0010`, `7E:0010`; see :meth:`lookup`). Raises
        UnknownAddressError (a KeyError) listing close matches for an unknown name, and
        UncoveredAddressError for an address no entry covers."""
        if isinstance(key, int) and not isinstance(key, bool):
            return self._covering_entry(key)
        entry = self.get(key)
        if entry is not None:
            return entry
        if str(key).strip()[:1] in tuple("$0123456789"):
            try:
                address = parse_number(key)
            except ValueError:
                address = None
            if address is not None:
                return self._covering_entry(address)
        raise UnknownAddressError(str(key), self.suggestions(str(key)))

    def _covering_entry(self, address: int) -> AddressEntry:
        entry = self.lookup(address)
        if entry is None:
            raise UncoveredAddressError(address)
        return entry

    def query_range(self, low: int | str, high: int | str) -> list[AddressEntry]:
        """Entries that overlap [low, high), by address."""
        low, high = _as_address(low), _as_address(high)
        return [e for e in self._entries() if e.address < high and e.end > low]

    def lookup(self, address: int | str) -> AddressEntry | None:
        """The entry that covers ``address`` (also a byte inside a multi-byte entry, and a
        mirror such as `$00:0020` for `$7E0020`): the one starting there, else the narrowest
        covering it, else the latest added. None when no entry does."""
        address = _as_address(address)
        for candidate in dict.fromkeys((address, canonical_long(address))):
            found = self._covering(candidate)
            if found is not None:
                return found
        return None

    at = lookup

    def _covering(self, address: int) -> AddressEntry | None:
        entries = self._entries()
        covering = []
        # only entries starting within the widest entry's size below can cover the address
        for index in range(bisect_right(self._starts, address) - 1, -1, -1):
            if entries[index].address <= address - self._widest:
                break
            if entries[index].contains(address):
                covering.append(entries[index])
        if not covering:
            return None
        # the entry starting there, else the narrowest; among equals the latest added (a
        # user's file over the built-in table)
        return min(covering, key=lambda e: (e.address != address, e.size, -self._added[id(e)]))

    def export_training_samples(self, seed: int = 0) -> list[TrainingSample]:
        """Question/answer samples for every entry, both ways (name -> address and
        address -> meaning), phrased deterministically from ``seed``."""
        return training_samples(self._entries(), seed=seed)

    # --- container protocol -----------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._by_name)

    def __iter__(self) -> Iterator[AddressEntry]:
        return iter(list(self._entries()))

    def __contains__(self, item: object) -> bool:
        """A name (str), an entry, or an address (int) that some entry covers."""
        if isinstance(item, AddressEntry):
            return self._by_name.get(_key(item.name)) == item
        if isinstance(item, str):
            return _key(item) in self._by_name
        if isinstance(item, int):
            return self.lookup(item) is not None
        return False

    def __repr__(self) -> str:
        return f"AddressDatabase({len(self)} entries)"
