"""The address knowledge base as a generator: question/answer pairs about RAM addresses and
SNES registers (``AddressDatabase.export_training_samples``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from afs.generators.base import BaseGenerator, TrainingSample
from afs.knowledge import AddressDatabase


class KnowledgeGenerator(BaseGenerator):
    """Samples from the built-in ALTTP table (``builtin``), the SNES registers
    (``registers``) and the user's own symbol/CSV/JSON files (``db_files``)."""

    def __init__(self, db_files: Sequence[str | Path] = (), builtin: bool = True,
                 registers: bool = False, seed: int = 0):
        super().__init__(name="knowledge", domain="knowledge")
        self.db_files = [Path(p).expanduser() for p in db_files]
        self.builtin = builtin
        self.registers = registers
        self.seed = seed

    def generate(self) -> Iterator[TrainingSample]:
        database = AddressDatabase(paths=self.db_files, builtin=self.builtin,
                                   registers=self.registers)
        yield from database.export_training_samples(seed=self.seed)
