"""Instruction effects: which neighbouring instructions depend on each other."""

from __future__ import annotations

import pytest

from afs.asm.effects import ANY_MEMORY, depends, effects


@pytest.mark.parametrize("first, second", [
    (("LDA", "$10"), ("STA", "$12")),        # the store writes the loaded value
    (("STA", "$10"), ("LDA", "$10")),        # the load reads what was stored
    (("CLC", ""), ("ADC", "#$01")),          # the add reads the carry
    (("REP", "#$20"), ("LDA", "#$0000")),    # the width sizes the load
    (("LDA", "$10"), ("TAX", "")),
    (("PHA", ""), ("PLA", "")),              # both move the stack
    (("STA", "$0D00,X"), ("LDA", "$10")),    # an indexed store may write $10
    (("LDA", "$10"), ("BEQ", ".skip")),      # control flow is a barrier
    (("INC", ""), ("STA", "$10")),           # INC with no operand works on A
    (("LDA", "$10"), ("LDA", "$12")),        # the second load overwrites A
])
def test_dependent_pairs(first, second):
    assert depends(effects(*first), effects(*second))
    assert depends(effects(*second), effects(*first))


@pytest.mark.parametrize("first, second", [
    (("LDA", "$10"), ("LDX", "$12")),        # other registers; both set N/Z, which is not counted
    (("STZ", "$10"), ("STZ", "$11")),        # other bytes of memory
    (("INX", ""), ("INY", "")),
    (("LDY", "#$04"), ("STA", "$10")),
    (("INC", "$10"), ("STX", "$12")),
])
def test_independent_pairs(first, second):
    assert not depends(effects(*first), effects(*second))


def test_memory_and_barriers():
    assert ANY_MEMORY in effects("LDA", "($10),Y").reads
    assert "mem:$7EF36D" in effects("STA.l", "$7EF36D").writes
    assert not any(r.startswith("mem:") for r in effects("LDA", "#$10").reads)
    assert effects("JSL", "Routine").barrier and effects("XYZ", "").barrier
