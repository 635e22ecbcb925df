lorom
org $008000
incsrc "defs/macros.asm"
incsrc "routines.asm"
incsrc "missing.asm"
incsrc "shared.asm"
Main:
  %Clear($10)
  RTS
