NOP
lorom
org $008000
LDA ($12),X
BOGUS $10
if 1
  RTS
