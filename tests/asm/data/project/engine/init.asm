; Engine set-up, in bank $01; helpers.asm is found next to this file.
org $018000
Engine_Init:
    LDA.l Engine_Limit
    JSR Engine_Clear
    RTL
incsrc helpers.asm
Engine_Font:
    incbin font.bin
Engine_FontEnd:
    assert Engine_FontEnd-Engine_Font == 32
