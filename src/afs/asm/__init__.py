"""The 65816 / asar toolkit. So far: the instruction set as data (`afs.asm.opcodes`)."""
