Routine:
  LDA #$00
  WAT
  RTS
