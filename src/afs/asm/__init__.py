"""The 65816 / asar toolkit.

So far: the instruction set as data (`afs.asm.opcodes`), the addressing mode of literal
operands (`afs.asm.operands`), both checked against asar's own encoding test, and asar math
(`afs.asm.expressions`).
"""
