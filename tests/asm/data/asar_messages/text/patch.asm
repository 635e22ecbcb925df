lorom
org $008000
incsrc "somewhere.asm"
incbin "data.bin"
LDA #$123456789
RTS
