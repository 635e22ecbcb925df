; Helpers of engine/init.asm.
Engine_Clear:
    STZ $00
    RTS
